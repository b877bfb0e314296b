output "vpc_id" {
  description = "The VPC the hosts run in."
  value       = local.create ? aws_vpc.this[0].id : var.existing_vpc_id
}

output "vpc_cidr" {
  description = "The VPC's address range (hosts inside it may scrape the side-port)."
  value       = local.create ? aws_vpc.this[0].cidr_block : data.aws_vpc.existing[0].cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets for game and monitoring hosts, one per availability zone."
  value       = local.create ? aws_subnet.public[*].id : var.existing_subnet_ids
}
