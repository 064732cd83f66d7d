version = "jit/v1"

# Fixture of tests/tests/drift.rs. The test fills in the dates relative to
# its own clock (NOW): `now-active` is active, `was-active` expired,
# `not-yet` pending.

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
  not_before = "{NOW-4d}"
  expires_at = "{NOW+5d}"
}

binding "was-active" {
  role   = "kv"
  policy = "short"
  subject {
    kind    = "workload"
    name    = "old-app"
    openbao = "old-app"
  }
  not_before = "{NOW-34d}"
  expires_at = "{NOW-30d}"
}

binding "not-yet" {
  role   = "kv"
  policy = "short"
  subject {
    kind    = "workload"
    name    = "new-app"
    openbao = "new-app"
  }
  not_before = "{NOW+15d}"
  expires_at = "{NOW+19d}"
}
