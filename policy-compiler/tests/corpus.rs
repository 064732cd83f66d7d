//! Corpus snapshots, one test per document: the example repository (one
//! compilation) and every `tests/corpus` document (each alone) through
//! every target. Snapshots live in `tests/snapshots/`; review changes with
//! `cargo insta review`. Each HCL/YAML pair in `tests/corpus/pairs/` must
//! compile to byte-identical output. A failure names its document; the
//! others still run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::*;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

fn snapshot(name: String, text: String) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(data("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// One corpus document through every target: no errors, and its snapshot.
fn corpus_document(f: &Path) -> Result<(), Failed> {
    let c = compile_paths(&[f.to_path_buf()]);
    if c.has_errors() {
        return Err(format!("{} has errors:\n{}", relative(f), diagnostics_text(&c)).into());
    }
    let name = f.strip_prefix(data("corpus")).map(|p| p.display().to_string()).unwrap_or_default();
    snapshot(format!("corpus__corpus__{}", name.replace(['/', '.'], "_")), snapshot_text(&c));
    Ok(())
}

/// An HCL document and its YAML twin compile to identical bytes.
fn pair(h: &Path) -> Result<(), Failed> {
    let y = h.with_extension("yaml");
    let (a, b) = (compile_paths(&[h.to_path_buf()]), compile_paths(std::slice::from_ref(&y)));
    if a.has_errors() || b.has_errors() || a.outputs.is_empty() {
        return Err(format!("{} or its YAML twin has errors or no output", relative(h)).into());
    }
    let (ja, jb) = (jit_policy::render::compile_json(&a.outputs), jit_policy::render::compile_json(&b.outputs));
    if ja != jb {
        return Err(format!("{} and {} differ", relative(h), relative(&y)).into());
    }
    Ok(())
}

fn example_repository() -> Result<(), Failed> {
    let c = compile_paths(&[root().join("examples/policies")]);
    if c.has_errors() {
        return Err(format!("examples have errors:\n{}", diagnostics_text(&c)).into());
    }
    if c.sources.len() < 9 {
        return Err("the example repository has at least 9 documents".into());
    }
    snapshot("corpus__examples".into(), snapshot_text(&c));
    Ok(())
}

fn deterministic() -> Result<(), Failed> {
    let a = compile_paths(&[root().join("examples/policies")]);
    let b = compile_paths(&[root().join("examples/policies")]);
    if jit_policy::render::compile_json(&a.outputs) != jit_policy::render::compile_json(&b.outputs) {
        return Err("two compilations of the examples differ".into());
    }
    Ok(())
}

fn main() {
    let corpus = data("corpus");
    let all = files_under(&corpus);
    let (pairs, singles): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| p.starts_with(corpus.join("pairs")));
    assert!(singles.len() >= 8, "expected at least 8 corpus documents, found {}", singles.len());
    let hcl_pairs: Vec<_> = pairs.into_iter().filter(|p| p.extension().is_some_and(|e| e == "hcl")).collect();
    assert!(hcl_pairs.len() >= 3, "expected at least 3 pairs");
    let mut trials = per_file("corpus", &corpus, singles, corpus_document);
    trials.extend(per_file("pair", &corpus.join("pairs"), hcl_pairs, pair));
    trials.push(Trial::test("examples::repository", example_repository));
    trials.push(Trial::test("examples::deterministic", deterministic));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
