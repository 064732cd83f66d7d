# Company-wide policies maintained by the security team.
version = "jit/v1"

# No windows: a break-glass grant is usable at any time, but only for a day,
# with 15 minute sessions and two approvals out of three.
policy "emergency" {
  description = "Declared incidents: two approvals, short sessions, one day at most"
  max_session = "15m"
  max_grant   = "1d"
  approval {
    approvers     = ["group:sre-leads", "group:security-oncall", "user:dana"]
    min_approvals = 2
  }
}

# Overnight on-call in Paris: a window that starts on the weekday evening and
# ends the next morning. Humans only (MFA), from the office or the VPN.
policy "oncall-overnight" {
  description = "Weeknight on-call shift, 22:00 to 06:00 Paris time"
  max_session = "2h"
  max_grant   = "14d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "22:00"
    end      = "06:00"
    timezone = "Europe/Paris"
  }
  require {
    mfa          = true
    source_cidrs = ["10.20.0.0/16", "2001:1620:2040:1000::/64"]
  }
  approval {
    approvers     = ["group:sre-leads"]
    min_approvals = 1
  }
}

# Long-lived automation, pinned to the CI runners' networks.
policy "ci-automation" {
  description = "Workloads in CI: no windows, 90 day grants, runner networks only"
  max_session = "30m"
  max_grant   = "90d"
  require {
    source_cidrs = ["10.40.0.0/20", "2001:1620:2040:4000::/64"]
  }
}
