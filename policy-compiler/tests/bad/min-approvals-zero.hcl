# expect: JIT042 line 16
version = "jit/v1"

role "db-reader" {
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

policy "reviewed" {
  max_session = "1h"
  max_grant   = "30d"
  approval {
    approvers     = ["group:dba-leads", "user:bob"]
    min_approvals = 0
  }
}

binding "alice-reporting" {
  role   = "db-reader"
  policy = "reviewed"
  subject {
    kind = "human"
    name = "alice"
    aws  = "arn:aws:iam::123456789012:user/alice"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
