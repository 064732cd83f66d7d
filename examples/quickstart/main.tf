# Quickstart: a versioned policy folder (jit_document + for_each) and one
# grant written inline. Compile-only: nothing outside Terraform state is
# touched; the outputs are the grants the clouds would enforce.

terraform {
  required_providers {
    jit = {
      source = "registry.terraform.io/jit/jit"
    }
  }
}

provider "jit" {}

# Grants reviewed as files in the repository.
data "jit_document" "repo" {
  path = "${path.module}/policies"
}

resource "jit_binding" "repo" {
  for_each = data.jit_document.repo.bindings

  name        = each.key
  role_spec   = each.value.role_spec
  policy_spec = each.value.policy_spec
  subject {
    kind    = each.value.subject.kind
    name    = each.value.subject.name
    aws     = each.value.subject.aws
    gcp     = each.value.subject.gcp
    azure   = each.value.subject.azure
    openbao = each.value.subject.openbao
  }
  not_before    = each.value.not_before
  expires_at    = each.value.expires_at
  justification = each.value.justification
  ticket        = each.value.ticket
}

# A grant written inline.
resource "jit_role" "db_reader" {
  name        = "db-reader"
  description = "Connect to the reporting replica"
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/acme-prod"
  }
}

resource "jit_policy" "incident" {
  name        = "incident"
  description = "Short grants for incident response, any time of day"
  max_session = "30m"
  max_grant   = "2d"
  approval {
    approvers     = ["group:sre-leads"]
    min_approvals = 1
  }
}

resource "jit_binding" "oncall" {
  name        = "oncall-db"
  role_spec   = jit_role.db_reader.spec
  policy_spec = jit_policy.incident.spec
  subject {
    kind = "human"
    name = "alice"
    aws  = "arn:aws:iam::123456789012:user/alice"
    gcp  = "user:alice@acme.example"
  }
  not_before    = "2026-12-03T09:00:00Z"
  expires_at    = "2026-12-04T09:00:00Z"
  justification = "INC-4711 database latency"
  ticket        = "INC-4711"
}

locals {
  bindings = merge(jit_binding.repo, { (jit_binding.oncall.name) = jit_binding.oncall })
}

output "aws_policy_json" {
  description = "Each binding's AWS IAM policy document."
  value       = { for k, b in local.bindings : k => b.aws_policy_json == null ? null : jsondecode(b.aws_policy_json) }
}

output "gcp_binding" {
  description = "Each binding's GCP IAM binding with its CEL condition."
  value       = { for k, b in local.bindings : k => b.gcp_binding == null ? null : jsondecode(b.gcp_binding) }
}

output "status" {
  description = "pending, active or expired, as of the last apply."
  value       = { for k, b in local.bindings : k => b.status }
}
