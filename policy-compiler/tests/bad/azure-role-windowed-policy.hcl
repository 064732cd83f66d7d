# expect: JIT050 line 14
version = "jit/v1"

role "rg-reader" {
  azure {
    role_definition_id = "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    scope              = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/reporting"
  }
}

policy "business-hours" {
  max_session = "1h"
  max_grant   = "30d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:00"
    timezone = "Europe/Paris"
  }
}

binding "alice-reporting" {
  role   = "rg-reader"
  policy = "business-hours"
  subject {
    kind  = "human"
    name  = "alice"
    azure = "00000000-0000-0000-0000-000000000001"
  }
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-15T00:00:00Z"
}
