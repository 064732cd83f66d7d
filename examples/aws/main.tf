# AWS: a just-in-time grant compiled by jit and enforced by IAM itself.
#
# The workload "reporting-bot" (a GitHub Actions workflow, through OIDC)
# may read the reports bucket on weekdays, 08:00-19:00 Paris time, for two
# weeks. jit compiles the grant at plan time; the AWS provider writes the
# result as the inline policy of the workload's IAM role. No jit process runs
# in AWS: IAM evaluates the time conditions at every request.
#
# These providers cannot be downloaded on the machines this project is
# tested on: this example is checked by `terraform fmt -check` and an HCL
# parse in the tests, but it was not applied here.

terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    jit = {
      source = "registry.terraform.io/jit/jit"
    }
  }
}

provider "aws" {
  region = "eu-west-3"
}

provider "jit" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  role_name  = "reporting-bot"

  # The role's ARN, built from its name rather than read from
  # aws_iam_role.reporting_bot.arn: the role takes its max_session_duration
  # from the binding, so the binding cannot also depend on the role (that
  # would be a dependency cycle). Both name the same role.
  role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.role_name}"

  # GitHub's OIDC provider, already registered in the account.
  github_oidc = "token.actions.githubusercontent.com"
}

# What may be done: read the reports bucket.
resource "jit_role" "reports_reader" {
  name        = "reports-reader"
  description = "Read the monthly reports"

  aws {
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::acme-reports", "arn:aws:s3:::acme-reports/*"]
  }
}

# When, and for how long: weekdays in Paris office hours, sessions of at
# most two hours.
resource "jit_policy" "weekdays" {
  name        = "weekdays-paris"
  description = "Weekdays 08:00-19:00 Paris time"
  max_session = "2h"
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
  role_spec   = jit_role.reports_reader.spec
  policy_spec = jit_policy.weekdays.spec

  subject {
    kind = "workload"
    name = "reporting-bot"
    aws  = local.role_arn
  }

  not_before    = "2027-01-04T00:00:00Z"
  expires_at    = "2027-01-18T00:00:00Z"
  justification = "January report run"
  ticket        = "CHG-2027-001"
}

# The workload's role. Its trust policy lets the workflow assume it at any
# time; what the sessions may do is only what the inline policy below allows,
# and that policy allows nothing outside the grant's intervals.
resource "aws_iam_role" "reporting_bot" {
  name        = local.role_name
  description = "Reporting workflow; access granted just in time by jit"

  # The policy's max_session (2h), in seconds, clamped by jit to the
  # 3600..43200 that IAM accepts: 7200.
  max_session_duration = jit_binding.reporting_bot.aws_max_session_duration

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/${local.github_oidc}" }
      Condition = {
        StringEquals = { "${local.github_oidc}:aud" = "sts.amazonaws.com" }
        StringLike   = { "${local.github_oidc}:sub" = "repo:acme/reporting:ref:refs/heads/main" }
      }
    }]
  })
}

# The grant itself. aws_policy_json is an IAM policy document with one Allow
# statement per active interval: the weekday windows are unrolled into
# absolute UTC intervals (daylight saving included), each statement bounded
# by DateGreaterThanEquals / DateLessThan on aws:CurrentTime. IAM checks the
# clock at every request, so the access opens and closes by itself; nothing
# has to run at 08:00, at 19:00 or at expiry.
#
# A grant too long to unroll within IAM's 10,240-character inline policy
# limit covers a rolling horizon of whole weeks instead: then
# enforcement["aws"] is "rolling", aws_valid_until is the horizon's end
# (nothing is allowed after it), and each `terraform apply` in a new week
# moves the horizon forward as an in-place update of this policy. Such a
# binding needs an apply at least weekly (e.g. a scheduled CI job). This
# two-week grant fits whole, so aws_valid_until is null.
resource "aws_iam_role_policy" "reporting_bot_jit" {
  name   = "jit-${jit_binding.reporting_bot.name}"
  role   = aws_iam_role.reporting_bot.id
  policy = jit_binding.reporting_bot.aws_policy_json
}

output "status" {
  description = "pending, active or expired, as of the last refresh."
  value       = jit_binding.reporting_bot.status
}

output "enforcement" {
  description = "How AWS enforces the grant's time: expanded (windows unrolled) or rolling."
  value       = jit_binding.reporting_bot.enforcement
}

output "aws_valid_until" {
  description = "End of the rolling horizon the policy covers; null when it covers the whole grant."
  value       = jit_binding.reporting_bot.aws_valid_until
}

# Elevation. The backup job holds its own low-privilege role; on Sunday
# nights this quarter it may assume backup-admin (elevation/backup.hcl).
# jit writes backup-admin's trust policy: one statement per Sunday night,
# naming the job's role as principal, for sts:AssumeRole and sts:TagSession,
# bounded on aws:CurrentTime. IAM checks it when the role is assumed, so a
# session started at 01:59 lasts up to max_session_duration (2h) after the
# window (warning JIT110); keep max_session short for elevation.
data "jit_document" "elevation" {
  path = "${path.module}/elevation"

  # Raise to 4096 if the account's "Role trust policy length" quota was
  # raised: more weeks fit before the horizon has to move.
  aws_trust_policy_limit = 2048
}

locals {
  # As the documents name it.
  backup_admin_arn = "arn:aws:iam::123456789012:role/backup-admin"
  backup_admin     = data.jit_document.elevation.aws_assumed_roles[local.backup_admin_arn]
}

resource "aws_iam_role" "backup_admin" {
  name        = "backup-admin"
  description = "Privileged backup role; assumable just in time, as jit grants"

  # The merged trust policy of every binding that may assume the role (in
  # binding-name order). It fits the 2,048-character trust policy limit by
  # covering a rolling horizon of whole weeks from the week of the last
  # plan (valid_until); a scheduled apply at least weekly moves it forward.
  assume_role_policy = local.backup_admin.trust_policy_json

  # The shortest max_session of those bindings, clamped to 1h..12h: 7200.
  max_session_duration = local.backup_admin.max_session_duration
}

output "backup_admin_trust_valid_until" {
  description = "End of the horizon backup-admin's trust policy covers; null when it covers every grant whole."
  value       = local.backup_admin.valid_until
}
