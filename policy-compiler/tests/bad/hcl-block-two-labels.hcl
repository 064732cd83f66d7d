# expect: JIT001 line 4
version = "jit/v1"

role "db" "reader" {
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-ABCDEFG/reporting"]
  }
}

policy "short" {
  max_session = "1h"
  max_grant   = "30d"
}
