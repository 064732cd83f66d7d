//! The bad-input catalogue: every document in `tests/bad/` names the error
//! it must produce in its first line (`# expect: JIT010 line 12`). The code
//! must be reported at that line; all diagnostics are snapshotted too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::*;

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

#[test]
fn every_bad_document_reports_its_error_at_its_line() {
    let files = files_under(&root().join("tests/bad"));
    assert!(files.len() >= 30, "the catalogue needs at least 30 documents, found {}", files.len());
    let mut codes = std::collections::BTreeSet::new();
    let mut all = String::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let (code, line) =
            expectation(&text).unwrap_or_else(|| panic!("{} lacks a `# expect: CODE line N` header", f.display()));
        let c = compile_paths(std::slice::from_ref(f));
        let errors: Vec<_> = c.diagnostics.errors().map(|d| d.locate(&c.sources)).collect();
        assert!(!errors.is_empty(), "{} compiled without errors", f.display());
        assert!(
            errors.iter().any(|e| e.code == code && e.line == line),
            "{}: expected {code} at line {line}, got:\n{}",
            f.display(),
            diagnostics_text(&c)
        );
        for e in &errors {
            assert!(
                e.line >= 1 && e.column >= 1 && !e.file.is_empty(),
                "{}: error without a position: {e:?}",
                f.display()
            );
            assert!(!e.help.is_empty(), "{}: error without help: {e:?}", f.display());
        }
        assert!(c.outputs.is_empty(), "no output may be produced when there are errors");
        codes.insert(code);
        all.push_str(&format!(
            "## {}\n{}\n",
            f.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            diagnostics_text(&c)
        ));
    }
    assert!(codes.len() >= 30, "the catalogue should cover at least 30 distinct codes, covers {}", codes.len());
    insta::assert_snapshot!("bad_inputs", all);
}
