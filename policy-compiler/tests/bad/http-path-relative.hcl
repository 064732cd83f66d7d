# expect: JIT063 line 8
version = "jit/v1"

role "read-reports" {
  http {
    service = "reports-api"
    methods = ["GET"]
    paths   = ["v1/reports"]
  }
}

policy "office" {
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:00"
    end      = "19:00"
    timezone = "Europe/Paris"
  }
}

binding "reporting-bot" {
  role   = "read-reports"
  policy = "office"
  subject {
    kind   = "workload"
    name   = "reporting-bot"
    spiffe = "spiffe://acme.example/ns/reporting/sa/reporting-bot"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
