variable "name" {
  description = "Name prefix for the monitoring host and its security group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the monitoring host (the game hosts' VPC, so it scrapes their private addresses)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "subnet_id" {
  description = "Public subnet for the monitoring host."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must look like subnet-0123abcd."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the Prometheus + Grafana host."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.medium."
  }
}

variable "ami_id" {
  description = "AMI to boot; null picks the newest official Debian 12 (bookworm) amd64 image."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null || can(regex("^ami-[0-9a-f]+$", var.ami_id))
    error_message = "ami_id must look like ami-0123abcd, or be null."
  }
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH as user admin (from operator_cidrs only); null disables key login."
  type        = string
  default     = null
}

variable "data_volume_gb" {
  description = "Size of the gp3 root volume holding the Prometheus TSDB."
  type        = number
  default     = 50

  validation {
    condition     = var.data_volume_gb >= 10 && var.data_volume_gb <= 4000
    error_message = "data_volume_gb must be between 10 and 4000."
  }
}

variable "operator_cidrs" {
  description = "Operators' address ranges: the only sources allowed to reach Grafana (3000), Prometheus (9090) and SSH."
  type        = list(string)

  validation {
    condition     = length(var.operator_cidrs) >= 1 && alltrue([for c in var.operator_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "operator_cidrs must list IPv4 CIDR blocks, and must not be 0.0.0.0/0."
  }
}

variable "scrape_targets" {
  description = "Rookery side-ports to scrape, host:port (output metrics_targets of the game_hosts module)."
  type        = list(string)

  validation {
    condition     = alltrue([for t in var.scrape_targets : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", t))])
    error_message = "scrape_targets must be host:port entries."
  }
}

variable "environment" {
  description = "Value of the env label on every scraped series (dev, staging, prod...)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be 1-20 lowercase letters, digits or dashes."
  }
}

variable "prometheus_retention" {
  description = "How long Prometheus keeps samples (--storage.tsdb.retention.time), e.g. 15d."
  type        = string
  default     = "15d"

  validation {
    condition     = can(regex("^[0-9]+(h|d|w|y)$", var.prometheus_retention))
    error_message = "prometheus_retention must be a number and a unit: h, d, w or y (e.g. 15d)."
  }
}

variable "grafana_admin_password" {
  description = "Password of Grafana's admin user (stored in the instance user data: change it after the first login)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.grafana_admin_password) >= 12
    error_message = "grafana_admin_password must have at least 12 characters."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
