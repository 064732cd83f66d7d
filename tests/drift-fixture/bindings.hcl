version = "jit/v1"

# Fixture of tests/tests/drift.rs, evaluated at 2026-12-05T12:00:00Z:
# `now-active` is active, `was-active` expired, `not-yet` pending.

role "kv" {
  openbao {
    path "kv/data/app/*" { capabilities = ["read"] }
  }
}

policy "short" {
  max_session = "30m"
  require {
    source_cidrs = ["127.0.0.0/8"]
  }
}

binding "now-active" {
  role   = "kv"
  policy = "short"
  subject {
    kind    = "workload"
    name    = "app"
    openbao = "app"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-10T00:00:00Z"
}

binding "was-active" {
  role   = "kv"
  policy = "short"
  subject {
    kind    = "workload"
    name    = "old-app"
    openbao = "old-app"
  }
  not_before = "2026-11-01T00:00:00Z"
  expires_at = "2026-11-05T00:00:00Z"
}

binding "not-yet" {
  role   = "kv"
  policy = "short"
  subject {
    kind    = "workload"
    name    = "new-app"
    openbao = "new-app"
  }
  not_before = "2026-12-20T00:00:00Z"
  expires_at = "2026-12-24T00:00:00Z"
}
