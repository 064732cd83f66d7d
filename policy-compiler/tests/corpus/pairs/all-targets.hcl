# Pair: all four targets, no windows. Same document as all-targets.yaml.
# Azure needs a policy without windows. Strings with quotes, a backslash and
# non-ASCII characters must come out identical from both syntaxes. Roles,
# policy and binding are written in a different order than in the YAML.
version = "jit/v1"

binding "pair-all" {
  ticket        = "CHG-2027-0042"
  justification = "Migration \"phase 2\": move C:\\data to Zürich (Ω)"
  expires_at    = "2027-03-20T09:00:00+01:00"
  not_before    = "2027-03-06T09:00:00+01:00"
  subject {
    openbao = "morgan"
    azure   = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    gcp     = "user:morgan@corpus.example"
    aws     = "arn:aws:iam::123456789012:user/morgan"
    name    = "morgan"
    kind    = "human"
  }
  policy = "pair-all-policy"
  role   = "pair-all-role"
}

policy "pair-all-policy" {
  description = "Two weeks, 6h sessions, one approver of two"
  max_session = "6h"
  max_grant   = "2w"
  approval {
    min_approvals = 1
    approvers     = ["group:migration-leads", "user:jordan"]
  }
}

role "pair-all-role" {
  description     = "Every target: AWS, GCP, Azure, OpenBao — «données»"
  allow_wildcards = true
  openbao {
    path "kv/data/migration/*"     { capabilities = ["read", "list", "create", "update"] }
    path "kv/metadata/migration/*" { capabilities = ["list"] }
    path "kv/data/migration/root"  { capabilities = ["deny"] }
  }
  azure {
    scope              = "/subscriptions/22222222-3333-4444-5555-666666666666/resourceGroups/corpus-migration"
    role_definition_id = "/subscriptions/22222222-3333-4444-5555-666666666666/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
  }
  gcp {
    resource = "projects/corpus-migration"
    role     = "roles/storage.admin"
  }
  aws {
    resources = ["*"]
    actions   = ["s3:*"]
  }
}
