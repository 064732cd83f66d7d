# A window starting at 01:30 America/New_York on Sundays. On 2026-11-01
# clocks fall back from 02:00 EDT to 01:00 EST, so 01:00-02:00 happens twice:
# the wall clock reads 01:30-02:00 in both passes (05:30Z-06:00Z in EDT and
# 06:30Z-07:30Z in EST, once the window reaches 02:30 EST).
version = "jit/v1"

role "fold-backup" {
  aws {
    actions   = ["backup:StartBackupJob"]
    resources = ["arn:aws:backup:us-east-1:123456789012:backup-vault:corpus-fold"]
  }
  gcp {
    role     = "roles/storage.objectAdmin"
    resource = "projects/corpus-fold"
  }
}

policy "sunday-fold" {
  max_grant = "15d"
  window {
    days     = ["sun"]
    start    = "01:30"
    end      = "02:30"
    timezone = "America/New_York"
  }
}

binding "fold-window" {
  role   = "fold-backup"
  policy = "sunday-fold"
  subject {
    kind = "workload"
    name = "fold-bot"
    aws  = "arn:aws:iam::123456789012:role/fold-bot"
    gcp  = "serviceAccount:fold-bot@corpus-fold.iam.gserviceaccount.com"
  }
  not_before = "2026-10-24T00:00:00-04:00"
  expires_at = "2026-11-07T00:00:00-05:00"
}
