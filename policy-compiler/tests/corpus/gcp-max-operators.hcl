# A GCP condition with exactly 12 logical operators, the most GCP allows:
#   2 for the grant bounds (3 conjuncts)
# + 2 for the || between the three windows
# + 2 for window 1 (days && start && end)
# + 3 for window 2 (overnight: (days && start) || (next days && end))
# + 3 for window 3 (overnight, minute-level)
# = 12. One more window or clause is an error (JIT051).
version = "jit/v1"

role "cel-limit" {
  gcp {
    role     = "roles/cloudsql.client"
    resource = "projects/corpus-cel"
  }
}

policy "twelve-operators" {
  max_grant = "30d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:30"
    end      = "18:15"
    timezone = "Europe/Paris"
  }
  window {
    days     = ["fri", "sat"]
    start    = "22:00"
    end      = "04:00"
    timezone = "America/New_York"
  }
  window {
    days     = ["sun"]
    start    = "21:45"
    end      = "03:30"
    timezone = "Asia/Tokyo"
  }
}

binding "cel-max" {
  role   = "cel-limit"
  policy = "twelve-operators"
  subject {
    kind = "workload"
    name = "cel-bot"
    gcp  = "serviceAccount:cel-bot@corpus-cel.iam.gserviceaccount.com"
  }
  not_before = "2027-04-01T00:00:00Z"
  expires_at = "2027-05-01T00:00:00Z"
}
