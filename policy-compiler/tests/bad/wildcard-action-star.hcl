# expect: JIT040 line 6
version = "jit/v1"

role "s3-admin" {
  aws {
    actions   = ["*"]
    resources = ["arn:aws:s3:::backups/*"]
  }
}

policy "short" {
  max_session = "1h"
  max_grant   = "30d"
}

binding "backup-bot" {
  role   = "s3-admin"
  policy = "short"
  subject {
    kind = "workload"
    name = "backup-bot"
    aws  = "arn:aws:iam::123456789012:role/backup-bot"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
