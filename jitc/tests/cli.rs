//! The `jitc` contract: exit codes (0 clean, 1 errors, 2 usage) and the
//! machine-readable forms other tools consume.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::{Path, PathBuf};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}
use jit_policy::target::Target;
use serde_json::Value;
use std::process::Command;

fn jitc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jitc")).args(args).current_dir(root()).output().expect("jitc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

const BAD: &str = "policy-compiler/tests/bad";

fn a_bad_file() -> String {
    let mut v: Vec<_> =
        std::fs::read_dir(root().join(BAD)).expect("policy-compiler/tests/bad").flatten().map(|e| e.path()).collect();
    v.sort();
    v.into_iter()
        .find(|p| {
            p.extension().is_some_and(|e| e == "hcl")
                && std::fs::read_to_string(p).unwrap_or_default().contains("JIT010")
        })
        .map(|p| p.display().to_string())
        .expect("a JIT010 document in policy-compiler/tests/bad")
}

#[test]
fn check_clean_exits_zero_with_json_shape() {
    let (code, out, _) = jitc(&["check", "examples/policies", "--format", "json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(0));
    for w in v["warnings"].as_array().expect("warnings list") {
        for key in ["code", "message", "file", "line", "column", "help"] {
            assert!(w.get(key).is_some(), "warning lacks `{key}`: {w}");
        }
    }
}

#[test]
fn check_errors_exit_one_with_positions() {
    let file = a_bad_file();
    let (code, out, _) = jitc(&["check", &file, "--format", "json"]);
    assert_eq!(code, 1);
    let v = json(&out);
    let e = &v["errors"][0];
    assert_eq!(e["code"], "JIT010");
    assert!(e["file"].as_str().is_some_and(|f| f.ends_with(".hcl")));
    assert!(e["line"].as_u64().is_some_and(|l| l > 1) && e["column"].as_u64().is_some_and(|c| c >= 1));
    assert!(e["help"].as_str().is_some_and(|h| h.contains("did you mean")), "{e}");
    // Human form names file:line:col and shows the line.
    let (code, _, err) = jitc(&["check", &file]);
    assert_eq!(code, 1);
    assert!(err.contains("error[JIT010]") && err.contains(&format!("{file}:")), "{err}");
}

#[test]
fn check_sarif_is_2_1_0() {
    let (code, out, _) = jitc(&["check", BAD, "--format", "sarif"]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(results.len() >= 30);
    let r = &results[0];
    assert!(r["ruleId"].as_str().is_some_and(|c| c.starts_with("JIT")));
    assert!(r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().is_some());
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().expect("rules");
    let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    assert_eq!(rules[idx]["id"], r["ruleId"]);
}

/// `jitc` with the OpenBao variables cleared.
fn jitc_without_openbao_env(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jitc"))
        .args(args)
        .current_dir(root())
        .env_remove("BAO_ADDR")
        .env_remove("VAULT_ADDR")
        .env_remove("BAO_TOKEN")
        .env_remove("VAULT_TOKEN")
        .output()
        .expect("jitc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(jitc(&[]).0, 2);
    assert_eq!(jitc(&["check"]).0, 2);
    assert_eq!(jitc(&["check", "examples/policies", "--format", "yaml"]).0, 2);
    assert_eq!(jitc(&["check", "does/not/exist"]).0, 2);
    assert_eq!(jitc(&["compile", "examples/policies", "--target", "ibm"]).0, 2);
    assert_eq!(jitc(&["who", "examples/policies", "--at", "yesterday"]).0, 2);
    assert_eq!(jitc(&["check", "README.md"]).0, 2);
}

/// Every command's usage and I/O errors exit with the code it documents:
/// 2 for the compiler commands, 1 for `diff`, `approvals`, `history` and
/// `drift` (where 2 and 3 mean drift found, `--fail-on` matched or an
/// approval is missing).
#[test]
fn each_command_exits_as_documented_on_usage_and_io_errors() {
    let missing = "does/not/exist";
    let cases: &[(&[&str], i32)] = &[
        (&["check", missing], 2),
        (&["compile", missing], 2),
        (&["explain", missing], 2),
        (&["who", missing, "--at", "2026-12-01T00:00:00Z"], 2),
        (&["who", "examples/policies"], 2),
        (&["schema", "--check", "--out", missing], 1),
        (&["diff", "HEAD", missing], 1),
        (&["diff", "no-such-revision", "examples/policies"], 1),
        (&["diff", "HEAD"], 1),
        (&["drift", missing, "--openbao-addr", "http://127.0.0.1:9", "--token-env", "PATH"], 1),
        (&["drift", "examples/policies"], 1),
        (&["drift", "examples/policies", "--openbao-addr", "http://127.0.0.1:9"], 1),
        (&["drift", "examples/policies", "--openbao-addr", "127.0.0.1:9", "--token-env", "PATH"], 1),
        (
            &[
                "drift",
                "examples/policies",
                "--openbao-addr",
                "http://127.0.0.1:9",
                "--token-env",
                "PATH",
                "--at",
                "now",
            ],
            1,
        ),
        // Unreachable server: an error, not drift.
        (&["drift", "examples/policies", "--openbao-addr", "http://127.0.0.1:9", "--token-env", "PATH"], 1),
        (&["drift"], 1),
        (&["drift", "examples/policies", "--format", "yaml"], 1),
        (&["approvals", "HEAD", "examples/policies", "--reviews", missing, "--author", "x"], 1),
        (&["approvals", "HEAD", "examples/policies", "--author", "x"], 1),
        (&["approvals", "HEAD", "examples/policies", "--reviews", "Cargo.toml", "--author", "x"], 1),
        (&["history"], 1),
        (&["history", missing], 1),
        (&["history", "examples/policies", "--since", "yesterday"], 1),
        (&["history", "examples/policies", "--since", "2027-01-02T00:00:00Z", "--until", "2027-01-01T00:00:00Z"], 1),
        (&["who", "examples/policies", "--at", "1990-01-01T00:00:00Z", "--history"], 2),
    ];
    for (args, want) in cases {
        let (code, out, err) = jitc_without_openbao_env(args);
        assert_eq!(code, *want, "jitc {}: {err}", args.join(" "));
        assert!(out.is_empty(), "jitc {}: printed {out}", args.join(" "));
        assert!(!err.trim().is_empty(), "jitc {}: no message", args.join(" "));
    }
    // The OS error is said once.
    let (_, _, err) = jitc(&["check", missing]);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    let (_, _, err) =
        jitc_without_openbao_env(&["drift", missing, "--openbao-addr", "http://x", "--token-env", "PATH"]);
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    // No token names where to give one.
    let (_, _, err) = jitc_without_openbao_env(&["drift", "examples/policies", "--openbao-addr", "http://127.0.0.1:9"]);
    assert!(err.contains("BAO_TOKEN") && err.contains("--token-env"), "{err}");
}

#[test]
fn check_json_names_the_target_of_target_findings() {
    let (code, out, _) = jitc(&["check", "examples/policies", "--format", "json"]);
    assert_eq!(code, 0);
    let warnings = json(&out)["warnings"].as_array().cloned().expect("warnings");
    let gcp = warnings.iter().find(|w| w["code"] == "JIT101").expect("a GCP requirement warning in the examples");
    assert_eq!(gcp["target"], "gcp");
    assert!(gcp["message"].as_str().is_some_and(|m| m.starts_with("gcp: ")), "{gcp}");
    let unused = warnings.iter().find(|w| w["code"] == "JIT105");
    assert!(unused.is_none_or(|w| w.get("target").is_none()), "{unused:?}");
}

#[test]
fn compile_json_contract() {
    let (code, out, _) = jitc(&["compile", "examples/policies", "--target", "all", "--format", "json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    let bindings = v["bindings"].as_object().expect("bindings map");
    assert!(bindings.len() >= 8);
    let mut seen = std::collections::BTreeSet::new();
    for (name, b) in bindings {
        for t in Target::ALL.iter().map(|t| t.as_str()) {
            if b.get(t).is_some() {
                seen.insert(t);
                assert!(b["enforcement"].get(t).is_some(), "{name}: no enforcement for {t}");
            }
        }
        if let Some(aws) = b.get("aws") {
            assert_eq!(aws["Version"], "2012-10-17");
            let n = b["aws_max_session_duration"].as_i64().expect("aws_max_session_duration");
            assert!((3600..=43200).contains(&n));
        }
        if let Some(g) = b.get("gcp") {
            for k in ["title", "description", "expression"] {
                assert!(g["condition"][k].is_string(), "{name}: gcp condition lacks {k}");
            }
            assert!(g["role"].is_string() && g["members"].is_array());
        }
        if let Some(a) = b.get("azure") {
            assert_eq!(a["properties"]["requestType"], "AdminAssign");
            assert_eq!(a["properties"]["scheduleInfo"]["expiration"]["type"], "AfterDateTime");
        }
        if let Some(o) = b.get("openbao") {
            for k in ["policy_name", "policy_hcl", "role_name"] {
                assert!(o[k].is_string(), "{name}: openbao lacks {k}");
            }
            assert_eq!(o["role"]["token_ttl"], o["role"]["token_explicit_max_ttl"]);
        }
        assert!(b["broker"]["digest"].as_str().is_some_and(|d| d.starts_with("sha256:")));
        assert!(b["warnings"].is_array());
    }
    assert_eq!(seen.len(), Target::ALL.len(), "the examples use every target: {seen:?}");

    let (code, out, _) = jitc(&["compile", "examples/policies", "--target", "gcp"]);
    assert_eq!(code, 0);
    let v = json(&out);
    for b in v["bindings"].as_object().expect("bindings").values() {
        assert!(b.get("aws").is_none() && b.get("broker").is_none());
    }
}

#[test]
fn compile_out_writes_files_per_binding_and_target() {
    let dir = std::env::temp_dir().join(format!("jitc-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, _) = jitc(&["compile", "examples/policies", "--out", &dir.display().to_string()]);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "--out writes files, not stdout");
    let (_, all, _) = jitc(&["compile", "examples/policies"]);
    let v = json(&all);
    for (name, b) in v["bindings"].as_object().expect("bindings") {
        assert!(dir.join(name).join("broker.json").is_file());
        if b.get("aws").is_some() {
            let text = std::fs::read_to_string(dir.join(name).join("aws.json")).expect("aws.json");
            assert_eq!(json(&text), b["aws"]);
        }
        if b.get("openbao").is_some() {
            let text = std::fs::read_to_string(dir.join(name).join("openbao.policy.hcl")).expect("policy file");
            assert_eq!(text, b["openbao"]["policy_hcl"].as_str().unwrap_or_default());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compile_with_errors_prints_nothing_on_stdout() {
    let (code, out, err) = jitc(&["compile", &a_bad_file()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("JIT010"));
}

#[test]
fn who_lists_active_bindings_at_an_instant() {
    let (_, all, _) = jitc(&["compile", "examples/policies", "--target", "broker"]);
    let v = json(&all);
    // Pick a binding without windows, and ask at its midpoint and after it.
    let (name, rule) = v["bindings"]
        .as_object()
        .expect("bindings")
        .iter()
        .map(|(n, b)| (n.clone(), b["broker"].clone()))
        .find(|(_, r)| r["windows"].as_array().is_some_and(Vec::is_empty))
        .expect("a binding without windows");
    let nb: jiff::Timestamp = rule["not_before"].as_str().and_then(|s| s.parse().ok()).expect("not_before");
    let exp: jiff::Timestamp = rule["expires_at"].as_str().and_then(|s| s.parse().ok()).expect("expires_at");
    let mid = jiff::Timestamp::from_second((nb.as_second() + exp.as_second()) / 2).expect("midpoint");
    let names = who_at(&mid.to_string());
    assert!(names.contains(&name), "{name} should be active at {mid}: {names:?}");
    let names = who_at(&exp.to_string());
    assert!(!names.contains(&name), "{name} must not be active at its expires_at");
}

/// Names of the example bindings `jitc who` reports active at an instant.
fn who_at(at: &str) -> Vec<String> {
    let (code, out, _) = jitc(&["who", "examples/policies", "--at", at, "--format", "json"]);
    assert_eq!(code, 0);
    json(&out)["active"]
        .as_array()
        .expect("active")
        .iter()
        .filter_map(|b| b["binding"].as_str().map(String::from))
        .collect()
}

#[test]
fn explain_says_who_what_when() {
    let (code, out, _) = jitc(&["explain", "examples/policies/reporting.hcl"]);
    assert_eq!(code, 0);
    for needle in [
        "reporting-bot",
        "rds-db:connect",
        "mon, tue, wed, thu, fri 09:00-17:00 Europe/Paris",
        "at most 1h",
        "1 of group:dba-leads, user:alice",
    ] {
        assert!(out.contains(needle), "explain lacks `{needle}`:\n{out}");
    }
    let (_, out, _) = jitc(&["explain", "examples/policies/reporting.hcl", "--subject", "nobody"]);
    assert!(out.is_empty());
}

#[test]
fn committed_schemas_are_up_to_date() {
    let (code, _, err) = jitc(&["schema", "--out", "schemas", "--check"]);
    assert_eq!(code, 0, "schemas/ is stale: {err}");
}
