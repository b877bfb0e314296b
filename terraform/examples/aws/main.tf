# Example: Rookery on AWS. A VPC, N tuned game hosts and one monitoring host (Prometheus +
# Grafana with the repository's dashboard and alert rules); with cluster_enabled, the hosts are
# one cluster over a shared PostgreSQL (RDS) and Redis (ElastiCache).
#   cp terraform.tfvars.example terraform.tfvars   # and fill it in
#   terraform init && terraform apply
# Guide: docs/operations.md, "Deploy with Terraform".

module "network" {
  source = "../../modules/network"

  name               = var.name
  availability_zones = var.availability_zones
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                   = var.name
  vpc_id                 = module.network.vpc_id
  subnet_id              = module.network.public_subnet_ids[0]
  ssh_key_name           = var.ssh_key_name
  operator_cidrs         = var.operator_cidrs
  scrape_targets         = module.game_hosts.metrics_targets
  grafana_admin_password = var.grafana_admin_password
}

module "game_hosts" {
  source = "../../modules/game_hosts"

  name                              = var.name
  vpc_id                            = module.network.vpc_id
  subnet_ids                        = module.network.public_subnet_ids
  host_count                        = var.game_host_count
  instance_type                     = var.game_instance_type
  ssh_key_name                      = var.ssh_key_name
  operator_cidrs                    = var.operator_cidrs
  metrics_source_security_group_ids = [module.monitoring.security_group_id]
  rookery_release_url               = var.rookery_release_url
  rookery_release_sha256            = var.rookery_release_sha256
  admin_user                        = var.admin_user
  admin_password                    = var.admin_password

  rookery_config = {
    max_connections = tostring(var.max_connections)
  }

  cluster = var.cluster_enabled ? {
    name        = var.name
    db_url      = module.cluster_store[0].db_url
    redis_url   = module.cluster_store[0].redis_url
    db_password = var.cluster_db_password
  } : null
}

# With cluster_enabled: the engines every host shares (docs/operations.md, "Run a cluster").
module "cluster_store" {
  source = "../../modules/cluster_store"
  count  = var.cluster_enabled ? 1 : 0

  name                      = var.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.public_subnet_ids
  client_security_group_ids = [module.game_hosts.security_group_id]
  db_password               = var.cluster_db_password
}
