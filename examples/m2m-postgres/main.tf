# Machine to machine: a reporting workload queries PostgreSQL with a database
# user that exists only inside its grant, for minutes.
#
#   jit_binding          grants `read` on OpenBao's database/creds/reporting
#                        (broker mode: an ACL policy and an AppRole role that
#                        exist while the binding is active)
#   jit_credential       logs the workload in just in time: no token outside
#                        the policy's windows, and none that outlives them
#   workload.py          reads a dynamic database user with that token and
#                        runs its query
#
# OpenBao's database engine is configured once by configure-database.sh.
# BAO_ADDR and BAO_TOKEN (for the provider) and PGHOST/PGPORT (for the
# workload) come from the environment.

terraform {
  required_version = ">= 1.10" # ephemeral resources

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
  default     = "2027-01-04T00:00:00Z"
}

variable "expires_at" {
  description = "End of the reporting grant (RFC 3339); at most 30 days after not_before."
  type        = string
  default     = "2027-01-29T00:00:00Z"
}

variable "window" {
  description = "When the workload may run: days and UTC hours."
  type = object({
    days  = list(string)
    start = string
    end   = string
  })
  default = {
    days  = ["mon", "tue", "wed", "thu", "fri"]
    start = "06:00"
    end   = "08:00"
  }
}

variable "run_report" {
  description = "Run the workload during this apply (it gets a credential just in time)."
  type        = bool
  default     = false
}

# What may be done: read dynamic credentials of the `reporting` database role.
resource "jit_role" "reporting_db" {
  name        = "reporting-db"
  description = "Read-only database users for the reporting job"
  openbao {
    path {
      path         = "database/creds/reporting"
      capabilities = ["read"]
    }
  }
}

# When and for how long: the early-morning window, sessions of 15 minutes.
# The database role's max_ttl (configure-database.sh) is no longer than
# this max_session.
resource "jit_policy" "reporting_window" {
  name        = "reporting-window"
  description = "Reporting runs: weekday mornings, 15 minute sessions"
  max_session = "15m"
  max_grant   = "30d"
  window {
    days     = var.window.days
    start    = var.window.start
    end      = var.window.end
    timezone = "UTC"
  }
}

resource "jit_binding" "reporting" {
  name        = "reporting-job"
  role_spec   = jit_role.reporting_db.spec
  policy_spec = jit_policy.reporting_window.spec
  subject {
    kind    = "workload"
    name    = "reporting-job"
    openbao = "reporting-job"
  }
  not_before    = var.not_before
  expires_at    = var.expires_at
  justification = "Monthly revenue report"
  ticket        = "DATA-311"
}

# A run of the workload. The token exists for this run only: it ends at the
# earliest of max_session, the window's end and expires_at, and is revoked
# when the run ends, and OpenBao revokes the database users read with it.
ephemeral "jit_credential" "reporting" {
  count = var.run_report ? 1 : 0
  rule  = jit_binding.reporting.broker_rule_json
}

resource "terraform_data" "report" {
  count = var.run_report ? 1 : 0
  # A new run at every apply.
  triggers_replace = timestamp()

  provisioner "local-exec" {
    command = "python3 ${path.module}/workload.py"
    environment = {
      BAO_TOKEN = ephemeral.jit_credential.reporting[0].token
    }
  }
}

output "status" {
  value = jit_binding.reporting.status
}

output "database_role_max_ttl" {
  description = "The longest database role max_ttl that stays within a session (seconds): configure-database.sh's DB_MAX_TTL."
  value       = jsondecode(jit_binding.reporting.openbao_role).token_explicit_max_ttl
}
