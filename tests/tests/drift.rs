//! `jitc drift` against a real OpenBao server: a clean server exits 0, and
//! each kind of drift (missing, changed, expired-but-present,
//! pending-but-present, undeclared) is reported with exit code 2.

use jit_e2e_tests::openbao::Bao;
use jit_e2e_tests::root;
use serde_json::{json, Value};
use std::process::Command;
use std::sync::OnceLock;

/// The instant the test runs at (whole seconds): the fixture's dates are
/// relative to it, because OpenBao judges policy expirations by its clock.
fn at() -> &'static str {
    static AT: OnceLock<String> = OnceLock::new();
    AT.get_or_init(|| {
        jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).map(|t| t.to_string()).unwrap_or_default()
    })
}

/// `tests/drift-fixture` with its dates filled in relative to [`at`].
fn fixture() -> &'static str {
    static DIR: OnceLock<String> = OnceLock::new();
    DIR.get_or_init(|| {
        let now: jiff::Timestamp = at().parse().expect("at");
        let mut text = std::fs::read_to_string(root().join("tests/drift-fixture/bindings.hcl")).expect("fixture");
        for days in [-34i64, -30, -4, 5, 15, 19] {
            let t = jiff::Timestamp::from_second(now.as_second() + days * 86_400).expect("date");
            text = text.replace(&format!("{{NOW{days:+}d}}"), &t.to_string());
        }
        assert!(!text.contains("{NOW"), "unfilled date in the fixture");
        let dir = root().join(format!("target/tmp/drift-fixture-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        std::fs::write(dir.join("bindings.hcl"), text).expect("write fixture");
        dir.display().to_string()
    })
}

fn drift(bao: &Bao) -> (i32, Vec<(String, String)>, Value) {
    let out = Command::new(jit_e2e_tests::jitc_bin())
        .args(["drift", fixture(), "--openbao-addr", &bao.addr, "--at", at(), "--format", "json"])
        .env("BAO_TOKEN", &bao.token)
        .current_dir(root())
        .output()
        .expect("jitc drift");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let kinds = v["drift"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| (f["kind"].as_str().unwrap_or("").to_string(), f["object"].as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    (out.status.code().unwrap_or(-1), kinds, v)
}

/// The declared objects of a binding, as `jitc compile` renders them.
fn declared(binding: &str) -> (Value, Value) {
    let out = Command::new(jit_e2e_tests::jitc_bin())
        .args(["compile", fixture(), "--target", "openbao"])
        .current_dir(root())
        .output()
        .expect("compile");
    let v: Value = serde_json::from_slice(&out.stdout).expect("compile json");
    let o = &v["bindings"][binding]["openbao"];
    let mut policy = json!({"policy": o["policy_hcl"]});
    // As jit writes it: with its expiration, unless that has passed (an
    // expired binding's policy left behind, written before or by hand).
    let expiration: jiff::Timestamp = o["policy_expiration"].as_str().and_then(|e| e.parse().ok()).expect("expiration");
    if expiration > at().parse().expect("at") {
        policy["expiration"] = o["policy_expiration"].clone();
    }
    (policy, o["role"].clone())
}

fn put(bao: &Bao, binding: &str) {
    let (policy, role) = declared(binding);
    assert_eq!(bao.request("PUT", &format!("sys/policies/acl/jit-{binding}"), Some(&policy), None).0, 204);
    assert_eq!(bao.request("POST", &format!("auth/approle/role/jit-{binding}"), Some(&role), None).0, 204);
}

#[test]
fn each_kind_of_drift_is_reported() {
    let bao = Bao::start("drift");
    put(&bao, "now-active");
    let (code, kinds, _) = drift(&bao);
    assert_eq!((code, kinds.len()), (0, 0), "a clean server: {kinds:?}");

    // Missing: the active binding's role deleted.
    assert_eq!(bao.request("DELETE", "auth/approle/role/jit-now-active", None, None).0, 204);
    let (code, kinds, _) = drift(&bao);
    assert_eq!(code, 2);
    assert_eq!(kinds, vec![("missing".to_string(), "auth/approle/role/jit-now-active".to_string())]);

    // Changed: the role comes back with another token_ttl.
    put(&bao, "now-active");
    assert_eq!(bao.request("POST", "auth/approle/role/jit-now-active", Some(&json!({"token_ttl": 60})), None).0, 204);
    let (code, kinds, v) = drift(&bao);
    assert_eq!(code, 2);
    assert_eq!(kinds, vec![("changed".to_string(), "auth/approle/role/jit-now-active".to_string())]);
    let field = &v["drift"][0]["fields"][0];
    assert_eq!(
        (field["field"].as_str(), field["expected"].as_i64(), field["actual"].as_i64()),
        (Some("token_ttl"), Some(1800), Some(60))
    );
    put(&bao, "now-active");

    // Changed: the policy rewritten without its expiration (OpenBao would
    // keep it after expires_at).
    let (policy, _) = declared("now-active");
    let forever = json!({"policy": policy["policy"]});
    assert_eq!(bao.request("PUT", "sys/policies/acl/jit-now-active", Some(&forever), None).0, 204);
    let (code, kinds, v) = drift(&bao);
    assert_eq!(code, 2);
    assert_eq!(kinds, vec![("changed".to_string(), "sys/policies/acl/jit-now-active".to_string())]);
    assert_eq!(v["drift"][0]["fields"][0]["field"], "expiration");
    assert!(v["drift"][0]["fields"][0]["actual"].is_null(), "{v}");
    put(&bao, "now-active");

    // Expired but present, pending but present, and click-ops objects.
    put(&bao, "was-active");
    put(&bao, "not-yet");
    let p = json!({"policy": "path \"secret/*\" { capabilities = [\"read\"] }"});
    assert_eq!(bao.request("PUT", "sys/policies/acl/jit-clickops", Some(&p), None).0, 204);
    let (code, kinds, _) = drift(&bao);
    assert_eq!(code, 2);
    let expect: Vec<(String, String)> = [
        ("expired_but_present", "auth/approle/role/jit-was-active"),
        ("expired_but_present", "sys/policies/acl/jit-was-active"),
        ("pending_but_present", "auth/approle/role/jit-not-yet"),
        ("pending_but_present", "sys/policies/acl/jit-not-yet"),
        ("undeclared", "sys/policies/acl/jit-clickops"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(kinds, expect);

    // Human form names each finding.
    let out = Command::new(jit_e2e_tests::jitc_bin())
        .args(["drift", fixture(), "--openbao-addr", &bao.addr, "--at", at(), "--token-env", "MY_TOKEN"])
        .env("MY_TOKEN", &bao.token)
        .current_dir(root())
        .output()
        .expect("jitc drift");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("5 drift finding(s)") && text.contains("undeclared") && text.contains("jit-clickops"),
        "{text}"
    );

    // An unreachable server is an error (exit 1), not drift.
    let out = Command::new(jit_e2e_tests::jitc_bin())
        .args(["drift", fixture(), "--openbao-addr", "http://127.0.0.1:1", "--at", at()])
        .env("BAO_TOKEN", "x")
        .current_dir(root())
        .output()
        .expect("jitc drift");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unreachable"));
}
