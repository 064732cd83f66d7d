//! Corpus snapshots: the example repository (one compilation) and every
//! `tests/corpus` document (each alone) through every target. Snapshots
//! live in `tests/snapshots/`; review changes with `cargo insta review`.
//! Pairs in `tests/corpus/pairs/` must compile to byte-identical output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::*;

#[test]
fn example_repository_snapshot() {
    let c = compile_paths(&[root().join("examples/policies")]);
    assert!(!c.has_errors(), "examples have errors:\n{}", diagnostics_text(&c));
    assert!(c.sources.len() >= 9, "the example repository has at least 9 documents");
    insta::assert_snapshot!("examples", snapshot_text(&c));
}

#[test]
fn corpus_snapshots() {
    let files = files_under(&root().join("tests/corpus"));
    let singles: Vec<_> = files.iter().filter(|p| !p.components().any(|c| c.as_os_str() == "pairs")).collect();
    assert!(singles.len() >= 8, "expected at least 8 corpus documents, found {}", singles.len());
    for f in singles {
        let c = compile_paths(std::slice::from_ref(f));
        assert!(!c.has_errors(), "{} has errors:\n{}", f.display(), diagnostics_text(&c));
        let name = f.strip_prefix(root().join("tests/corpus")).map(|p| p.display().to_string()).unwrap_or_default();
        insta::assert_snapshot!(format!("corpus__{}", name.replace(['/', '.'], "_")), snapshot_text(&c));
    }
}

#[test]
fn hcl_and_yaml_pairs_compile_to_identical_bytes() {
    let files = files_under(&root().join("tests/corpus/pairs"));
    let hcl: Vec<_> = files.iter().filter(|p| p.extension().is_some_and(|e| e == "hcl")).collect();
    assert!(hcl.len() >= 3, "expected at least 3 pairs");
    for h in hcl {
        let y = h.with_extension("yaml");
        let a = compile_paths(std::slice::from_ref(h));
        let b = compile_paths(std::slice::from_ref(&y));
        assert!(!a.has_errors() && !b.has_errors(), "{} or its YAML twin has errors", h.display());
        assert!(!a.outputs.is_empty());
        let (ja, jb) = (jit_policy::render::compile_json(&a.outputs), jit_policy::render::compile_json(&b.outputs));
        assert!(ja == jb, "{} and {} differ", h.display(), y.display());
    }
}

#[test]
fn compilation_is_deterministic() {
    let a = compile_paths(&[root().join("examples/policies")]);
    let b = compile_paths(&[root().join("examples/policies")]);
    assert_eq!(jit_policy::render::compile_json(&a.outputs), jit_policy::render::compile_json(&b.outputs));
}
