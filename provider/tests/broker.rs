//! The broker layer on its own: a partial failure leaves state matching
//! what exists and the next apply converges (fake broker); the real client
//! retries 5xx at most 3 times and words 403 and sealed answers plainly
//! (against a scripted HTTP server on loopback).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use jit_provider::broker::fake::Fake;
use jit_provider::broker::openbao::OpenBao;
use jit_provider::broker::{Broker, BrokerError, Config};
use jit_provider::clock::Clock;
use jit_provider::clock::FixedClock;
use jit_provider::convert::value::{from_json, Value};
use jit_provider::resources::{jit_binding::JitBinding, ApplyReq, Ctx, PlanReq, Resource};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn config() -> Config {
    Config {
        address: "http://127.0.0.1:1".into(),
        addresses: Vec::new(),
        token: "t".into(),
        namespace: None,
        approle_mount: "approle".into(),
        name_prefix: "jit-".into(),
        ca_cert_pem: None,
    }
}

fn binding_config() -> Value {
    let t = JitBinding.schema().block.value_type();
    let role = r#"{"name":"kv","openbao":{"paths":{"kv/data/x":{"capabilities":["read"]}}}}"#;
    let policy = r#"{"name":"p","max_session":"1h","max_grant":"30d"}"#;
    let json = serde_json::json!({
        "name": "b", "role_spec": role, "policy_spec": policy,
        "subject": {"kind": "workload", "name": "w", "openbao": "w"},
        "not_before": "2026-01-01T00:00:00Z", "expires_at": "2026-01-20T00:00:00Z"
    });
    from_json(json.to_string().as_bytes(), &t).unwrap()
}

#[tokio::test]
async fn partial_failure_leaves_state_true_and_the_next_apply_converges() {
    let fake = Arc::new(Fake::new(config()));
    // The fake judges policy expirations at the test's clock.
    *fake.now.lock().unwrap() = Some("2026-01-10T00:00:00Z".parse().unwrap());
    *fake.fail_role_writes.lock().unwrap() =
        Some(BrokerError::Server { status: 500, path: "auth/approle/role/jit-b".into(), detail: "boom".into() });
    let mut ctx = Ctx::new(Arc::new(FixedClock::new("2026-01-10T00:00:00Z".parse().unwrap())));
    ctx.broker = Some(fake.clone());
    let config = binding_config();
    let plan = JitBinding
        .plan(
            &ctx,
            PlanReq { prior: Value::Null, proposed: config.clone(), config: config.clone(), prior_private: vec![] },
        )
        .await;
    assert!(plan.diags.is_empty(), "{:?}", plan.diags);
    let applied = JitBinding
        .apply(
            &ctx,
            ApplyReq { prior: Value::Null, planned: plan.planned, config: config.clone(), planned_private: vec![] },
        )
        .await;
    assert!(applied.diags.iter().any(|d| d.summary.contains("write AppRole role `jit-b`")), "{:?}", applied.diags);
    // The policy exists, the role does not, and the state says exactly that.
    assert!(fake.policies.lock().unwrap().contains_key("jit-b"));
    assert!(!fake.roles.lock().unwrap().contains_key("jit-b"));
    assert_eq!(applied.new_state.get("openbao_objects"), &Value::List(vec![Value::str("sys/policies/acl/jit-b")]));
    assert_eq!(applied.new_state.get("status"), &Value::str("active"));

    // Next run: the plan restores the missing role; apply converges.
    *fake.fail_role_writes.lock().unwrap() = None;
    let prior = applied.new_state.clone();
    let plan = JitBinding
        .plan(
            &ctx,
            PlanReq {
                prior: prior.clone(),
                proposed: prior.clone(),
                config: config.clone(),
                prior_private: applied.private.clone(),
            },
        )
        .await;
    assert_eq!(
        plan.planned.get("openbao_objects"),
        &Value::List(vec![Value::str("sys/policies/acl/jit-b"), Value::str("auth/approle/role/jit-b")])
    );
    assert!(plan.requires_replace.is_empty());
    let done = JitBinding
        .apply(&ctx, ApplyReq { prior, planned: plan.planned, config, planned_private: plan.planned_private })
        .await;
    assert!(done.diags.is_empty(), "{:?}", done.diags);
    assert!(fake.roles.lock().unwrap().contains_key("jit-b"));
    // Requests per binding: a create writes exactly the two objects.
    assert!(fake.requests() >= 2);
}

/// A loopback HTTP server answering every request with `status` and `body`,
/// counting requests; stops after `limit` requests.
fn scripted(status: u16, body: &'static str, limit: usize) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(limit) {
            let Ok(mut s) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let reason = if status == 200 { "OK" } else { "Error" };
            let _ = write!(
                s,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, count)
}

