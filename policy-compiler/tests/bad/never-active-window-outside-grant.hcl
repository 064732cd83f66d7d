# expect: JIT055 line 22
version = "jit/v1"

role "db-reader" {
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

policy "weekend-maintenance" {
  max_session = "1h"
  max_grant   = "30d"
  window {
    days     = ["sat"]
    start    = "08:00"
    end      = "12:00"
    timezone = "Europe/Paris"
  }
}

binding "maint-bot" {
  role   = "db-reader"
  policy = "weekend-maintenance"
  subject {
    kind = "workload"
    name = "maint-bot"
    aws  = "arn:aws:iam::123456789012:role/maint-bot"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-04T00:00:00Z"
}
