version = "jit/v1"

role "db-reader" {
  description = "Read the reporting replica"
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/acme-prod"
  }
  openbao {
    path "database/creds/reporting" { capabilities = ["read"] }
  }
}

policy "business-hours" {
  max_session = "1h"
  max_grant   = "30d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:00"
    timezone = "Europe/Paris"
  }
  require {
    source_cidrs   = ["10.0.0.0/8"]
    principal_tags = { team = "data" }
  }
  approval {
    approvers     = ["group:dba-leads", "user:alice"]
    min_approvals = 1
  }
}

binding "reporting-bot" {
  role   = "db-reader"
  policy = "business-hours"
  subject {
    kind    = "workload"
    name    = "reporting-bot"
    aws     = "arn:aws:iam::123456789012:role/reporting-bot"
    gcp     = "serviceAccount:reporting-bot@acme-prod.iam.gserviceaccount.com"
    openbao = "reporting-bot"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2026-12-15T00:00:00Z"
  justification = "Q4 revenue report"
  ticket        = "OPS-1234"
}