#[tokio::test]
async fn server_errors_are_retried_three_times_then_reported() {
    let (addr, count) = scripted(500, r#"{"errors":["internal"]}"#, 10);
    let client = OpenBao::new(Config { address: addr, ..config() }).unwrap();
    let start = std::time::Instant::now();
    let err = client.read_policy("jit-x").await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 3, "at most 3 tries");
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert!(matches!(err, BrokerError::Server { status: 500, .. }), "{err:?}");
    assert!(err.to_string().contains("sys/policies/acl/jit-x"), "{err}");
}

#[tokio::test]
async fn forbidden_and_sealed_are_worded_and_not_retried() {
    let (addr, count) = scripted(403, r#"{"errors":["1 error occurred:\n\t* permission denied\n\n"]}"#, 10);
    let client = OpenBao::new(Config { address: addr, ..config() }).unwrap();
    let err = client.write_policy("jit-x", "path \"a\" { capabilities = [\"read\"] }", None).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(
        err.to_string(),
        "permission denied on `sys/policies/acl/jit-x`: the token needs the `update` capability on that path"
    );

    let (addr, _) = scripted(503, r#"{"errors":["Vault is sealed"]}"#, 10);
    let client = OpenBao::new(Config { address: addr.clone(), ..config() }).unwrap();
    let err = client.read_role("jit-x").await.unwrap_err();
    assert_eq!(err, BrokerError::Sealed { address: addr });
}

/// A loopback HTTP server answering its requests in turn from `script`
/// (status, extra header lines, body); the last entry repeats.
fn sequence(script: Vec<(u16, String, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut s) = stream else { continue };
            let i = c.fetch_add(1, Ordering::SeqCst).min(script.len() - 1);
            let (status, headers, body) = &script[i];
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, count)
}

/// A port nothing listens on.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    addr
}

const POLICY: &str = r#"{"data":{"policy":"path \"a\" { capabilities = [\"read\"] }"}}"#;

#[tokio::test]
async fn a_failing_over_cluster_is_ridden_over_and_the_serving_node_remembered() {
    // Node A is gone; node B has no active node twice, then serves.
    let dead = closed_port();
    let no_leader = r#"{"errors":["local node not active but active cluster node not found"]}"#;
    let (b, count) =
        sequence(vec![(500, String::new(), no_leader), (500, String::new(), no_leader), (200, String::new(), POLICY)]);
    let client =
        OpenBao::new(Config { address: dead.clone(), addresses: vec![dead.clone(), b.clone()], ..config() }).unwrap();
    let policy = client.read_policy("jit-x").await.expect("served after the failover");
    assert!(policy.is_some_and(|p| p.text.contains("capabilities")));
    assert_eq!(count.load(Ordering::SeqCst), 3, "B answered three times");
    assert_eq!(client.current_address(), b, "the node that served is remembered");
    assert!(client.failover_retries() >= 3, "{}", client.failover_retries());
    // The next request goes to B first.
    client.read_policy("jit-x").await.expect("served");
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_standby_redirecting_to_a_lost_node_is_retried_until_it_serves() {
    // The only address given is a standby: it redirects to the active node,
    // which is gone, then (a new active node elected) serves.
    let dead = closed_port();
    let redirect = format!("Location: {dead}/v1/sys/policies/acl/jit-x\r\n");
    let (standby, count) =
        sequence(vec![(307, redirect.clone(), ""), (307, redirect, ""), (200, String::new(), POLICY)]);
    let client = OpenBao::new(Config { address: standby.clone(), ..config() }).unwrap();
    assert!(client.read_policy("jit-x").await.expect("served").is_some());
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn no_node_answering_fails_soon_naming_every_node() {
    let (a, b) = (closed_port(), closed_port());
    let client =
        OpenBao::new(Config { address: a.clone(), addresses: vec![a.clone(), b.clone()], ..config() }).unwrap();
    let start = std::time::Instant::now();
    let err = client.read_policy("jit-x").await.unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(10), "two rounds, not the whole failover budget");
    let text = err.to_string();
    assert!(matches!(err, BrokerError::NoActiveNode { .. }), "{err:?}");
    assert!(text.contains(&format!("{a}: unreachable")) && text.contains(&format!("{b}: unreachable")), "{text}");
}

#[test]
fn the_token_is_never_printed() {
    let c = Config { token: "s.supersecretvalue0000000".into(), ..config() };
    assert!(!format!("{c:?}").contains("supersecret"));
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_after_bounded_tries() {
    // Accepts connections and reads, but never answers (closes after 45 s).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(5).flatten() {
            c.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(45));
    });
    let client = OpenBao::new(Config { address: addr.clone(), ..config() }).unwrap();
    let start = std::time::Instant::now();
    let err = client.read_policy("jit-x").await.unwrap_err();
    let took = start.elapsed();
    assert!(matches!(err, BrokerError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains(&addr), "{err}");
    assert!(count.load(Ordering::SeqCst) <= 3, "at most 3 tries, saw {}", count.load(Ordering::SeqCst));
    assert!(took <= std::time::Duration::from_secs(32), "bounded to about 30 s, took {took:?}");
}

