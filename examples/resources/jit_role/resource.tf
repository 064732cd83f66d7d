# A role given as arguments: what may be done, here on AWS.
resource "jit_role" "reader" {
  name        = "db-reader"
  description = "Connect to the reporting database"

  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

# OpenBao paths are repeated `path` blocks inside `openbao`.
resource "jit_role" "secrets" {
  name        = "reporting-secrets"
  description = "Read the reporting database credentials"

  openbao {
    path {
      path         = "database/creds/reporting-ro"
      capabilities = ["read"]
    }
    path {
      path         = "kv/data/reporting/*"
      capabilities = ["read", "list"]
    }
  }
}

# Mesh access: repeated `http` blocks, decided by OPA at each request
# (see docs/mesh.md).
resource "jit_role" "reports_reader" {
  name = "read-reports"

  http {
    service = "reports-api"
    methods = ["GET", "HEAD"]
    paths   = ["/v1/reports", "/v1/reports/*"]
  }
}

# The same kind of entry as a jit/v1 document (HCL or YAML text, e.g.
# `file("roles/vm-operator.yaml")`, holding exactly one role); `name` is
# taken from the document.
resource "jit_role" "operator" {
  document = <<-YAML
    version: jit/v1
    roles:
      vm-operator:
        description: Start and stop the reporting VMs
        azure:
          role_definition_id: /providers/Microsoft.Authorization/roleDefinitions/9980e02c-c2be-4d73-94e8-173b1dc7cf3c
          scope: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/reporting
  YAML
}
