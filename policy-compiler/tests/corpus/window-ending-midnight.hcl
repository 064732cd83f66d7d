# Windows touching midnight: one ends at 00:00 (so it is written as
# overnight, end < start, but nothing of it falls on the next day), one
# starts at 00:00 (no lower bound on the hour in CEL). Friday evening and the
# following Saturday morning meet at midnight and must merge into one AWS
# interval.
version = "jit/v1"

role "midnight-batch" {
  aws {
    actions   = ["glue:StartJobRun"]
    resources = ["arn:aws:glue:eu-west-1:123456789012:job/corpus-midnight"]
  }
  gcp {
    role     = "roles/dataflow.developer"
    resource = "projects/corpus-midnight"
  }
}

policy "around-midnight" {
  max_grant = "10d"
  window {
    days  = ["fri"]
    start = "20:00"
    end   = "00:00"
  }
  window {
    days  = ["sat"]
    start = "00:00"
    end   = "02:00"
  }
}

binding "midnight" {
  role   = "midnight-batch"
  policy = "around-midnight"
  subject {
    kind = "workload"
    name = "midnight-bot"
    aws  = "arn:aws:iam::123456789012:role/midnight-bot"
    gcp  = "serviceAccount:midnight-bot@corpus-midnight.iam.gserviceaccount.com"
  }
  not_before = "2027-03-01T00:00:00Z"
  expires_at = "2027-03-10T00:00:00Z"
}
