# Every *.hcl, *.yaml and *.yml file under ./policies, compiled as one unit.
# Errors fail the plan and name the document's file and line.
data "jit_document" "access" {
  path = "${path.module}/policies"
}

# One jit_binding per binding of the documents.
resource "jit_binding" "from_documents" {
  for_each = data.jit_document.access.bindings

  name          = each.key
  role_spec     = each.value.role_spec
  policy_spec   = each.value.policy_spec
  not_before    = each.value.not_before
  expires_at    = each.value.expires_at
  justification = each.value.justification
  ticket        = each.value.ticket

  subject {
    kind    = each.value.subject.kind
    name    = each.value.subject.name
    aws     = each.value.subject.aws
    gcp     = each.value.subject.gcp
    azure   = each.value.subject.azure
    openbao = each.value.subject.openbao
    spiffe  = each.value.subject.spiffe
  }
}

# The OPA bundle and the Istio objects of every binding with mesh access,
# as files, e.g. for an object store that OPA polls.
resource "local_file" "bundle" {
  for_each = data.jit_document.access.bundle_files

  filename = "${path.module}/generated/${each.key}"
  content  = each.value
}

# Roles and policies are also available by name, e.g. for a binding written
# in Terraform against a role kept in the documents.
output "document_roles" {
  value = keys(data.jit_document.access.roles)
}

output "document_files" {
  value = data.jit_document.access.files
}
