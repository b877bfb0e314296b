variable "name" {
  description = "Name prefix for the database, the Redis group and their security group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the game hosts (output vpc_id of the network module)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "subnet_ids" {
  description = "Subnets for the database and Redis, in at least two availability zones (RDS requires it). Neither is reachable from outside the VPC."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "Give at least two subnet ids (subnet-0123abcd) in different zones."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach PostgreSQL and Redis: the game hosts' (output security_group_id of the game_hosts module)."
  type        = list(string)

  validation {
    condition     = length(var.client_security_group_ids) >= 1
    error_message = "Give the game hosts' security group."
  }
}

variable "db_instance_class" {
  description = "RDS instance class of the shared PostgreSQL."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_storage_gb" {
  description = "Allocated gp3 storage of the database (it grows by itself up to 4x)."
  type        = number
  default     = 50

  validation {
    condition     = var.db_storage_gb >= 20 && var.db_storage_gb <= 10000
    error_message = "db_storage_gb must be between 20 and 10000."
  }
}

variable "db_multi_az" {
  description = "A standby in a second zone that RDS fails over to (recommended for production)."
  type        = bool
  default     = true
}

variable "db_password" {
  description = "Password of the database user rookery (16-128 of A-Z a-z 0-9 _ . ~ + = -); the game hosts get it in an environment file, never in a URL."
  type        = string
  sensitive   = true

  validation {
    # Letters, digits and _ . ~ + = - only: RDS refuses / @ " and spaces, and the password travels
    # through a systemd environment file, where quoting and escapes would differ.
    condition     = can(regex("^[A-Za-z0-9_.~+=-]{16,128}$", var.db_password))
    error_message = "db_password must be 16-128 of A-Z a-z 0-9 _ . ~ + = -."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type of the cluster directory (small: it holds the nodes, rooms and sessions)."
  type        = string
  default     = "cache.t4g.small"
}

variable "redis_replicas" {
  description = "Redis replicas beside the primary; 1 or more enables automatic failover. The directory is rebuilt by the nodes after a failover, so 0 is acceptable for small deployments."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_replicas >= 0 && var.redis_replicas <= 5 && floor(var.redis_replicas) == var.redis_replicas
    error_message = "redis_replicas must be a whole number from 0 to 5."
  }
}

variable "deletion_protection" {
  description = "Protect the database from terraform destroy (turn off only to tear down a test)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
