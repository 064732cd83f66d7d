# Weekday office hours in Paris, with MFA from the corporate network and one
# approval from the data team.
resource "jit_policy" "business_hours" {
  name        = "business-hours"
  description = "Weekdays 09:00-17:00 Paris time"
  max_session = "1h"
  max_grant   = "30d"

  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:00"
    timezone = "Europe/Paris"
  }

  require {
    mfa          = true
    source_cidrs = ["10.0.0.0/8", "192.0.2.0/24"]
    principal_tags = {
      team = "data"
    }
  }

  approval {
    approvers     = ["group:data-leads", "user:alice"]
    min_approvals = 1
  }
}

# A policy given as a jit/v1 document (HCL text holding exactly one policy).
resource "jit_policy" "emergency" {
  document = <<-HCL
    version = "jit/v1"

    policy "emergency" {
      description = "Declared incidents: short sessions, one day at most"
      max_session = "15m"
      max_grant   = "1d"
    }
  HCL
}
