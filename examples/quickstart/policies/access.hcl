version = "jit/v1"

policy "office-hours" {
  description = "Weekdays in Paris, one-hour sessions, from the office network"
  max_session = "1h"
  max_grant   = "14d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:30"
    end      = "18:00"
    timezone = "Europe/Paris"
  }
  require {
    source_cidrs = ["10.20.0.0/16"]
  }
}

binding "etl-exports" {
  role   = "bucket-reader"
  policy = "office-hours"
  subject {
    kind = "workload"
    name = "etl"
    aws  = "arn:aws:iam::123456789012:role/etl"
    gcp  = "serviceAccount:etl@acme-analytics.iam.gserviceaccount.com"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2026-12-12T00:00:00Z"
  justification = "December export backfill"
  ticket        = "DATA-812"
}
