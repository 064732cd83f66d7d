# Broker mode: bindings become real OpenBao ACL policies and AppRole roles,
# which exist only while the binding is active. The address and token come
# from BAO_ADDR and BAO_TOKEN; AppRole is expected at `approle/`.

terraform {
  required_providers {
    jit = {
      source = "registry.terraform.io/jit/jit"
    }
  }
}

provider "jit" {
  openbao {}
}

variable "not_before" {
  description = "Start of the reporting grant (RFC 3339)."
  type        = string
  default     = "2026-11-20T00:00:00Z"
}

variable "expires_at" {
  description = "End of the reporting grant (RFC 3339); at most 30 days after not_before."
  type        = string
  default     = "2026-12-18T00:00:00Z"
}

resource "jit_role" "kv_reader" {
  name        = "kv-reader"
  description = "Read the reporting secrets"
  openbao {
    path {
      path         = "kv/data/reporting/*"
      capabilities = ["read", "list"]
    }
    path {
      path         = "kv/metadata/reporting/*"
      capabilities = ["list"]
    }
  }
}

resource "jit_policy" "short_sessions" {
  name        = "short-sessions"
  max_session = "30m"
  max_grant   = "30d"
  require {
    source_cidrs = ["127.0.0.0/8", "10.0.0.0/8"]
  }
}

resource "jit_binding" "reporting" {
  name        = "reporting-bot"
  role_spec   = jit_role.kv_reader.spec
  policy_spec = jit_policy.short_sessions.spec
  subject {
    kind    = "workload"
    name    = "reporting-bot"
    openbao = "reporting-bot"
  }
  not_before    = var.not_before
  expires_at    = var.expires_at
  justification = "Monthly reporting run"
  ticket        = "OPS-2001"
}

output "status" {
  value = jit_binding.reporting.status
}

output "openbao_objects" {
  description = "The OpenBao policy and AppRole role of the binding (empty unless active)."
  value       = jit_binding.reporting.openbao_objects
}
