# Mesh access: HTTP calls between services, decided by OPA at each request
# (the `rego` target; see docs/mesh.md and examples/mesh/).
version = "jit/v1"

role "ledger-api-reader" {
  description = "Read ledger entries through the mesh"
  http {
    service = "ledger-api"
    methods = ["GET", "HEAD"]
    paths   = ["/v2/entries", "/v2/entries/*"]
  }
}
