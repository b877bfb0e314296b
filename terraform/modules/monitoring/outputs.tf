output "grafana_url" {
  description = "Grafana (user admin, password grafana_admin_password), reachable from operator_cidrs."
  value       = "http://${aws_instance.monitoring.public_ip}:3000/d/rookery-overview/rookery"
}

output "prometheus_url" {
  description = "Prometheus UI, reachable from operator_cidrs."
  value       = "http://${aws_instance.monitoring.public_ip}:9090/"
}

output "security_group_id" {
  description = "Security group of the monitoring host; the game hosts let it scrape their side-ports."
  value       = aws_security_group.monitoring.id
}

output "private_ip" {
  description = "Private address of the monitoring host."
  value       = aws_instance.monitoring.private_ip
}
