locals {
  public_ips = var.associate_eip ? aws_eip.game[*].public_ip : aws_instance.game[*].public_ip
}

output "public_ips" {
  description = "Public addresses of the game hosts."
  value       = local.public_ips
}

output "private_ips" {
  description = "Private addresses of the game hosts (inside the VPC)."
  value       = aws_instance.game[*].private_ip
}

output "game_endpoints" {
  description = "Where players connect, one entry per host: raw TCP and WebSocket URLs."
  value = [for ip in local.public_ips : {
    tcp       = "tcp://${ip}:${local.tcp_port}"
    websocket = "ws://${ip}:${local.ws_port}/"
  }]
}

output "console_urls" {
  description = "Admin console of each host (reachable from operator_cidrs only)."
  value       = [for ip in local.public_ips : "http://${ip}:${local.http_port}/admin/"]
}

output "metrics_targets" {
  description = "host:port of each side-port for Prometheus (private addresses)."
  value       = [for ip in aws_instance.game[*].private_ip : "${ip}:${local.http_port}"]
}

output "security_group_id" {
  description = "Security group of the game hosts."
  value       = aws_security_group.game.id
}
