# One policy, four windows in four time zones, one of them overnight and one
# at minute precision. Intervals from different zones overlap and must be
# merged into maximal UTC intervals for AWS. (No GCP target: four windows,
# one overnight, would need 14 logical operators, over GCP's 12.)
version = "jit/v1"

role "global-support" {
  description = "Support tooling for the follow-the-sun desk"
  aws {
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/corpus-support-cases"]
  }
  openbao {
    path "kv/data/support/*" { capabilities = ["read"] }
  }
}

policy "three-hubs" {
  max_session = "8h"
  max_grant   = "7d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "18:00"
    timezone = "Europe/Paris"
  }
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:30"
    end      = "17:45"
    timezone = "America/New_York"
  }
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "18:00"
    timezone = "Asia/Tokyo"
  }
  window {
    days     = ["sat"]
    start    = "22:00"
    end      = "06:00"
    timezone = "UTC"
  }
}

binding "support-desk" {
  role   = "global-support"
  policy = "three-hubs"
  subject {
    kind    = "human"
    name    = "sam"
    aws     = "arn:aws:iam::123456789012:role/support-sam"
    gcp     = "user:sam@corpus.example"
    openbao = "sam"
  }
  not_before = "2026-06-08T00:00:00+09:00"
  expires_at = "2026-06-15T00:00:00+09:00"
}
