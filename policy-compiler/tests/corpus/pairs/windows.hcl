# Pair: windows. Same document as windows.yaml; `jitc compile` output must be
# byte-identical. Several windows, overnight, minute-level, three zones.
version = "jit/v1"

role "pair-windows-role" {
  description = "AWS, GCP and OpenBao under windows"
  aws {
    actions   = ["rds-db:connect", "rds:DescribeDBInstances"]
    resources = ["arn:aws:rds-db:eu-west-3:123456789012:dbuser:db-PAIRWIN/app", "arn:aws:rds:eu-west-3:123456789012:db:pair-win"]
  }
  gcp {
    role     = "roles/cloudsql.instanceUser"
    resource = "projects/corpus-pairs"
  }
  openbao {
    path "database/creds/pair-win" { capabilities = ["read"] }
    path "sys/leases/renew"        { capabilities = ["update"] }
  }
}

policy "pair-windows-policy" {
  description = "Paris mornings to the minute, New York nights, Tokyo Sundays"
  max_session = "90m"
  max_grant   = "10d"
  window {
    days     = ["mon", "wed", "fri"]
    start    = "08:30"
    end      = "12:15"
    timezone = "Europe/Paris"
  }
  window {
    days     = ["tue", "thu"]
    start    = "22:00"
    end      = "06:00"
    timezone = "America/New_York"
  }
  window {
    days     = ["sun"]
    start    = "10:00"
    end      = "16:00"
    timezone = "Asia/Tokyo"
  }
}

binding "pair-windows" {
  role   = "pair-windows-role"
  policy = "pair-windows-policy"
  subject {
    kind    = "workload"
    name    = "pair-win-bot"
    aws     = "arn:aws:iam::123456789012:role/pair-win-bot"
    gcp     = "serviceAccount:pair-win-bot@corpus-pairs.iam.gserviceaccount.com"
    openbao = "approle:pair-win-bot"
  }
  not_before    = "2026-10-22T09:00:00+02:00"
  expires_at    = "2026-10-31T18:30:00+01:00"
  justification = "Schema migration across the October DST change"
  ticket        = "PAIR-1"
}
