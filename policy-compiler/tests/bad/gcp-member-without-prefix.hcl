# expect: JIT046 line 22
version = "jit/v1"

role "sql-client" {
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/acme-prod"
  }
}

policy "short" {
  max_session = "1h"
  max_grant   = "30d"
}

binding "reporting-bot" {
  role   = "sql-client"
  policy = "short"
  subject {
    kind = "workload"
    name = "reporting-bot"
    gcp  = "reporting-bot@acme-prod.iam.gserviceaccount.com"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
