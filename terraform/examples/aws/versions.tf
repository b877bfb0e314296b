terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Pinned: an example deployment should plan the same everywhere. `terraform init`
      # records the exact build in .terraform.lock.hcl: commit that file too.
      version = "= 5.80.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      "app"        = "rookery"
      "managed-by" = "terraform"
    }
  }
}
