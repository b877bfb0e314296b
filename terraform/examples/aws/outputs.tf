output "game_endpoints" {
  description = "Where players connect: raw TCP and WebSocket URL of each game host."
  value       = module.game_hosts.game_endpoints
}

output "console_urls" {
  description = "Admin console of each game host (from operator_cidrs only)."
  value       = module.game_hosts.console_urls
}

output "grafana_url" {
  description = "The Rookery dashboard in Grafana (from operator_cidrs only)."
  value       = module.monitoring.grafana_url
}

output "prometheus_url" {
  description = "Prometheus UI with the Rookery alerts (from operator_cidrs only)."
  value       = module.monitoring.prometheus_url
}
