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

/// The mesh example: its HCL and YAML folders compile to identical bytes
/// (bindings and the shared bundle), and `examples/mesh/generated/` is
/// exactly what `jitc compile policies --target rego --out generated` writes.
fn mesh_example() -> Result<(), Failed> {
    use jit_policy::lower::Options;
    use jit_policy::render;
    use jit_policy::target::Target;
    let dir = root().join("examples/mesh");
    let files = |sub: &str| -> Result<Vec<(String, String)>, Failed> {
        let c = jit_policy::compile(
            jit_policy::load::load_paths(&[dir.join(sub)]).map_err(|e| e.to_string())?,
            &[Target::Rego],
            &Options::default(),
        );
        if c.has_errors() || c.outputs.is_empty() {
            return Err(format!("examples/mesh/{sub} has errors or no output:\n{}", diagnostics_text(&c)).into());
        }
        let mut out: Vec<(String, String)> = c.outputs.iter().flat_map(render::binding_files).collect();
        out.extend(render::shared_files(&c.outputs, &Options::default()));
        out.sort();
        Ok(out)
    };
    let (hcl, yaml) = (files("policies")?, files("yaml")?);
    if hcl != yaml {
        return Err("examples/mesh/policies and examples/mesh/yaml compile differently".into());
    }
    let generated = dir.join("generated");
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut found = Vec::new();
    walk(&generated, &mut found);
    let mut on_disk: Vec<String> =
        found.iter().map(|p| p.strip_prefix(&generated).unwrap_or(p).display().to_string()).collect();
    on_disk.sort();
    let names: Vec<&String> = hcl.iter().map(|(n, _)| n).collect();
    if on_disk.iter().collect::<Vec<_>>() != names {
        return Err(format!("examples/mesh/generated holds {on_disk:?}, the compiler writes {names:?}; run `jitc compile examples/mesh/policies --target rego --out examples/mesh/generated`").into());
    }
    for (name, text) in &hcl {
        if std::fs::read_to_string(generated.join(name)).unwrap_or_default() != *text {
            return Err(format!("examples/mesh/generated/{name} is out of date; run `jitc compile examples/mesh/policies --target rego --out examples/mesh/generated`").into());
        }
    }
    snapshot("corpus__mesh".into(), hcl.iter().map(|(n, t)| format!("=== {n}\n{t}")).collect());
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
    trials.push(Trial::test("examples::mesh", mesh_example));
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
