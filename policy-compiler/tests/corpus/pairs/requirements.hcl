# Pair: requirements and approval. Same document as requirements.yaml.
# MFA for a human, IPv4 and IPv6 source networks (given unsorted and with a
# duplicate, which are canonicalised), principal tags, two of three
# approvers. The GCP and OpenBao targets cannot enforce all of it: the
# warnings JIT101 and JIT106 are expected and must be identical too.
version = "jit/v1"

role "pair-req-role" {
  aws {
    actions   = ["kms:Decrypt", "kms:DescribeKey"]
    resources = ["arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  }
  gcp {
    role     = "roles/cloudkms.cryptoKeyDecrypter"
    resource = "projects/corpus-pairs"
  }
  openbao {
    path "transit/decrypt/pair-req" { capabilities = ["update"] }
  }
}

policy "pair-req-policy" {
  max_session = "15m"
  max_grant   = "2d"
  require {
    mfa            = true
    source_cidrs   = ["2001:1620:2040:1234::/64", "192.168.10.0/24", "10.0.0.0/8", "192.168.10.0/24"]
    principal_tags = { team = "security", "clearance-level" = "high" }
  }
  approval {
    approvers     = ["group:security-leads", "user:quinn", "group:ciso-office"]
    min_approvals = 2
  }
}

binding "pair-req" {
  role   = "pair-req-role"
  policy = "pair-req-policy"
  subject {
    kind    = "human"
    name    = "riley"
    aws     = "arn:aws:iam::123456789012:user/riley"
    gcp     = "user:riley@corpus.example"
    openbao = "riley"
  }
  not_before    = "2027-02-14T08:00:00Z"
  expires_at    = "2027-02-16T08:00:00Z"
  justification = "Key ceremony"
  ticket        = "SEC-99"
}
