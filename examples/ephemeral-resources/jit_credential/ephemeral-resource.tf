ephemeral "jit_credential" "reporting" {
  rule = jit_binding.reporting.broker_rule_json
  ttl  = "10m"
}
