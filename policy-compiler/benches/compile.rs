//! `make bench`: compile 10,000 bindings from one folder and print the
//! per-binding cost split into parse, resolve+validate and lower+render,
//! plus peak RSS of a process that does only that.
//!
//! Two corpora: every binding with two windows and the four targets that
//! can express windows (aws, gcp, openbao, broker), since Azure PIM cannot
//! (an error by design); and every binding without windows and all five
//! targets. Run with `cargo bench -p jit-policy-compiler --bench compile`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark: prints its figures, fails by panicking

use jit_policy::diag::Diagnostics;
use jit_policy::lower::{lower_binding, Options, Target};
use jit_policy::{load, render, resolve, validate};
use std::path::{Path, PathBuf};
use std::time::Instant;

const BINDINGS: usize = 10_000;
const FILES: usize = 100;

fn write_corpus(dir: &Path, windows: bool) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("bench dir");
    let mut roles = String::from("version = \"jit/v1\"\n");
    for r in 0..20 {
        roles.push_str(&format!(
            "role \"role-{r}\" {{\n  aws {{\n    actions = [\"s3:GetObject\", \"s3:ListBucket\"]\n    resources = [\"arn:aws:s3:::bucket-{r}\", \"arn:aws:s3:::bucket-{r}/*\"]\n  }}\n  gcp {{\n    role = \"roles/storage.objectViewer\"\n    resource = \"projects/p-{r}\"\n  }}\n{}  openbao {{\n    path \"kv/data/team-{r}/*\" {{ capabilities = [\"read\", \"list\"] }}\n  }}\n}}\n",
            if windows { String::new() } else { format!("  azure {{\n    role_definition_id = \"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae{}\"\n    scope = \"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-{r}\"\n  }}\n", r % 10) }
        ));
    }
    let mut policies = String::from("version = \"jit/v1\"\n");
    for p in 0..10 {
        policies.push_str(&format!(
            "policy \"policy-{p}\" {{\n  max_session = \"{}h\"\n  max_grant = \"14d\"\n",
            1 + p % 4
        ));
        if windows {
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
            let nb = format!("2026-12-{day:02}T08:00:00Z");
            let exp = format!("2026-12-{:02}T08:00:00Z", day + 7);
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

/// Compile the folder once, timing each stage; returns (bindings, bytes of
/// output, [read, parse, resolve+validate, lower+render] seconds).
fn run(dir: &Path) -> (usize, usize, [f64; 4]) {
    let t0 = Instant::now();
    let sources = load::load_paths(&[dir.to_path_buf()]).expect("load");
    let t1 = Instant::now();
    let mut diags = Diagnostics::new();
    let docs = jit_policy::parse_all(&sources, &mut diags);
    let t2 = Instant::now();
    let model = resolve::resolve(&docs, &sources, &mut diags);
    validate::validate(&model, &resolve::referenced(&docs), &mut diags);
    let t3 = Instant::now();
    let opts = Options::default();
    let outputs: Vec<_> = model.bindings.iter().map(|b| lower_binding(b, &Target::ALL, &opts, &mut diags)).collect();
    // Stream the JSON to a byte counter, as `jitc compile > file` streams it.
    let mut sink = Counter(0);
    render::write_compile_json(&mut sink, &outputs).expect("render");
    let t4 = Instant::now();
    assert!(!diags.has_errors(), "bench corpus has errors: {:?}", diags.errors().next());
    assert_eq!(model.bindings.len(), BINDINGS);
    let secs = |a: Instant, b: Instant| (b - a).as_secs_f64();
    (model.bindings.len(), sink.0, [secs(t0, t1), secs(t1, t2), secs(t2, t3), secs(t3, t4)])
}

struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// `jitc diff` between two revisions of a 10,000-binding repository in
/// which 1% of the bindings changed.
fn diff_bench(base: &Path) {
    let dir = base.join("diff-repo");
    write_corpus(&dir, true);
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git").args(args).current_dir(&dir).output().expect("git");
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["config", "user.email", "bench@example.com"]);
    git(&["config", "user.name", "bench"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "base"]);
    // 1%: shorten the grant of every 100th binding.
    for f in 0..FILES {
        let yaml = f % 2 == 1;
        let path = dir.join(format!("bindings-{f:03}.{}", if yaml { "yaml" } else { "hcl" }));
        let text = std::fs::read_to_string(&path).expect("read");
        let per_file = BINDINGS / FILES;
        let n = f * per_file; // the first binding of each file
        let day = 1 + n % 20;
        let from = format!("2026-12-{:02}T08:00:00Z", day + 7);
        let to = format!("2026-12-{:02}T08:00:00Z", day + 6);
        let text = text.replacen(&from, &to, 1);
        std::fs::write(&path, text).expect("write");
    }
    git(&["commit", "-q", "-am", "shorten 1%"]);
    let mut times = Vec::new();
    let mut changes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_jitc"))
            .args(["diff", "HEAD~1", "HEAD", ".", "--format", "json"])
            .current_dir(&dir)
            .output()
            .expect("jitc diff");
        times.push(t.elapsed().as_secs_f64());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        changes = v["changes"].as_array().map(Vec::len).unwrap_or(0);
    }
    times.sort_by(f64::total_cmp);
    println!("jitc diff of two revisions of {BINDINGS} bindings, 1% changed: {:.3} s (median of 5), {changes} changes reported; target < 2 s", times[2]);
    assert_eq!(changes, BINDINGS / 100);
}

