# Monitoring host: Prometheus (Debian package) and Grafana (Grafana's apt repository) on one
# Debian 12 instance, provisioned by cloud-init with the repository's ops/prometheus and
# ops/grafana files. Only operator_cidrs reach it.
locals {
  ops  = "${path.module}/../../../ops"
  tags = merge(var.tags, { "rookery:deployment" = var.name, "rookery:role" = "monitoring" })

  # file_sd target list in the format of ops/prometheus/targets/rookery.yml.
  targets_yml = yamlencode([{ targets = var.scrape_targets, labels = { env = var.environment } }])

  # Every name the template uses; tests/infra/terraform_test.sh renders it with test values.
  user_data_vars = {
    prometheus_yml         = file("${local.ops}/prometheus/prometheus.yml")
    rules_yml              = file("${local.ops}/prometheus/rules/rookery.rules.yml")
    targets_yml            = local.targets_yml
    grafana_datasource_yml = file("${local.ops}/grafana/provisioning/datasources/prometheus.yml")
    grafana_dashboards_yml = file("${local.ops}/grafana/provisioning/dashboards/rookery.yml")
    dashboard_json         = file("${local.ops}/grafana/dashboards/rookery.json")
    retention              = var.prometheus_retention
    grafana_admin_password = var.grafana_admin_password
  }
}

data "aws_ami" "debian12" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["136693071363"] # Debian's official AWS account

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_security_group" "monitoring" {
  name_prefix = "${var.name}-monitoring-"
  description = "Rookery monitoring: Grafana and Prometheus for operators"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-monitoring" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "grafana" {
  for_each = toset(var.operator_cidrs)

  security_group_id = aws_security_group.monitoring.id
  description       = "Grafana for operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 3000
  to_port           = 3000
}

resource "aws_vpc_security_group_ingress_rule" "prometheus" {
  for_each = toset(var.operator_cidrs)

  security_group_id = aws_security_group.monitoring.id
  description       = "Prometheus UI and API for operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 9090
  to_port           = 9090
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = var.ssh_key_name == null ? toset([]) : toset(var.operator_cidrs)

  security_group_id = aws_security_group.monitoring.id
  description       = "SSH for operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.monitoring.id
  description       = "Scrapes, packages"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_instance" "monitoring" {
  ami                    = var.ami_id != null ? var.ami_id : data.aws_ami.debian12[0].id
  instance_type          = var.instance_type
  subnet_id              = var.subnet_id
  key_name               = var.ssh_key_name
  vpc_security_group_ids = [aws_security_group.monitoring.id]
  # Compressed: the dashboard alone is larger than EC2's 16 KiB raw user-data limit.
  user_data_base64            = base64gzip(templatefile("${path.module}/user_data.yaml.tftpl", local.user_data_vars))
  user_data_replace_on_change = true

  root_block_device {
    volume_size = var.data_volume_gb
    volume_type = "gp3"
    encrypted   = true
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tags        = merge(local.tags, { Name = "${var.name}-monitoring" })
  volume_tags = local.tags
}
