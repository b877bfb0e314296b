variable "name" {
  description = "Name prefix for the hosts and their security group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the hosts (output vpc_id of the network module)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "subnet_ids" {
  description = "Public subnets; hosts are spread over them round-robin."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "Give at least one subnet id (subnet-0123abcd)."
  }
}

variable "host_count" {
  description = "Number of game hosts; each runs one Rookery instance (with its own SQLite store, or as one node of a cluster: see cluster)."
  type        = number
  default     = 1

  validation {
    condition     = var.host_count >= 1 && var.host_count <= 50 && floor(var.host_count) == var.host_count
    error_message = "host_count must be a whole number from 1 to 50."
  }
}

variable "instance_type" {
  description = "EC2 instance type. Compute-optimised with enhanced networking suits many connections (c6i, c7i, c7g needs an arm64 build)."
  type        = string
  default     = "c6i.large"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like c6i.large."
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

variable "root_volume_gb" {
  description = "Size of the gp3 root volume, which also holds the SQLite store under /var/lib/rookery."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_gb >= 10 && var.root_volume_gb <= 2000
    error_message = "root_volume_gb must be between 10 and 2000."
  }
}

variable "player_cidrs" {
  description = "Who may reach the game ports (12122 TCP, 12123 WebSocket): everyone by default."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.player_cidrs) >= 1 && alltrue([for c in var.player_cidrs : can(cidrhost(c, 0))])
    error_message = "player_cidrs must be a non-empty list of IPv4 CIDR blocks."
  }
}

variable "operator_cidrs" {
  description = "Operators' address ranges: the only sources allowed to reach the side-port (8080: admin console, metrics) and SSH."
  type        = list(string)

  validation {
    condition     = length(var.operator_cidrs) >= 1 && alltrue([for c in var.operator_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "operator_cidrs must list IPv4 CIDR blocks, and must not be 0.0.0.0/0 (the side-port is internal)."
  }
}

variable "metrics_source_security_group_ids" {
  description = "Security groups (the monitoring host's) allowed to scrape the side-port's /metrics."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for g in var.metrics_source_security_group_ids : can(regex("^sg-[0-9a-f]+$", g))])
    error_message = "metrics_source_security_group_ids must be security group ids (sg-0123abcd)."
  }
}

variable "associate_eip" {
  description = "Give each host an Elastic IP, so its game endpoint survives a stop/start."
  type        = bool
  default     = true
}

variable "rookery_release_url" {
  description = "HTTPS URL of the release tarball made by ops/package.sh (e.g. an S3 object URL). Set this or rookery_git_url."
  type        = string
  default     = ""

  validation {
    condition     = var.rookery_release_url == "" || can(regex("^https://", var.rookery_release_url))
    error_message = "rookery_release_url must be an https:// URL, or empty."
  }
}

variable "rookery_release_sha256" {
  description = "SHA-256 of the release tarball (printed by ops/package.sh); required with rookery_release_url."
  type        = string
  default     = ""

  validation {
    condition     = var.rookery_release_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.rookery_release_sha256))
    error_message = "rookery_release_sha256 must be 64 lowercase hex digits, or empty."
  }
}

variable "rookery_git_url" {
  description = "Git URL to build Rookery from on each host instead of a release (slow: about 15 minutes on 2 vCPUs)."
  type        = string
  default     = ""

  validation {
    condition     = var.rookery_git_url == "" || can(regex("^(https://|git@)", var.rookery_git_url))
    error_message = "rookery_git_url must be an https:// or git@ URL, or empty."
  }
}

variable "rookery_git_ref" {
  description = "Branch, tag or commit to build with rookery_git_url."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.rookery_git_ref))
    error_message = "rookery_git_ref must be a plain branch, tag or commit name."
  }
}

variable "rookery_config" {
  description = "Extra configuration keys for /etc/rookery/rookery.conf, e.g. { max_connections = \"200000\" } (every key: rookery --help)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.rookery_config : can(regex("^[a-z_]+$", k)) && !can(regex("[\\n\\r]", v))])
    error_message = "rookery_config keys are lowercase words with underscores; values are single lines."
  }
}

variable "admin_user" {
  description = "First admin of the admin console, created at first start (empty: create one later with `rookery admin add-user`)."
  type        = string
  default     = ""

  validation {
    condition     = var.admin_user == "" || can(regex("^[A-Za-z0-9_.-]{3,32}$", var.admin_user))
    error_message = "admin_user must be 3-32 of A-Z a-z 0-9 _ . -"
  }
}

variable "admin_password" {
  description = "Password of admin_user (stored in the instance user data: rotate it after the first login)."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.admin_password == "" || length(var.admin_password) >= 12
    error_message = "admin_password must have at least 12 characters."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "cluster" {
  description = "Make the hosts one cluster: the shared PostgreSQL and Redis (outputs db_url and redis_url of the cluster_store module), the database password, and a cluster name. null: each host is standalone with its own SQLite store."
  type = object({
    name        = string
    db_url      = string
    redis_url   = string
    db_password = string
  })
  default   = null
  sensitive = true

  validation {
    condition = var.cluster == null ? true : (
      can(regex("^[A-Za-z0-9_.-]{1,64}$", var.cluster.name)) &&
      startswith(var.cluster.db_url, "postgresql://") &&
      startswith(var.cluster.redis_url, "redis://")
    )
    error_message = "cluster needs a name of [A-Za-z0-9_.-], a postgresql:// db_url and a redis:// redis_url."
  }
}
