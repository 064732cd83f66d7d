//! `make bench`: `jitc diff` between two git revisions of the compile
//! benchmark's 10,000-binding repository in which 1% of the bindings
//! changed (median of 5 runs of the real binary).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark: prints its figures, fails by panicking

use std::path::PathBuf;
use std::time::Instant;

#[path = "../../policy-compiler/benches/support/corpus.rs"]
mod corpus;
use corpus::{write_corpus, Shape, BINDINGS, FILES};

/// `jitc diff` between two revisions of a 10,000-binding repository in
/// which 1% of the bindings changed.
fn main() {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-corpus");
    let dir = base.join("diff-repo");
    write_corpus(&dir, Shape::Windows);
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
