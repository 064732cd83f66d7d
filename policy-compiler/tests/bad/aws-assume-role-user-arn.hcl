# expect: JIT048 line 6
version = "jit/v1"

role "backup-admin" {
  aws {
    assume_role = "arn:aws:iam::123456789012:user/alice"
  }
}

policy "sunday-nights" {
  max_session = "1h"
  max_grant   = "92d"
}

binding "backup-job" {
  role   = "backup-admin"
  policy = "sunday-nights"
  subject {
    kind = "workload"
    name = "backup-job"
    aws  = "arn:aws:iam::123456789012:role/backup-job"
  }
  not_before = "2027-01-01T00:00:00Z"
  expires_at = "2027-03-01T00:00:00Z"
}
