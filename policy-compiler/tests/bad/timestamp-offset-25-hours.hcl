# expect: JIT026 line 24
version = "jit/v1"

role "db-reader" {
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

policy "short" {
  max_session = "1h"
  max_grant   = "30d"
}

binding "reporting-bot" {
  role   = "db-reader"
  policy = "short"
  subject {
    kind = "workload"
    name = "reporting-bot"
    aws  = "arn:aws:iam::123456789012:role/reporting-bot"
  }
  not_before = "2026-12-01T00:00:00+25:00"
  expires_at = "2026-12-15T00:00:00Z"
}
