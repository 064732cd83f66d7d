//! `make bench`: `jitc history` over 1,000 commits of a 1,000-binding
//! repository (100 files of 10 bindings and one file of roles and
//! policies), each commit changing one binding file. Reports the median of
//! 3 runs of the real binary and checks that each blob was parsed once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark: prints its figures, fails by panicking

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

const FILES: usize = 100;
const PER_FILE: usize = 10;
const COMMITS: usize = 1000;
/// 2027-01-04T00:00:00Z, a Monday.
const START: i64 = 1_799_020_800;

const SHARED: &str = r#"version = "jit/v1"

role "db-read" {
  openbao {
    path "database/creds/ro" { capabilities = ["read"] }
  }
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-1/reader"]
  }
}

policy "office" {
  max_grant   = "90d"
  max_session = "1h"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "08:00"
    end      = "18:00"
    timezone = "Europe/Paris"
  }
}
"#;

fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).expect("instant").to_string()
}

/// Bindings file `f`, whose first binding's grant is `extra` days longer.
fn bindings(f: usize, extra: i64) -> String {
    let mut s = String::from("version = \"jit/v1\"\n");
    for k in 0..PER_FILE {
        let n = f * PER_FILE + k;
        let days = 20 + (n as i64 % 30) + if k == 0 { extra } else { 0 };
        s.push_str(&format!(
            "\nbinding \"b{n:04}\" {{\n  role   = \"db-read\"\n  policy = \"office\"\n  subject {{\n    kind    = \"human\"\n    name    = \"user{n:04}\"\n    openbao = \"user{n:04}\"\n    aws     = \"arn:aws:iam::123456789012:user/user{n:04}\"\n  }}\n  not_before = \"{}\"\n  expires_at = \"{}\"\n}}\n",
            rfc3339(START),
            rfc3339(START + days * 86_400)
        ));
    }
    s
}

fn data(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("data {}\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.push(b'\n');
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-corpus/history-repo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let git = |args: &[&str]| {
        let ok = Command::new("git").args(args).current_dir(&dir).output().expect("git");
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    git(&["init", "-q", "-b", "main"]);
    // One fast-import stream: the first commit writes every file, each
    // later one rewrites one bindings file (a grant lengthened).
    let mut stream = Vec::new();
    let mut extra = vec![0i64; FILES];
    for c in 0..COMMITS {
        let time = START - 86_400 * 60 + c as i64 * 3_600;
        stream.extend_from_slice(
            format!("commit refs/heads/main\ncommitter Bench <bench@example.com> {time} +0000\n").as_bytes(),
        );
        data(&mut stream, format!("change {c}\n\nApproved-by: lead-{}\n", c % 7).as_bytes());
        if c == 0 {
            stream.extend_from_slice(b"M 100644 inline shared.hcl\n");
            data(&mut stream, SHARED.as_bytes());
            for (f, e) in extra.iter().enumerate() {
                stream.extend_from_slice(format!("M 100644 inline bindings-{f:03}.hcl\n").as_bytes());
                data(&mut stream, bindings(f, *e).as_bytes());
            }
        } else {
            let f = c % FILES;
            extra[f] += 1;
            stream.extend_from_slice(format!("M 100644 inline bindings-{f:03}.hcl\n").as_bytes());
            data(&mut stream, bindings(f, extra[f]).as_bytes());
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child.stdin.take().expect("stdin").write_all(&stream).expect("write stream");
    assert!(child.wait().expect("fast-import").success());
    git(&["checkout", "-q", "main"]);

    let (since, until) = (rfc3339(START - 86_400 * 60), rfc3339(START + 86_400 * 90));
    let mut times = Vec::new();
    let mut stats = String::new();
    let mut bindings_out = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_jitc"))
            .args(["history", ".", "--since", &since, "--until", &until, "--format", "json"])
            .current_dir(&dir)
            .output()
            .expect("jitc history");
        times.push(t.elapsed().as_secs_f64());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        stats = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        bindings_out = v["bindings"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(v["commits"], COMMITS);
    }
    times.sort_by(f64::total_cmp);
    // "history: C commit(s), B distinct blob(s), P parse(s), N binding(s)"
    let numbers: Vec<usize> =
        stats.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    let (blobs, parses) = (numbers[1], numbers[2]);
    println!(
        "jitc history over {COMMITS} commits of {} bindings: {:.3} s (median of 3); {blobs} distinct blobs, {parses} parses, {bindings_out} bindings reported; target < 5 s, each blob parsed once",
        FILES * PER_FILE,
        times[1]
    );
    assert_eq!(bindings_out, FILES * PER_FILE);
    assert_eq!(parses, blobs, "a blob was parsed more than once");
    assert_eq!(blobs, COMMITS + FILES, "one blob per commit, plus the first commit's files");
}
