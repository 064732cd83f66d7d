//! `make bench`: compile 10,000 bindings from one folder and print the
//! per-binding cost split into parse, resolve+validate and lower+render,
//! plus peak RSS of a process that does only that.
//!
//! Three corpora: every binding with two windows and the four targets that
//! can express windows (aws, gcp, openbao, broker), since Azure PIM cannot
//! (an error by design); every binding without windows and all five
//! targets; and one-year weekday-window bindings on the same four targets,
//! compiled `--as-of` an instant so AWS covers a rolling horizon. Run with
//! `cargo bench -p jit-policy-compiler --bench compile`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark: prints its figures, fails by panicking

/// The allocator `jitc` uses, so the figures are what `jitc compile` does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use jit_policy::diag::Diagnostics;
use jit_policy::lower::{lower_binding, Options};
use jit_policy::target::Target;
use jit_policy::{load, render, resolve, validate};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "support/corpus.rs"]
mod corpus;
use corpus::{write_corpus, Shape, BINDINGS, FILES};

/// The `--as-of` instant of the year-long corpus: a Wednesday in March,
/// inside every binding's year.
const AS_OF: &str = "2027-03-10T12:00:00Z";

/// Compile the folder once, timing each stage; returns (bindings, bytes of
/// output, [read, parse, resolve+validate, lower, render] seconds).
fn run(dir: &Path, as_of: Option<jiff::Timestamp>) -> (usize, usize, [f64; 5]) {
    let t0 = Instant::now();
    let sources = load::load_paths(&[dir.to_path_buf()]).expect("load");
    let t1 = Instant::now();
    let mut diags = Diagnostics::new();
    let docs = jit_policy::parse_all(&sources, &mut diags);
    let docs: Vec<&jit_policy::ast::Document> = docs.iter().collect();
    let t2 = Instant::now();
    let model = resolve::resolve(&docs, &sources, &mut diags);
    validate::validate(&model, &resolve::referenced(&docs), &mut diags);
    let t3 = Instant::now();
    let opts = Options { as_of, ..Options::default() };
    let peers = jit_policy::lower::Peers::of(&model.bindings);
    let outputs: Vec<_> =
        model.bindings.iter().map(|b| lower_binding(b, Target::ALL, &opts, &peers, &mut diags)).collect();
    let t4 = Instant::now();
    // Stream the JSON to a byte counter, as `jitc compile > file` streams it.
    let mut sink = Counter(0);
    render::write_compile_json(&mut sink, &outputs).expect("render");
    let t5 = Instant::now();
    assert!(!diags.has_errors(), "bench corpus has errors: {:?}", diags.errors().next());
    assert_eq!(model.bindings.len(), BINDINGS);
    let secs = |a: Instant, b: Instant| (b - a).as_secs_f64();
    (model.bindings.len(), sink.0, [secs(t0, t1), secs(t1, t2), secs(t2, t3), secs(t3, t4), secs(t4, t5)])
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

fn main() {
    // Child mode: compile once and report peak RSS of this process alone.
    if let Ok(dir) = std::env::var("JIT_BENCH_CHILD") {
        let as_of = std::env::var("JIT_BENCH_AS_OF")
            .ok()
            .filter(|t| !t.is_empty())
            .map(|t| t.parse().expect("JIT_BENCH_AS_OF"));
        let (n, bytes, t) = run(Path::new(&dir), as_of);
        println!("{n} {bytes} {} {} {} {} {} {}", t[0], t[1], t[2], t[3], t[4], peak_rss_kib());
        return;
    }
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-corpus");
    let exe = std::env::current_exe().expect("current exe");
    let corpora = [
        ("two windows; aws, gcp, openbao, broker", Shape::Windows, "windows"),
        ("no windows; all five targets", Shape::Plain, "plain"),
        ("one-year weekday window, --as-of; aws rolling, gcp, openbao, broker", Shape::YearLong, "year"),
    ];
    for (label, shape, name) in corpora {
        let dir = base.join(name);
        write_corpus(&dir, shape);
        let as_of = if shape == Shape::YearLong { AS_OF } else { "" };
        let mut runs = Vec::new();
        for _ in 0..5 {
            let out = std::process::Command::new(&exe)
                .env("JIT_BENCH_CHILD", &dir)
                .env("JIT_BENCH_AS_OF", as_of)
                .output()
                .expect("child run");
            assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stderr));
            let v: Vec<f64> =
                String::from_utf8_lossy(&out.stdout).split_whitespace().filter_map(|x| x.parse().ok()).collect();
            runs.push(v);
        }
        // Median run by total time.
        let total = |r: &[f64]| r[2..7].iter().sum::<f64>();
        runs.sort_by(|a, b| total(a).total_cmp(&total(b)));
        let m = &runs[runs.len() / 2];
        let n = m[0];
        let total = total(m);
        let per = |s: f64| s * 1e6 / n;
        println!("compile {n} bindings in {} files ({label}), median of 5 runs, one thread:", FILES + 2);
        println!("  wall        {:8.3} s   ({:6.1} us/binding)   target <= 1 s", total, per(total));
        println!("  read        {:8.3} s   ({:6.1} us/binding)", m[2], per(m[2]));
        println!("  parse       {:8.3} s   ({:6.1} us/binding)", m[3], per(m[3]));
        println!("  validate    {:8.3} s   ({:6.1} us/binding)   resolve + validate", m[4], per(m[4]));
        println!("  lower       {:8.3} s   ({:6.1} us/binding)", m[5], per(m[5]));
        println!("  render      {:8.3} s   ({:6.1} us/binding)   JSON, {:.1} MB", m[6], per(m[6]), m[1] / 1e6);
        println!("  peak RSS    {:8.1} MB                        target <= 200 MB", m[7] / 1024.0);
    }
}
