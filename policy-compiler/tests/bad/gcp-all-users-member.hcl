# expect: JIT054 line 13
version = "jit/v1"
role "r" {
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/acme-prod"
  }
}
policy "p" {}
binding "b" {
  role   = "r"
  policy = "p"
  subject {
    kind = "human"
    name = "everyone"
    gcp  = "allUsers"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