fn main() {
    // Child mode: compile once and report peak RSS of this process alone.
    if let Ok(dir) = std::env::var("JIT_BENCH_CHILD") {
        let (n, bytes, t) = run(Path::new(&dir));
        println!("{n} {bytes} {} {} {} {} {}", t[0], t[1], t[2], t[3], peak_rss_kib());
        return;
    }
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-corpus");
    let exe = std::env::current_exe().expect("current exe");
    for (label, windows) in [("two windows; aws, gcp, openbao, broker", true), ("no windows; all five targets", false)]
    {
        let dir = base.join(if windows { "windows" } else { "plain" });
        write_corpus(&dir, windows);
        let mut runs = Vec::new();
        for _ in 0..5 {
            let out = std::process::Command::new(&exe).env("JIT_BENCH_CHILD", &dir).output().expect("child run");
            assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
            let v: Vec<f64> =
                String::from_utf8_lossy(&out.stdout).split_whitespace().filter_map(|x| x.parse().ok()).collect();
            runs.push(v);
        }
        // Median run by total time.
        runs.sort_by(|a, b| (a[2] + a[3] + a[4] + a[5]).total_cmp(&(b[2] + b[3] + b[4] + b[5])));
        let m = &runs[runs.len() / 2];
        let n = m[0];
        let total = m[2] + m[3] + m[4] + m[5];
        let per = |s: f64| s * 1e6 / n;
        println!("compile {n} bindings in {} files ({label}), median of 5 runs, one thread:", FILES + 2);
        println!("  wall        {:8.3} s   ({:6.1} us/binding)   target <= 1 s", total, per(total));
        println!("  read        {:8.3} s   ({:6.1} us/binding)", m[2], per(m[2]));
        println!("  parse       {:8.3} s   ({:6.1} us/binding)", m[3], per(m[3]));
        println!("  validate    {:8.3} s   ({:6.1} us/binding)   resolve + validate", m[4], per(m[4]));
        println!(
            "  lower       {:8.3} s   ({:6.1} us/binding)   lower + render JSON ({:.1} MB)",
            m[5],
            per(m[5]),
            m[1] / 1e6
        );
        println!("  peak RSS    {:8.1} MB                        target <= 200 MB", m[6] / 1024.0);
    }
    diff_bench(&base);
}
