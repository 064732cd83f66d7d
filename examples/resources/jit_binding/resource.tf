# Grants the role and policy of the jit_role and jit_policy examples
# (`jit_role.reader`, `jit_policy.business_hours`) to an analyst for two weeks.
resource "jit_binding" "bob_reporting" {
  name        = "bob-reporting"
  role_spec   = jit_role.reader.spec
  policy_spec = jit_policy.business_hours.spec

  subject {
    kind = "human"
    name = "bob"
    aws  = "arn:aws:iam::123456789012:role/bob"
  }

  not_before    = "2027-01-04T00:00:00Z"
  expires_at    = "2027-01-18T00:00:00Z"
  justification = "Quarterly report run"
  ticket        = "CHG-1234"
}

# Reviewers see the compiled IAM policy in `terraform plan`; feed it to the
# AWS provider's own resources.
output "bob_reporting_aws_policy" {
  value = jit_binding.bob_reporting.aws_policy_json
}

output "bob_reporting_status" {
  value = jit_binding.bob_reporting.status
}
