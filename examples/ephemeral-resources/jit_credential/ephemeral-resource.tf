ephemeral "jit_credential" "reporting" {
  binding = jit_binding.reporting.name
  ttl     = "10m"
}
