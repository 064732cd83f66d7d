//! The JSON Schema accepts the YAML corpus and rejects, like the parser,
//! documents that break its structure (checked by the Python `jsonschema`
//! validator, Draft 2020-12, with YAML 1.2 loading).

use jit_e2e_tests::{policy_files, root, run_tool};
use jit_policy::lower::Options;
use jit_policy::target::Target;
use jit_policy::{compile, load};
use std::path::PathBuf;

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    policy_files(&root().join(dir)).into_iter().filter(|p| p.extension().is_some_and(|e| e != "hcl")).collect()
}

fn schema() -> String {
    root().join("schemas/jit-policy.v1.schema.json").display().to_string()
}

#[test]
fn yaml_corpus_validates_against_the_schema() {
    let mut files = yaml_files("examples/policies");
    files.extend(yaml_files("tests/corpus"));
    assert!(files.len() >= 6, "expected a YAML corpus, found {}", files.len());
    let args: Vec<String> = std::iter::once(schema()).chain(files.iter().map(|p| p.display().to_string())).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_tool("schema_validate.py", &args, "");
    assert_eq!(code, 0, "schema rejects valid documents:\n{stdout}{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), files.len());
}

#[test]
fn structure_breaking_documents_are_rejected_by_schema_and_parser() {
    let files = yaml_files("tests/schema-invalid");
    assert!(files.len() >= 15, "expected the schema-invalid set, found {}", files.len());
    let mut args: Vec<String> = vec!["--expect-invalid".into(), schema()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_tool("schema_validate.py", &args, "");
    assert_eq!(code, 0, "the schema accepts a structure-breaking document:\n{stdout}{stderr}");
    for f in &files {
        let c = compile(load::load_paths(std::slice::from_ref(f)).expect("loads"), Target::ALL, &Options::default());
        assert!(c.has_errors(), "the parser accepts {}", f.display());
    }
}
