version = "jit/v1"

# Two services in the mesh, three workloads calling them, windows in two
# zones. Compile with `jitc compile policies --target rego --out generated`.

role "read-reports" {
  description = "Read finished reports"
  http {
    service = "reports-api"
    methods = ["GET", "HEAD"]
    paths   = ["/v1/reports", "/v1/reports/*"]
  }
}

role "settle-payments" {
  description = "Create and inspect settlement runs"
  http {
    service = "payments-api"
    methods = ["POST"]
    paths   = ["/v1/settlements"]
  }
  http {
    service = "payments-api"
    methods = ["GET"]
    paths   = ["/v1/settlements/*"]
  }
}

policy "paris-office-hours" {
  description = "Weekdays in Paris"
  max_grant   = "90d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:00"
    end      = "19:00"
    timezone = "Europe/Paris"
  }
  require {
    source_cidrs = ["10.20.0.0/16"]
  }
}

policy "new-york-nightly" {
  description = "The settlement batch runs overnight in New York"
  max_grant   = "90d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "22:30"
    end      = "02:00"
    timezone = "America/New_York"
  }
  approval {
    approvers     = ["user:alice", "user:bob"]
    min_approvals = 1
  }
}

binding "reporting-bot-reports" {
  role   = "read-reports"
  policy = "paris-office-hours"
  subject {
    kind   = "workload"
    name   = "reporting-bot"
    spiffe = "spiffe://acme.example/ns/reporting/sa/reporting-bot"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2027-02-01T00:00:00Z"
  justification = "Monthly report exports"
  ticket        = "OPS-2101"
}

binding "settlement-batch-payments" {
  role   = "settle-payments"
  policy = "new-york-nightly"
  subject {
    kind   = "workload"
    name   = "settlement-batch"
    spiffe = "spiffe://acme.example/ns/payments/sa/settlement-batch"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2027-01-31T00:00:00Z"
  justification = "Year-end settlement runs"
  ticket        = "FIN-880"
}

binding "settlement-batch-reports" {
  role   = "read-reports"
  policy = "new-york-nightly"
  subject {
    kind   = "workload"
    name   = "settlement-batch"
    spiffe = "spiffe://acme.example/ns/payments/sa/settlement-batch"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2027-01-31T00:00:00Z"
  justification = "Settlement reconciles against the daily report"
  ticket        = "FIN-880"
}

binding "auditor-console-reports" {
  role   = "read-reports"
  policy = "paris-office-hours"
  subject {
    kind   = "workload"
    name   = "auditor-console"
    spiffe = "spiffe://acme.example/ns/audit/sa/auditor-console"
  }
  not_before    = "2026-12-14T00:00:00Z"
  expires_at    = "2026-12-19T00:00:00Z"
  justification = "Year-end audit fieldwork"
  ticket        = "AUD-77"
}
