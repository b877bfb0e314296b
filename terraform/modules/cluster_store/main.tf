# The shared engines of a Rookery cluster on AWS: one PostgreSQL (RDS) for players, scores and
# bans, and one Redis (ElastiCache) for the cluster directory. Only the game hosts' security
# group reaches them; neither is public. Guide: docs/operations.md, "Run a cluster".
locals {
  tags = merge(var.tags, { "rookery:deployment" = var.name, "rookery:role" = "cluster-store" })
}

resource "aws_security_group" "store" {
  name_prefix = "${var.name}-store-"
  description = "Rookery cluster store: PostgreSQL and Redis, for the game hosts only"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-store" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.store.id
  description                  = "PostgreSQL from the game hosts"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  count = length(var.client_security_group_ids)

  security_group_id            = aws_security_group.store.id
  description                  = "Redis from the game hosts"
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_db_subnet_group" "this" {
  name_prefix = "${var.name}-"
  subnet_ids  = var.subnet_ids
  tags        = local.tags
}

resource "aws_db_instance" "postgres" {
  identifier_prefix = "${var.name}-"
  engine            = "postgres"
  engine_version    = "15"
  instance_class    = var.db_instance_class
  db_name           = "rookery"
  username          = "rookery"
  password          = var.db_password

  allocated_storage     = var.db_storage_gb
  max_allocated_storage = var.db_storage_gb * 4
  storage_type          = "gp3"
  storage_encrypted     = true

  multi_az               = var.db_multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.store.id]
  publicly_accessible    = false

  backup_retention_period    = 7
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = false
  final_snapshot_identifier  = "${var.name}-final"
  auto_minor_version_upgrade = true

  tags = local.tags
}

resource "aws_elasticache_subnet_group" "this" {
  name       = "${var.name}-directory"
  subnet_ids = var.subnet_ids
  tags       = local.tags
}

resource "aws_elasticache_replication_group" "directory" {
  replication_group_id = "${var.name}-directory"
  description          = "Rookery cluster directory (nodes, rooms, sessions, pub/sub)"
  engine               = "redis"
  engine_version       = "7.0"
  node_type            = var.redis_node_type
  port                 = 6379

  num_cache_clusters         = 1 + var.redis_replicas
  automatic_failover_enabled = var.redis_replicas > 0
  multi_az_enabled           = var.redis_replicas > 0

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.store.id]

  # Rookery's Redis client (Debian's hiredis 0.14) speaks plain TCP: the group stays inside the
  # VPC, reachable only from the game hosts' security group.
  at_rest_encryption_enabled = true
  transit_encryption_enabled = false

  tags = local.tags
}
