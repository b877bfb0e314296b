variable "name" {
  description = "Name prefix for every resource of this deployment (letters, digits, dashes)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "existing_vpc_id" {
  description = "Use this VPC instead of creating one (with existing_subnet_ids). Null creates a new VPC."
  type        = string
  default     = null

  validation {
    condition     = var.existing_vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.existing_vpc_id))
    error_message = "existing_vpc_id must look like vpc-0123abcd, or be null."
  }
}

variable "existing_subnet_ids" {
  description = "Public subnets of existing_vpc_id to place hosts in (players connect to them directly)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.existing_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "existing_subnet_ids must be subnet ids (subnet-0123abcd)."
  }
}

variable "vpc_cidr" {
  description = "Address range of the new VPC (ignored with existing_vpc_id)."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block of /24 or larger."
  }
}

variable "availability_zones" {
  description = "Availability zones for the public subnets, one subnet each (needed unless existing_vpc_id is set)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) <= 6
    error_message = "Give at most 6 availability zones."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
