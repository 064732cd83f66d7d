//! Every generated AWS policy passes parliament (the offline IAM linter)
//! with no errors.

use jit_e2e_tests::{policy_files, root, run_tool};
use jit_policy::lower::Options;
use jit_policy::target::Target;
use jit_policy::{compile, load, render};

#[test]
fn generated_aws_policies_pass_parliament() {
    let dir = std::env::temp_dir().join(format!("jit-parliament-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut inputs = vec![vec![root().join("examples/policies")]];
    inputs.extend(policy_files(&root().join("policy-compiler/tests/corpus")).into_iter().map(|f| vec![f]));
    let mut files = Vec::new();
    for (i, paths) in inputs.iter().enumerate() {
        let c = compile(load::load_paths(paths).expect("loads"), &[Target::Aws], &Options::default());
        assert!(!c.has_errors(), "{paths:?} does not compile");
        for l in &c.outputs {
            if let Some(aws) = render::binding_json(l).get("aws") {
                let f = dir.join(format!("{i}-{}.json", l.binding));
                std::fs::write(&f, render::pretty(aws)).expect("write policy");
                files.push(f.display().to_string());
            }
        }
    }
    assert!(files.len() >= 10, "expected many AWS policies, got {}", files.len());
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_tool("parliament_check.py", &args, "");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "parliament reports errors:\n{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["files"].as_object().map(|m| m.len()), Some(files.len()), "every policy was linted");
}
