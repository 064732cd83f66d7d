//! Helpers shared by the compiler's integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // shared by several test crates; a test fails by panicking

use jit_policy::diag::Severity;
use jit_policy::lower::Options;
use jit_policy::source::SourceMap;
use jit_policy::target::Target;
use jit_policy::{compile, load, render, Compilation};
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The compiler's own test data: `policy-compiler/tests/<dir>`.
pub fn data(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(dir)
}

/// The path of `p` relative to the repository root, for names.
pub fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// One test per file: a trial named `<kind>::<file relative to dir>`.
pub fn per_file(
    kind: &str,
    dir: &Path,
    files: Vec<PathBuf>,
    test: fn(&Path) -> Result<(), libtest_mimic::Failed>,
) -> Vec<libtest_mimic::Trial> {
    files
        .into_iter()
        .map(|f| {
            let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
            libtest_mimic::Trial::test(format!("{kind}::{name}"), move || test(&f))
        })
        .collect()
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    load::policy_files(dir).unwrap_or_else(|e| panic!("{e}"))
}

pub fn compile_paths(paths: &[PathBuf]) -> Compilation {
    let sources: SourceMap = load::load_paths(paths).unwrap_or_else(|e| panic!("{e}"));
    compile(sources, Target::ALL, &Options::default())
}

/// Diagnostics as stable text: `severity code file:line:col message | help`,
/// with paths relative to the repository root.
pub fn diagnostics_text(c: &Compilation) -> String {
    let root = root().display().to_string();
    let mut out = String::new();
    for d in c.diagnostics.iter() {
        let l = d.locate(&c.sources);
        let sev = if l.severity == Severity::Error { "error" } else { "warning" };
        let file = l.file.trim_start_matches(&root).trim_start_matches('/');
        out.push_str(&format!("{sev} {} {file}:{}:{} {}\n    help: {}\n", l.code, l.line, l.column, l.message, l.help));
    }
    // Messages may name other files (a duplicate's first definition).
    out.replace(&format!("{root}/"), "")
}

/// Snapshot text of a compilation: diagnostics, then the compiled JSON.
pub fn snapshot_text(c: &Compilation) -> String {
    format!("# diagnostics\n{}\n# output\n{}", diagnostics_text(c), render::compile_json(&c.outputs))
}
