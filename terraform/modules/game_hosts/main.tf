# Game hosts: Debian 12 instances from one launch template, tuned and provisioned by cloud-init
# (user_data.yaml.tftpl: the repository's ops/ files plus ops/host/provision.sh), each running
# one Rookery under systemd. Players reach the game ports; only operators and the monitoring
# host reach the side-port.
locals {
  tcp_port  = 12122
  ws_port   = 12123
  http_port = 8080
  ops       = "${path.module}/../../../ops"
  tags      = merge(var.tags, { "rookery:deployment" = var.name, "rookery:role" = "game" })

  clustered = var.cluster != null

  rookery_conf = join("\n", concat(
    [
      # A cluster node keeps its players in the shared PostgreSQL (the password: PGPASSWORD in
      # /etc/rookery/cluster.env); a standalone host in SQLite on its own volume.
      local.clustered ? "db = ${var.cluster.db_url}" : "db = /var/lib/rookery/rookery.db",
      "tcp_port = ${local.tcp_port}",
      "ws_port = ${local.ws_port}",
      "http_bind = 0.0.0.0",
      "http_port = ${local.http_port}",
      "admin_ui_root = /usr/local/share/rookery/admin-ui",
      "log_format = json",
    ],
    local.clustered ? ["redis = ${var.cluster.redis_url}", "cluster_name = ${var.cluster.name}"] : [],
    [for k, v in var.rookery_config : "${k} = ${v}"],
  ))

  # Every name the template uses; tests/infra/terraform_test.sh renders it with test values.
  user_data_vars = {
    sysctl_conf    = file("${local.ops}/host/sysctl.d/60-rookery.conf")
    limits_conf    = file("${local.ops}/host/limits.d/60-rookery.conf")
    systemd_unit   = file("${local.ops}/systemd/rookery.service")
    provision_sh   = file("${local.ops}/host/provision.sh")
    rookery_conf   = local.rookery_conf
    release_url    = var.rookery_release_url
    release_sha256 = var.rookery_release_sha256
    git_url        = var.rookery_git_url
    git_ref        = var.rookery_git_ref
    admin_user     = var.admin_user
    admin_password = var.admin_password
    clustered      = local.clustered
    db_password    = local.clustered ? var.cluster.db_password : ""
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

resource "aws_security_group" "game" {
  name_prefix = "${var.name}-game-"
  description = "Rookery game hosts: game ports for players, side-port for operators and monitoring"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-game" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "game_tcp" {
  for_each = toset(var.player_cidrs)

  security_group_id = aws_security_group.game.id
  description       = "Rookery raw TCP game port"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = local.tcp_port
  to_port           = local.tcp_port
}

resource "aws_vpc_security_group_ingress_rule" "game_ws" {
  for_each = toset(var.player_cidrs)

  security_group_id = aws_security_group.game.id
  description       = "Rookery WebSocket game port"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = local.ws_port
  to_port           = local.ws_port
}

resource "aws_vpc_security_group_ingress_rule" "side_port_operators" {
  for_each = toset(var.operator_cidrs)

  security_group_id = aws_security_group.game.id
  description       = "Rookery side-port (admin console, metrics, health) for operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = local.http_port
  to_port           = local.http_port
}

resource "aws_vpc_security_group_ingress_rule" "side_port_metrics" {
  # count, not for_each: the ids are unknown until the monitoring host's group exists.
  count = length(var.metrics_source_security_group_ids)

  security_group_id            = aws_security_group.game.id
  description                  = "Rookery side-port for the Prometheus scrape"
  referenced_security_group_id = var.metrics_source_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = local.http_port
  to_port                      = local.http_port
}

resource "aws_vpc_security_group_ingress_rule" "ssh_operators" {
  for_each = var.ssh_key_name == null ? toset([]) : toset(var.operator_cidrs)

  security_group_id = aws_security_group.game.id
  description       = "SSH for operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.game.id
  description       = "Packages, release download, NTP"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_launch_template" "game" {
  name_prefix   = "${var.name}-game-"
  image_id      = var.ami_id != null ? var.ami_id : data.aws_ami.debian12[0].id
  instance_type = var.instance_type
  key_name      = var.ssh_key_name
  # Compressed: the tuned files, unit and provisioning script exceed EC2's 16 KiB raw limit.
  user_data = base64gzip(templatefile("${path.module}/user_data.yaml.tftpl", local.user_data_vars))

  vpc_security_group_ids = [aws_security_group.game.id]

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_gb
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    # A cluster node reads its advertised address from its own tag (RookeryAdvertiseHost).
    instance_metadata_tags = "enabled"
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.tags
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = (var.rookery_release_url != "") != (var.rookery_git_url != "")
      error_message = "Set exactly one of rookery_release_url (with rookery_release_sha256) or rookery_git_url."
    }
    precondition {
      condition     = var.rookery_release_url == "" || var.rookery_release_sha256 != ""
      error_message = "rookery_release_url needs rookery_release_sha256."
    }
  }
}

resource "aws_instance" "game" {
  count = var.host_count

  subnet_id = var.subnet_ids[count.index % length(var.subnet_ids)]

  launch_template {
    id      = aws_launch_template.game.id
    version = aws_launch_template.game.latest_version
  }

  # With an Elastic IP, the address players reach is known before boot (the EIP is allocated
  # first), so a cluster node can advertise it from its first start.
  tags = merge(local.tags, { Name = "${var.name}-game-${count.index}" },
    var.associate_eip ? { RookeryAdvertiseHost = aws_eip.game[count.index].public_ip } : {})

  lifecycle {
    # A new launch template version (new release, new tuning) replaces hosts only when asked:
    # terraform apply -replace='module.game_hosts.aws_instance.game[0]', one at a time.
    ignore_changes = [launch_template]
  }
}

resource "aws_eip" "game" {
  count = var.associate_eip ? var.host_count : 0

  domain = "vpc"
  tags   = merge(local.tags, { Name = "${var.name}-game-${count.index}" })
}

resource "aws_eip_association" "game" {
  count = var.associate_eip ? var.host_count : 0

  allocation_id = aws_eip.game[count.index].id
  instance_id   = aws_instance.game[count.index].id
}