/// A binding's plan and apply against the fake, at the fixed clock's time.
async fn plan_apply(ctx: &Ctx, prior: Value, private: Vec<u8>) -> jit_provider::resources::ApplyResp {
    let config = binding_config();
    let plan = JitBinding
        .plan(
            ctx,
            PlanReq { prior: prior.clone(), proposed: config.clone(), config: config.clone(), prior_private: private },
        )
        .await;
    assert!(plan.diags.is_empty(), "{:?}", plan.diags);
    JitBinding
        .apply(ctx, ApplyReq { prior, planned: plan.planned, config, planned_private: plan.planned_private })
        .await
}

#[tokio::test]
async fn expiry_on_the_server_is_the_expected_end_not_a_deletion() {
    let fake = Arc::new(Fake::new(config()));
    let clock = Arc::new(FixedClock::new("2026-01-10T00:00:00Z".parse().unwrap()));
    *fake.now.lock().unwrap() = Some(clock.now());
    let mut ctx = Ctx::new(clock.clone());
    ctx.broker = Some(fake.clone());
    let applied = plan_apply(&ctx, Value::Null, vec![]).await;
    assert!(applied.diags.is_empty(), "{:?}", applied.diags);
    let expiration = fake.policies.lock().unwrap()["jit-b"].expiration;
    assert_eq!(expiration, Some("2026-01-20T00:00:00Z".parse().unwrap()), "written with expires_at");

    // After expires_at OpenBao has removed the policy; say the role is gone
    // too. A refresh keeps the binding (its end, not a deletion) and records
    // that nothing exists; the plan is an in-place `active -> expired`.
    clock.set("2026-01-21T00:00:00Z".parse().unwrap());
    *fake.now.lock().unwrap() = Some(clock.now());
    fake.roles.lock().unwrap().clear();
    let read = JitBinding.read(&ctx, applied.new_state.clone(), applied.private.clone()).await;
    assert!(read.diags.is_empty(), "{:?}", read.diags);
    assert!(!read.state.is_null(), "an expired binding whose objects are gone is not deleted");
    assert_eq!(read.state.get("openbao_objects"), &Value::List(vec![]));
    let done = plan_apply(&ctx, read.state, read.private).await;
    assert!(done.diags.is_empty(), "{:?}", done.diags);
    assert_eq!(done.new_state.get("status"), &Value::str("expired"));
}

#[tokio::test]
async fn a_grant_ending_between_plan_and_apply_is_no_error() {
    let fake = Arc::new(Fake::new(config()));
    let clock = Arc::new(FixedClock::new("2026-01-10T00:00:00Z".parse().unwrap()));
    *fake.now.lock().unwrap() = Some(clock.now());
    let mut ctx = Ctx::new(clock.clone());
    ctx.broker = Some(fake.clone());
    let applied = plan_apply(&ctx, Value::Null, vec![]).await;
    // Refreshed ten seconds before expires_at: the plan (an edit of
    // `ticket`) keeps it active and its objects.
    clock.set("2026-01-19T23:59:50Z".parse().unwrap());
    *fake.now.lock().unwrap() = Some(clock.now());
    let read = JitBinding.read(&ctx, applied.new_state, applied.private).await;
    let mut config = binding_config();
    config.set("ticket", Value::str("OPS-2"));
    let plan = JitBinding
        .plan(
            &ctx,
            PlanReq {
                prior: read.state.clone(),
                proposed: config.clone(),
                config: config.clone(),
                prior_private: read.private,
            },
        )
        .await;
    assert_eq!(plan.planned.get("status"), &Value::str("active"));
    // Applied after expires_at: OpenBao refuses the policy that would already
    // have expired. No error; the state stays as of the refresh, like status.
    clock.set("2026-01-20T00:00:05Z".parse().unwrap());
    *fake.now.lock().unwrap() = Some(clock.now());
    let planned = plan.planned.clone();
    let done = JitBinding
        .apply(&ctx, ApplyReq { prior: read.state, planned, config, planned_private: plan.planned_private })
        .await;
    assert!(done.diags.is_empty(), "{:?}", done.diags);
    assert_eq!(done.new_state.get("openbao_objects"), plan.planned.get("openbao_objects"));
    assert!(fake.roles.lock().unwrap().is_empty(), "the role of the ended grant is removed");
}
