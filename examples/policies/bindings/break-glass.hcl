# Break-glass grants for declared incidents. Each one names the incident.
version = "jit/v1"

binding "erik-break-glass" {
  role   = "break-glass-admin"
  policy = "emergency"
  subject {
    kind    = "human"
    name    = "erik"
    aws     = "arn:aws:iam::210987654321:role/breakglass-erik"
    gcp     = "user:erik@acme.example"
    azure   = "9d4e1f2a-6c3b-4a7d-8e5f-1b2c3d4e5f60"
    openbao = "erik"
  }
  not_before    = "2026-07-14T08:00:00+02:00"
  expires_at    = "2026-07-15T08:00:00+02:00"
  justification = "SEV-1: payment API outage, database failover"
  ticket        = "INC-4711"
}

binding "noor-aks-incident" {
  role   = "aks-cluster-admin"
  policy = "emergency"
  subject {
    kind  = "human"
    name  = "noor"
    azure = "c7a1e5d2-0b4f-4c8e-a9d3-5e6f7a8b9c01"
  }
  not_before    = "2026-10-03T21:30:00-04:00"
  expires_at    = "2026-10-04T09:30:00-04:00"
  justification = "SEV-2: AKS node pool stuck in upgrade"
  ticket        = "INC-4890"
}
