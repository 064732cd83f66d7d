# Overnight window (22:00-06:00 Europe/Paris, every day) across both DST
# changes of 2026: spring forward on 2026-03-29 (02:00 -> 03:00, the night
# is one hour shorter) and fall back on 2026-10-25 (03:00 -> 02:00, the night
# is one hour longer). The AWS intervals must follow the wall clock.
version = "jit/v1"

role "night-ops" {
  description = "Night operations console"
  aws {
    actions   = ["ssm:StartSession"]
    resources = ["arn:aws:ec2:eu-west-3:123456789012:instance/i-0abc123def4567890"]
  }
  gcp {
    role     = "roles/compute.instanceAdmin.v1"
    resource = "projects/corpus-night"
  }
}

policy "paris-nights" {
  max_grant = "7d"
  window {
    days     = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    start    = "22:00"
    end      = "06:00"
    timezone = "Europe/Paris"
  }
}

binding "spring-forward" {
  role   = "night-ops"
  policy = "paris-nights"
  subject {
    kind = "workload"
    name = "night-bot"
    aws  = "arn:aws:iam::123456789012:role/night-bot"
    gcp  = "serviceAccount:night-bot@corpus-night.iam.gserviceaccount.com"
  }
  not_before = "2026-03-27T00:00:00Z"
  expires_at = "2026-04-01T00:00:00Z"
}

binding "fall-back" {
  role   = "night-ops"
  policy = "paris-nights"
  subject {
    kind = "workload"
    name = "night-bot"
    aws  = "arn:aws:iam::123456789012:role/night-bot"
    gcp  = "serviceAccount:night-bot@corpus-night.iam.gserviceaccount.com"
  }
  not_before = "2026-10-23T00:00:00Z"
  expires_at = "2026-10-28T00:00:00Z"
}
