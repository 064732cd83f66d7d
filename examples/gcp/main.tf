# GCP: a just-in-time grant compiled by jit and enforced by IAM Conditions.
#
# The service account "reporting-bot" may read the analytics datasets on
# weekdays, 08:00-19:00 Paris time, for two weeks. jit compiles the grant at
# plan time into an IAM binding with a CEL condition on request.time; the
# Google provider adds it to the project's IAM policy. No jit process runs in
# GCP: IAM evaluates the condition at every request.
#
# These providers cannot be downloaded on the machines this project is
# tested on: this example is checked by `terraform fmt -check` and an HCL
# parse in the tests, but it was not applied here.

terraform {
  required_version = ">= 1.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    jit = {
      source = "registry.terraform.io/jit/jit"
    }
  }
}

locals {
  project = "acme-analytics"
}

provider "google" {
  project = local.project
}

provider "jit" {}

# What may be done: read BigQuery data in the project. A predefined or
# custom role: basic roles (owner, editor, viewer) cannot carry conditions.
resource "jit_role" "analytics_reader" {
  name        = "analytics-reader"
  description = "Read the analytics datasets"

  gcp {
    role     = "roles/bigquery.dataViewer"
    resource = "projects/${local.project}"
  }
}

# When: weekdays in Paris office hours. CEL expresses the windows exactly
# (getDayOfWeek / getHours in Europe/Paris). No max_session here: IAM
# Conditions carry no session length, so a GCP binding gets warning JIT108
# (access tokens follow GCP's own lifetimes).
resource "jit_policy" "weekdays" {
  name        = "weekdays-paris"
  description = "Weekdays 08:00-19:00 Paris time"
  max_grant   = "30d"

  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:00"
    end      = "19:00"
    timezone = "Europe/Paris"
  }

  approval {
    approvers     = ["group:data-leads"]
    min_approvals = 1
  }
}

# Who, from when, until when.
resource "jit_binding" "reporting_bot" {
  name        = "reporting-bot"
  role_spec   = jit_role.analytics_reader.spec
  policy_spec = jit_policy.weekdays.spec

  subject {
    kind = "workload"
    name = "reporting-bot"
    gcp  = "serviceAccount:reporting-bot@${local.project}.iam.gserviceaccount.com"
  }

  not_before    = "2027-01-04T00:00:00Z"
  expires_at    = "2027-01-18T00:00:00Z"
  justification = "January report run"
  ticket        = "CHG-2027-001"
}

locals {
  # {role, members, condition {title, description, expression}}, known at
  # plan time: reviewers see the CEL expression in `terraform plan`.
  b = jsondecode(jit_binding.reporting_bot.gcp_binding)
}

# The grant itself: one conditional member of the project's IAM policy,
# for the project named by the role's gcp.resource. Conditional bindings
# need IAM policy version 3; the Google provider reads and writes the
# project policy at version 3 for conditional members, so nothing has to be
# set for it. The condition is
#   request.time >= not_before && request.time < expires_at && <windows>
# so the access opens and closes by itself.
resource "google_project_iam_member" "reporting_bot_jit" {
  # gcp_resource is the role's gcp.resource, "projects/<id>".
  project = trimprefix(jit_binding.reporting_bot.gcp_resource, "projects/")
  role    = local.b.role
  member  = local.b.members[0] # one subject, one member

  condition {
    title       = local.b.condition.title
    description = local.b.condition.description
    expression  = local.b.condition.expression
  }
}

output "gcp_condition" {
  description = "The CEL condition IAM evaluates at every request."
  value       = local.b.condition.expression
}

output "status" {
  description = "pending, active or expired, as of the last refresh."
  value       = jit_binding.reporting_bot.status
}
