# expect: JIT051 line 14
version = "jit/v1"

role "sql-client" {
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/acme-prod"
  }
}

policy "night-shifts" {
  max_session = "1h"
  max_grant   = "30d"
  window {
    days     = ["mon", "tue"]
    start    = "22:30"
    end      = "06:15"
    timezone = "Europe/Paris"
  }
  window {
    days     = ["wed", "thu"]
    start    = "21:45"
    end      = "05:30"
    timezone = "Europe/Paris"
  }
  window {
    days     = ["fri"]
    start    = "23:15"
    end      = "07:45"
    timezone = "Europe/Paris"
  }
}

binding "oncall-bot" {
  role   = "sql-client"
  policy = "night-shifts"
  subject {
    kind = "workload"
    name = "oncall-bot"
    gcp  = "serviceAccount:oncall-bot@acme-prod.iam.gserviceaccount.com"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
