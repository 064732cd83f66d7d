# Grants to workloads (CI jobs, batch jobs, bots).
version = "jit/v1"

binding "etl-nightly" {
  role   = "etl-loader"
  policy = "nightly-batch"
  subject {
    kind    = "workload"
    name    = "etl-nightly"
    aws     = "arn:aws:iam::210987654321:role/etl-nightly"
    gcp     = "serviceAccount:etl-nightly@acme-analytics.iam.gserviceaccount.com"
    openbao = "approle:etl-nightly"
  }
  not_before    = "2026-09-01T00:00:00Z"
  expires_at    = "2026-09-15T00:00:00Z"
  justification = "September backfill of the raw exports"
  ticket        = "DATA-402"
}

binding "deployer-ci" {
  role   = "k8s-deployer"
  policy = "ci-automation"
  subject {
    kind = "workload"
    name = "deployer-ci"
    aws  = "arn:aws:iam::210987654321:role/github-actions-deployer"
  }
  not_before = "2026-07-01T00:00:00Z"
  expires_at = "2026-09-29T00:00:00Z"
  ticket     = "PLAT-1180"
}

binding "pki-bot" {
  role   = "pki-operator"
  policy = "ci-automation"
  subject {
    kind    = "workload"
    name    = "pki-bot"
    openbao = "approle:pki-bot"
  }
  not_before    = "2026-10-01T00:00:00Z"
  expires_at    = "2026-12-30T00:00:00Z"
  justification = "Certificate renewal automation, Q4"
}

# Deliberate: prod-observer has AWS and GCP permissions, but this exporter
# only exists in GCP, so the AWS target is skipped with a warning (JIT100).
binding "dashboard-exporter" {
  role   = "prod-observer"
  policy = "nightly-batch"
  subject {
    kind = "workload"
    name = "dashboard-exporter"
    gcp  = "serviceAccount:dashboard-exporter@acme-prod.iam.gserviceaccount.com"
  }
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-02-03T00:00:00Z"
}

# A workload identified by its SPIFFE ID, calling a service in the mesh
# every night of December.
binding "reconciler-ledger" {
  role   = "ledger-api-reader"
  policy = "nightly-batch"
  subject {
    kind   = "workload"
    name   = "reconciler"
    spiffe = "spiffe://acme.example/ns/finance/sa/reconciler"
  }
  not_before    = "2026-12-01T00:00:00Z"
  expires_at    = "2026-12-31T00:00:00Z"
  justification = "December ledger reconciliation"
  ticket        = "FIN-912"
}

# Elevation for the first backup nights of January: the job may assume
# backup-admin from 01:00 to 04:00 UTC, five nights. A session started at
# 03:59 lasts up to 3h (the policy's max_session) after the window: warning
# JIT110 says so.
binding "backup-job-elevation" {
  role   = "backup-admin-elevation"
  policy = "nightly-batch"
  subject {
    kind = "workload"
    name = "backup-job"
    aws  = "arn:aws:iam::210987654321:role/backup-job"
  }
  not_before    = "2027-01-04T00:00:00Z"
  expires_at    = "2027-01-09T00:00:00Z"
  justification = "Backup rotation, first week of January"
  ticket        = "CHG-2027-020"
}
