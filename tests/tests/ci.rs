//! The example workflows parse as YAML, and every `jitc` command line in
//! them runs successfully against `examples/` (a real OpenBao server for
//! `jitc drift`, holding exactly the objects of the bindings active at a
//! pinned instant).

use jit_e2e_tests::openbao::Bao;
use jit_e2e_tests::{root, run_tool};
use serde_json::{json, Value};
use std::process::Command;

/// Every `run:` line that calls jitc, from the workflow parsed as YAML.
fn jitc_lines(file: &str) -> Vec<String> {
    let path = root().join("examples/ci").join(file);
    let script =
        "import json, sys\nfrom ruamel.yaml import YAML\nprint(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))";
    let out = Command::new(jit_e2e_tests::python())
        .args(["-c", script, &path.display().to_string()])
        .output()
        .expect("python");
    assert!(out.status.success(), "{file} does not parse: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["jobs"].is_object() && v["on"].is_object(), "{file} is not a workflow");
    let mut lines = Vec::new();
    for job in v["jobs"].as_object().expect("jobs").values() {
        for step in job["steps"].as_array().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                lines.extend(run.lines().filter(|l| l.trim_start().starts_with("jitc ")).map(|l| l.trim().to_string()));
            }
        }
    }
    lines
}

fn run_line(line: &str, env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new("bash")
        .args(["-c", line])
        .env("PATH", format!("{}:{}", root().join("target/debug").display(), std::env::var("PATH").unwrap_or_default()))
        .envs(env.iter().copied())
        .current_dir(root())
        .output()
        .expect("bash");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn pull_request_workflow_commands_run() {
    let _ = jit_e2e_tests::python();
    jit_e2e_tests::jitc_bin();
    let lines = jitc_lines("pull-request.yml");
    assert!(lines.len() >= 3, "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("jitc approvals ")), "{lines:?}");
    // The reviews as `gh api` writes them: one approval of the head commit.
    let head = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(root()).output().expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let reviews = format!(
        r#"[{{"id": 1, "user": {{"login": "reviewer"}}, "state": "APPROVED", "submitted_at": "2026-12-01T10:00:00Z", "commit_id": "{head}"}}]"#
    );
    std::fs::write(root().join("reviews.json"), reviews).expect("reviews.json");
    for l in &lines {
        let env = [("POLICIES", "examples/policies"), ("BASE_REF", "HEAD"), ("AUTHOR", "someone"), ("HEAD_SHA", &head)];
        let (code, err) = run_line(l, &env);
        assert_eq!(code, 0, "`{l}` failed: {err}");
    }
    for f in ["jitc.sarif", "access-diff.md", "reviews.json", "approvals.md", "trailers.txt"] {
        let _ = std::fs::remove_file(root().join(f));
    }
}

/// The instant the nightly test evaluates the examples at: on it some
/// example bindings with OpenBao targets are inside their dates and others
/// are not. The examples (and this instant) are moved by whole weeks to
/// just after the test's own clock, because OpenBao judges the policies'
/// expirations by its clock; whole weeks keep every weekly window in place.
const AT: &str = "2026-12-02T10:00:00Z";

/// A copy of `examples/policies` with every timestamp moved by `weeks`.
fn shifted_examples(weeks: i64) -> std::path::PathBuf {
    let dir = root().join(format!("target/tmp/ci-policies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in jit_e2e_tests::policy_files(&root().join("examples/policies")) {
        let rel = f.strip_prefix(root().join("examples/policies")).expect("under examples");
        let text = std::fs::read_to_string(&f).expect("read");
        // RFC 3339 instants as the examples write them: with seconds and Z
        // or an offset.
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(|c: char| c.is_ascii_digit()) {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            let len = [25, 20].into_iter().find(|n| {
                rest.get(..*n)
                    .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok() && t.as_bytes().get(10) == Some(&b'T'))
            });
            match len {
                Some(n) => {
                    let t: jiff::Timestamp = rest[..n].parse().expect("timestamp");
                    let moved = jiff::Timestamp::from_second(t.as_second() + weeks * 7 * 86_400).expect("moved");
                    out.push_str(&moved.to_string());
                    rest = &rest[n..];
                }
                None => {
                    let c = rest.chars().next().expect("a digit");
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out.push_str(rest);
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, out).expect("write");
    }
    dir
}

#[test]
fn nightly_workflow_commands_run() {
    let jitc = jit_e2e_tests::jitc_bin();
    let lines = jitc_lines("nightly-drift.yml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let bao = Bao::start("ci");
    // Whole weeks from AT to at least an hour after now.
    let pinned: jiff::Timestamp = AT.parse().expect("AT");
    let ahead = jiff::Timestamp::now().as_second() + 3600 - pinned.as_second();
    let weeks = if ahead > 0 { (ahead + 7 * 86_400 - 1) / (7 * 86_400) } else { 0 };
    let at = jiff::Timestamp::from_second(pinned.as_second() + weeks * 7 * 86_400).expect("at");
    let policies = shifted_examples(weeks);
    let policies = policies.to_str().expect("utf-8 path");
    // The server holds exactly the objects of the bindings that are inside
    // their dates at `at` (OpenBao objects exist while a binding is active),
    // read from the compiled broker rules, not from `jitc drift` itself.
    let compiled = Command::new(&jitc)
        .args(["compile", policies, "--target", "openbao,broker"])
        .current_dir(root())
        .output()
        .expect("compile");
    let compiled: Value = serde_json::from_slice(&compiled.stdout).expect("compile json");
    let (mut seeded, mut absent) = (0, 0);
    for b in compiled["bindings"].as_object().expect("bindings").values() {
        let o = &b["openbao"];
        if o.is_null() {
            continue;
        }
        let time = |k: &str| b["broker"][k].as_str().and_then(|s| s.parse::<jiff::Timestamp>().ok()).expect(k);
        if !(time("not_before") <= at && at < time("expires_at")) {
            absent += 1;
            continue;
        }
        let name = o["policy_name"].as_str().expect("policy name");
        assert_eq!(
            bao.request(
                "PUT",
                &format!("sys/policies/acl/{name}"),
                Some(&json!({"policy": o["policy_hcl"], "expiration": o["policy_expiration"]})),
                None
            )
            .0,
            204
        );
        assert_eq!(bao.request("POST", &format!("auth/approle/role/{name}"), Some(&o["role"]), None).0, 204);
        seeded += 1;
    }
    assert!(seeded >= 1 && absent >= 1, "the pinned instant must see both sides: {seeded} active, {absent} not");
    for l in &lines {
        // The workflow runs at the job's own time; the test pins it.
        let pinned = format!("{l} --at {at}");
        let (code, err) =
            run_line(&pinned, &[("POLICIES", policies), ("BAO_ADDR", &bao.addr), ("BAO_TOKEN", &bao.token)]);
        assert_eq!(code, 0, "`{pinned}` failed: {err}");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(root().join("drift.json")).expect("drift.json"))
                .expect("json");
        assert_eq!(report["at"], at.to_string());
        assert_eq!(report["drift"].as_array().map(Vec::len), Some(0), "{report}");
    }
    let _ = std::fs::remove_file(root().join("drift.json"));
    let _ = run_tool;
}
