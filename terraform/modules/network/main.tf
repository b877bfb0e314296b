# The network for Rookery hosts: a VPC with one public subnet per availability zone (players
# connect to the game hosts' public addresses), or an existing VPC passed through.
locals {
  create = var.existing_vpc_id == null
  tags   = merge(var.tags, { "rookery:deployment" = var.name })
}

resource "aws_vpc" "this" {
  count = local.create ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = "${var.name}-vpc" })

  lifecycle {
    precondition {
      condition     = length(var.availability_zones) >= 1
      error_message = "A new VPC needs at least one availability zone (availability_zones)."
    }
  }
}

resource "aws_internet_gateway" "this" {
  count = local.create ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(local.tags, { Name = "${var.name}-igw" })
}

resource "aws_subnet" "public" {
  count = local.create ? length(var.availability_zones) : 0

  vpc_id                  = aws_vpc.this[0].id
  availability_zone       = var.availability_zones[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  map_public_ip_on_launch = true
  tags                    = merge(local.tags, { Name = "${var.name}-public-${var.availability_zones[count.index]}" })
}

resource "aws_route_table" "public" {
  count = local.create ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(local.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "internet" {
  count = local.create ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = local.create ? length(var.availability_zones) : 0

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

data "aws_vpc" "existing" {
  count = local.create ? 0 : 1
  id    = var.existing_vpc_id

  lifecycle {
    postcondition {
      condition     = length(var.existing_subnet_ids) >= 1
      error_message = "With existing_vpc_id, list its public subnets in existing_subnet_ids."
    }
  }
}
