output "db_url" {
  description = "The --db of every game host (the password comes separately: PGPASSWORD)."
  value       = "postgresql://rookery@${aws_db_instance.postgres.address}:${aws_db_instance.postgres.port}/rookery?sslmode=require"
}

output "redis_url" {
  description = "The --redis of every game host (the primary endpoint; it follows a failover)."
  value       = "redis://${aws_elasticache_replication_group.directory.primary_endpoint_address}:6379"
}

output "security_group_id" {
  description = "Security group of the database and Redis."
  value       = aws_security_group.store.id
}
