# expect: JIT052 line 31
version = "jit/v1"

role "db-reader" {
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

policy "daily-batch" {
  max_session = "1h"
  max_grant   = "366d"
  window {
    days     = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    start    = "02:00"
    end      = "04:00"
    timezone = "Europe/Paris"
  }
}

binding "batch-bot" {
  role   = "db-reader"
  policy = "daily-batch"
  subject {
    kind = "workload"
    name = "batch-bot"
    aws  = "arn:aws:iam::123456789012:role/batch-bot"
  }
  not_before = "2026-01-01T00:00:00Z"
  expires_at = "2026-08-01T00:00:00Z"
}
