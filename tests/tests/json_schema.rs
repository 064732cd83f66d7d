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
    files.extend(yaml_files("policy-compiler/tests/corpus"));
    files.extend(yaml_files("examples/mesh/yaml"));
    assert!(files.len() >= 6, "expected a YAML corpus, found {}", files.len());
    let args: Vec<String> = std::iter::once(schema()).chain(files.iter().map(|p| p.display().to_string())).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_tool("schema_validate.py", &args, "");
    assert_eq!(code, 0, "schema rejects valid documents:\n{stdout}{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), files.len());
}

#[test]
fn structure_breaking_documents_are_rejected_by_schema_and_parser() {
    let files = yaml_files("policy-compiler/tests/schema-invalid");
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

/// Every broker rule compiled from the examples and the corpus validates
/// against the rule's schema (derived from the rule's typed model), and
/// rules broken the ways a hand-edited or foreign rule could be are
/// rejected.
#[test]
fn broker_rules_validate_against_their_schema() {
    let mut rules = Vec::new();
    for dir in ["examples/policies", "policy-compiler/tests/corpus", "examples/mesh/policies"] {
        for f in policy_files(&root().join(dir)) {
            let c =
                compile(load::load_paths(std::slice::from_ref(&f)).expect("loads"), Target::ALL, &Options::default());
            for l in &c.outputs {
                rules.push(jit_policy::render::binding_json(l)["broker"].clone());
            }
        }
    }
    assert!(rules.len() >= 20, "expected many rules, found {}", rules.len());
    let dir = root().join("target/tmp/broker-rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bad")).expect("tmp dir");
    let write = |name: String, v: &serde_json::Value| {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).expect("json")).expect("write");
        p.display().to_string()
    };
    let good: Vec<String> = rules.iter().enumerate().map(|(i, r)| write(format!("rule-{i}.json"), r)).collect();
    let schema = root().join("schemas/broker-rule.v1.schema.json").display().to_string();
    let mut args = vec![schema.as_str()];
    args.extend(good.iter().map(String::as_str));
    let (code, stdout, stderr) = run_tool("schema_validate.py", &args, "");
    assert_eq!(code, 0, "the schema rejects compiled rules:\n{stdout}{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("ok ")).count(), good.len());

    let base = rules.iter().find(|r| r["windows"].as_array().is_some_and(|w| !w.is_empty())).expect("a windowed rule");
    type Break = Box<dyn Fn(&mut serde_json::Value)>;
    let broken: Vec<(&str, Break)> = vec![
        ("extra-field", Box::new(|r| r["extra"] = true.into())),
        ("missing-digest", Box::new(|r| drop(r.as_object_mut().map(|m| m.remove("digest"))))),
        ("null-approval", Box::new(|r| r["approval"] = serde_json::Value::Null)),
        ("bad-day", Box::new(|r| r["windows"][0]["days"][0] = "monday".into())),
        ("bad-time", Box::new(|r| r["windows"][0]["start"] = "9:00".into())),
        ("unknown-identity", Box::new(|r| r["subject"]["identities"]["ldap"] = "x".into())),
        ("session-too-long", Box::new(|r| r["max_session_seconds"] = 86_400.into())),
        ("wrong-schema", Box::new(|r| r["schema"] = "jit.broker-rule/v2".into())),
        (
            "bad-capability",
            Box::new(|r| r["permissions"]["openbao"] = serde_json::json!([{"path": "p", "capabilities": ["root"]}])),
        ),
    ];
    let bad: Vec<String> = broken
        .iter()
        .map(|(name, f)| {
            let mut r = base.clone();
            f(&mut r);
            write(format!("bad/{name}.json"), &r)
        })
        .collect();
    let mut args = vec!["--expect-invalid", schema.as_str()];
    args.extend(bad.iter().map(String::as_str));
    let (code, stdout, stderr) = run_tool("schema_validate.py", &args, "");
    assert_eq!(code, 0, "the schema accepts a broken rule:\n{stdout}{stderr}");
}
