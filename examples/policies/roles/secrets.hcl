# Secrets platform roles: OpenBao only.
version = "jit/v1"

role "pki-operator" {
  description = "Issue and revoke internal TLS certificates"
  openbao {
    path "pki_int/issue/acme-internal" { capabilities = ["create", "update"] }
    path "pki_int/revoke"              { capabilities = ["update"] }
    path "pki_int/certs"               { capabilities = ["list"] }
    path "pki_int/cert/*"              { capabilities = ["read"] }
    path "pki_int/roles/*"             { capabilities = ["read", "list"] }
  }
}
