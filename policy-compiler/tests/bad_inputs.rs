//! The bad-input catalogue, one test per document: every document in
//! `tests/bad/` names the error it must produce in its first line
//! (`# expect: JIT010 line 12`). The code must be reported at that line,
//! every error must have a position and a help line, nothing may be
//! output, and all diagnostics are snapshotted. A failure names its
//! document; the others still run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::*;
use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn expectation(text: &str) -> Option<(String, usize)> {
    let first = text.lines().next()?;
    let rest = first.trim_start_matches('#').trim().strip_prefix("expect:")?.trim();
    let mut parts = rest.split_whitespace();
    let code = parts.next()?.to_string();
    let line = match (parts.next(), parts.next()) {
        (Some("line"), Some(n)) => n.parse().ok()?,
        _ => return None,
    };
    Some((code, line))
}

fn bad_document(f: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(f).unwrap_or_default();
    let file = relative(f);
    let (code, line) = expectation(&text).ok_or_else(|| format!("{file} lacks a `# expect: CODE line N` header"))?;
    let c = compile_paths(&[f.to_path_buf()]);
    let errors: Vec<_> = c.diagnostics.errors().map(|d| d.locate(&c.sources)).collect();
    if !errors.iter().any(|e| e.code == code && e.line == line) {
        return Err(format!("{file}: expected {code} at line {line}, got:\n{}", diagnostics_text(&c)).into());
    }
    for e in &errors {
        if e.line < 1 || e.column < 1 || e.file.is_empty() {
            return Err(format!("{file}: error without a position: {e:?}").into());
        }
        if e.help.is_empty() {
            return Err(format!("{file}: error without help: {e:?}").into());
        }
    }
    if !c.outputs.is_empty() {
        return Err(format!("{file}: output was produced despite errors").into());
    }
    let name = f.file_name().map(|n| n.to_string_lossy().replace('.', "_")).unwrap_or_default();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(data("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(format!("bad__{name}"), diagnostics_text(&c)));
    Ok(())
}

/// The catalogue as a whole: large, and covering many distinct codes.
fn coverage(files: Vec<PathBuf>) -> Result<(), Failed> {
    let codes: BTreeSet<String> = files
        .iter()
        .filter_map(|f| expectation(&std::fs::read_to_string(f).unwrap_or_default()).map(|(c, _)| c))
        .collect();
    if files.len() < 30 || codes.len() < 30 {
        return Err(
            format!("the catalogue needs 30 documents and 30 codes: {} and {}", files.len(), codes.len()).into()
        );
    }
    Ok(())
}

fn main() {
    let dir = data("bad");
    let files = files_under(&dir);
    let all = files.clone();
    let mut trials = per_file("bad", &dir, files, bad_document);
    trials.push(Trial::test("catalogue::coverage", move || coverage(all)));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
