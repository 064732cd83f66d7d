//! The benchmark corpus: 10,000 bindings in 100 files (HCL and YAML
//! alternating), 20 roles and 10 policies; shared by the compile benchmark
//! and `jitc diff`'s (which includes this file by path).

use std::path::Path;

pub const BINDINGS: usize = 10_000;
pub const FILES: usize = 100;

/// Which corpus to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // `jitc diff`'s benchmark uses one shape only
pub enum Shape {
    /// Week-long grants under two windows each; no Azure (PIM has none).
    Windows,
    /// Week-long grants without windows; roles carry `azure` too.
    Plain,
    /// One-year grants under one weekday window, three actions and two
    /// resources on AWS: too large to unroll, so AWS needs `--as-of`.
    YearLong,
}

/// Write the corpus of `shape` to `dir`.
pub fn write_corpus(dir: &Path, shape: Shape) {
    let windows = shape != Shape::Plain;
    let year = shape == Shape::YearLong;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("bench dir");
    let mut roles = String::from("version = \"jit/v1\"\n");
    for r in 0..20 {
        roles.push_str(&format!(
            "role \"role-{r}\" {{\n  aws {{\n    actions = [\"s3:GetObject\", \"s3:ListBucket\"{}]\n    resources = [\"arn:aws:s3:::bucket-{r}\", \"arn:aws:s3:::bucket-{r}/*\"]\n  }}\n  gcp {{\n    role = \"roles/storage.objectViewer\"\n    resource = \"projects/p-{r}\"\n  }}\n{}  openbao {{\n    path \"kv/data/team-{r}/*\" {{ capabilities = [\"read\", \"list\"] }}\n  }}\n}}\n",
            if year { ", \"s3:PutObject\"" } else { "" },
            if windows { String::new() } else { format!("  azure {{\n    role_definition_id = \"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae{}\"\n    scope = \"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-{r}\"\n  }}\n", r % 10) }
        ));
    }
    let mut policies = String::from("version = \"jit/v1\"\n");
    for p in 0..10 {
        policies.push_str(&format!(
            "policy \"policy-{p}\" {{\n  max_session = \"{}h\"\n  max_grant = \"{}\"\n",
            1 + p % 4,
            if year { "366d" } else { "14d" }
        ));
        if year {
            policies.push_str(&format!(
                "  window {{\n    days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n    start = \"0{}:00\"\n    end = \"17:30\"\n    timezone = \"America/New_York\"\n  }}\n",
                7 + p % 3
            ));
        } else if windows {
            policies.push_str(&format!(
                "  window {{\n    days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n    start = \"0{}:30\"\n    end = \"12:00\"\n    timezone = \"Europe/Paris\"\n  }}\n  window {{\n    days = [\"sat\"]\n    start = \"22:00\"\n    end = \"02:00\"\n    timezone = \"America/New_York\"\n  }}\n",
                7 + p % 3
            ));
        }
        policies.push_str("  require {\n    source_cidrs = [\"10.0.0.0/8\"]\n  }\n}\n");
    }
    std::fs::write(dir.join("roles.hcl"), roles).expect("write");
    std::fs::write(dir.join("policies.hcl"), policies).expect("write");
    let per_file = BINDINGS / FILES;
    for f in 0..FILES {
        let yaml = f % 2 == 1;
        let mut s = String::from(if yaml { "version: jit/v1\nbindings:\n" } else { "version = \"jit/v1\"\n" });
        for i in 0..per_file {
            let n = f * per_file + i;
            let (role, policy) = (n % 20, n % 10);
            let day = 1 + n % 20;
            let (nb, exp) = if year {
                (format!("2027-01-{day:02}T08:00:00Z"), format!("2028-01-{day:02}T08:00:00Z"))
            } else {
                (format!("2026-12-{day:02}T08:00:00Z"), format!("2026-12-{:02}T08:00:00Z", day + 7))
            };
            let subject_aws = format!("arn:aws:iam::123456789012:role/svc-{n}");
            let subject_gcp = format!("serviceAccount:svc-{n}@p.iam.gserviceaccount.com");
            let azure = format!("00000000-0000-0000-0000-{n:012}");
            if yaml {
                s.push_str(&format!(
                    "  b-{n}:\n    role: role-{role}\n    policy: policy-{policy}\n    subject:\n      kind: workload\n      name: svc-{n}\n      aws: \"{subject_aws}\"\n      gcp: \"{subject_gcp}\"\n      azure: \"{azure}\"\n      openbao: svc-{n}\n    not_before: \"{nb}\"\n    expires_at: \"{exp}\"\n    ticket: OPS-{n}\n"
                ));
            } else {
                s.push_str(&format!(
                    "binding \"b-{n}\" {{\n  role = \"role-{role}\"\n  policy = \"policy-{policy}\"\n  subject {{\n    kind = \"workload\"\n    name = \"svc-{n}\"\n    aws = \"{subject_aws}\"\n    gcp = \"{subject_gcp}\"\n    azure = \"{azure}\"\n    openbao = \"svc-{n}\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n  ticket = \"OPS-{n}\"\n}}\n"
                ));
            }
        }
        std::fs::write(dir.join(format!("bindings-{f:03}.{}", if yaml { "yaml" } else { "hcl" })), s).expect("write");
    }
}
