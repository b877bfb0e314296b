variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "name" {
  description = "Name of this deployment, used as a prefix for every resource."
  type        = string
  default     = "rookery"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "availability_zones" {
  description = "Availability zones of the region to spread game hosts over (one public subnet each)."
  type        = list(string)
  default     = ["eu-central-1a", "eu-central-1b"]

  validation {
    condition     = length(var.availability_zones) >= 1
    error_message = "Give at least one availability zone."
  }
}

variable "game_host_count" {
  description = "Number of game hosts (each one Rookery instance with its own player store)."
  type        = number
  default     = 1

  validation {
    condition     = var.game_host_count >= 1 && var.game_host_count <= 50
    error_message = "game_host_count must be between 1 and 50."
  }
}

variable "game_instance_type" {
  description = "EC2 instance type of the game hosts."
  type        = string
  default     = "c6i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.game_instance_type))
    error_message = "game_instance_type must look like c6i.large."
  }
}

variable "operator_cidrs" {
  description = "Your office/VPN address ranges: the admin console, metrics, Grafana and SSH are open to these only."
  type        = list(string)

  validation {
    condition     = length(var.operator_cidrs) >= 1 && alltrue([for c in var.operator_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "operator_cidrs must list IPv4 CIDR blocks, and must not be 0.0.0.0/0."
  }
}

variable "ssh_key_name" {
  description = "Existing EC2 key pair for SSH to every host as user admin; null disables key login."
  type        = string
  default     = null
}

variable "rookery_release_url" {
  description = "HTTPS URL of the release tarball made by ops/package.sh."
  type        = string

  validation {
    condition     = can(regex("^https://", var.rookery_release_url))
    error_message = "rookery_release_url must be an https:// URL."
  }
}

variable "rookery_release_sha256" {
  description = "SHA-256 of the release tarball (ops/package.sh prints it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.rookery_release_sha256))
    error_message = "rookery_release_sha256 must be 64 lowercase hex digits."
  }
}

variable "max_connections" {
  description = "Game connections each host accepts (--max-connections); the host tuning and LimitNOFILE carry up to about 1M."
  type        = number
  default     = 100000

  validation {
    condition     = var.max_connections >= 100 && var.max_connections <= 1000000
    error_message = "max_connections must be between 100 and 1000000."
  }
}

variable "admin_user" {
  description = "First admin of each host's admin console."
  type        = string
  default     = "admin"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,32}$", var.admin_user))
    error_message = "admin_user must be 3-32 of A-Z a-z 0-9 _ . -"
  }
}

variable "admin_password" {
  description = "Password of admin_user (rotate it in the console after the first login)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.admin_password) >= 12
    error_message = "admin_password must have at least 12 characters."
  }
}

variable "grafana_admin_password" {
  description = "Password of Grafana's admin user."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.grafana_admin_password) >= 12
    error_message = "grafana_admin_password must have at least 12 characters."
  }
}

variable "cluster_enabled" {
  description = "One game over every host: a shared PostgreSQL (RDS) and Redis (ElastiCache) are created and each host joins the cluster. false: each host is standalone with its own SQLite store."
  type        = bool
  default     = false
}

variable "cluster_db_password" {
  description = "Password of the shared database's user rookery (16-128 of A-Z a-z 0-9 _ . ~ + = -); used only with cluster_enabled."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.cluster_db_password == "" || can(regex("^[A-Za-z0-9_.~+=-]{16,128}$", var.cluster_db_password))
    error_message = "cluster_db_password must be 16-128 of A-Z a-z 0-9 _ . ~ + = -."
  }
}
