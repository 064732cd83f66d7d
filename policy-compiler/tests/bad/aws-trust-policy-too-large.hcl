# expect: JIT056 line 6
version = "jit/v1"

role "break-glass" {
  aws {
    assume_role = "arn:aws:iam::123456789012:role/break-glass"
  }
}

policy "daily" {
  max_grant = "14d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start    = "09:00"
    end      = "10:00"
    timezone = "UTC"
  }
}

binding "oncall-0" {
  role   = "break-glass"
  policy = "daily"
  subject {
    kind = "human"
    name = "oncall-0"
    aws  = "arn:aws:iam::123456789012:user/oncall-0"
  }
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-01-18T00:00:00Z"
}

binding "oncall-1" {
  role   = "break-glass"
  policy = "daily"
  subject {
    kind = "human"
    name = "oncall-1"
    aws  = "arn:aws:iam::123456789012:user/oncall-1"
  }
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-01-18T00:00:00Z"
}

binding "oncall-2" {
  role   = "break-glass"
  policy = "daily"
  subject {
    kind = "human"
    name = "oncall-2"
    aws  = "arn:aws:iam::123456789012:user/oncall-2"
  }
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-01-18T00:00:00Z"
}
