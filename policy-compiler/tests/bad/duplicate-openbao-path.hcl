# expect: JIT009 line 7
version = "jit/v1"

role "db-reader" {
  openbao {
    path "database/creds/reporting" { capabilities = ["read"] }
    path "database/creds/reporting" { capabilities = ["list"] }
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
    kind    = "workload"
    name    = "reporting-bot"
    openbao = "reporting-bot"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
