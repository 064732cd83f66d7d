# Pair: YAML anchors and aliases against plain HCL, and an HCL indented
# heredoc against a YAML literal block. Same document as anchors-heredoc.yaml.
# Two bindings share one subject and one time range; the policy has a window
# in the Paris spring-forward gap (02:30 on 2026-03-29 does not exist) and one
# in the New York fall-back fold (01:30 on 2026-11-01 happens twice).
version = "jit/v1"

role "pair-anchor-role" {
  aws {
    actions   = ["ec2:RebootInstances"]
    resources = ["arn:aws:ec2:eu-west-3:123456789012:instance/i-0pair0anchor00001"]
  }
  openbao {
    path "ssh/sign/ops" { capabilities = ["create", "update"] }
  }
}

policy "pair-anchor-gap" {
  max_grant = "8d"
  window {
    days     = ["sun"]
    start    = "02:30"
    end      = "03:30"
    timezone = "Europe/Paris"
  }
}

policy "pair-anchor-fold" {
  max_grant = "8d"
  window {
    days     = ["sun"]
    start    = "01:30"
    end      = "02:30"
    timezone = "America/New_York"
  }
}

binding "pair-anchor-gap" {
  role   = "pair-anchor-role"
  policy = "pair-anchor-gap"
  subject {
    kind    = "workload"
    name    = "patch-bot"
    aws     = "arn:aws:iam::123456789012:role/patch-bot"
    openbao = "approle:patch-bot"
  }
  not_before    = "2026-03-28T00:00:00Z"
  expires_at    = "2026-04-05T00:00:00Z"
  justification = <<-EOT
    Sunday patching during the DST change.
    Second line: checks the gap and the fold.
    EOT
  ticket        = "PAIR-4"
}

binding "pair-anchor-fold" {
  role   = "pair-anchor-role"
  policy = "pair-anchor-fold"
  subject {
    kind    = "workload"
    name    = "patch-bot"
    aws     = "arn:aws:iam::123456789012:role/patch-bot"
    openbao = "approle:patch-bot"
  }
  not_before    = "2026-10-31T00:00:00Z"
  expires_at    = "2026-11-08T00:00:00Z"
  justification = <<-EOT
    Sunday patching during the DST change.
    Second line: checks the gap and the fold.
    EOT
  ticket        = "PAIR-4"
}
