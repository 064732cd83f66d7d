# expect: JIT049 line 16
version = "jit/v1"

group "dba-leads" {
  members = ["user:alice", "user:bob"]
}

role "db-admin" {
  aws {
    actions   = ["rds:RebootDBInstance"]
    resources = ["arn:aws:rds:eu-west-1:123456789012:db:orders"]
  }
}

policy "db-change" {
  approval {
    approvers     = ["group:dba-lead"]
    min_approvals = 1
  }
}

binding "carol-reboot" {
  role   = "db-admin"
  policy = "db-change"
  subject {
    kind = "human"
    name = "carol"
    aws  = "arn:aws:iam::123456789012:user/carol"
  }
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-01-05T00:00:00Z"
}
