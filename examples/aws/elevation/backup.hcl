# Elevation: the nightly backup job normally holds its own low-privilege
# role (backup-job). On Sunday nights this quarter it may assume the
# privileged backup-admin role; so may the quarterly restore drill, run by
# another account's role, for January only. jit writes backup-admin's trust
# policy from these grants (see ../main.tf).
version = "jit/v1"

role "backup-admin" {
  description = "Assume backup-admin (snapshots, vault locks)"
  aws {
    assume_role = "arn:aws:iam::123456789012:role/backup-admin"
  }
}

policy "sunday-nights" {
  description = "Sunday 22:00 to Monday 02:00, Paris time; sessions of 2h at most"
  max_session = "2h"
  max_grant   = "92d"
  window {
    days     = ["sun"]
    start    = "22:00"
    end      = "02:00"
    timezone = "Europe/Paris"
  }
  approval {
    approvers     = ["group:platform-leads"]
    min_approvals = 1
  }
}

binding "backup-job-2027-q1" {
  role   = "backup-admin"
  policy = "sunday-nights"
  subject {
    kind = "workload"
    name = "backup-job"
    aws  = "arn:aws:iam::123456789012:role/backup-job"
  }
  not_before    = "2027-01-01T00:00:00Z"
  expires_at    = "2027-04-01T00:00:00Z"
  justification = "Nightly backups, Q1 2027"
  ticket        = "CHG-2027-014"
}

binding "restore-drill-2027-01" {
  role   = "backup-admin"
  policy = "sunday-nights"
  subject {
    kind = "workload"
    name = "restore-drill"
    aws  = "arn:aws:iam::210987654321:role/restore-drill"
  }
  not_before    = "2027-01-01T00:00:00Z"
  expires_at    = "2027-02-01T00:00:00Z"
  justification = "January restore drill, from the recovery account"
  ticket        = "CHG-2027-015"
}
