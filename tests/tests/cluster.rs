//! Broker mode on a real three-node OpenBao cluster with integrated storage
//! (`tools/bao-cluster.sh`), with real Terraform: 300 bindings applied at
//! `-parallelism=20` while the active node is killed (SIGKILL) a few
//! seconds into the apply. The apply completes or fails naming the
//! failover; either way every object in state exists on the cluster and
//! every `jit-` object on the cluster is in state; the next apply converges
//! and the plan after it is empty; 600 objects in the end, counted over the
//! HTTP API. Once with the provider given a standby's address only, once
//! with all three. `jitc drift` then finds no drift, and exits 1 when no
//! node answers.

use jiff::{Timestamp, ToSpan};
use jit_e2e_tests::cluster::Cluster;
use jit_e2e_tests::terraform::{Install, Run, Version, Workdir};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

const BINDINGS: usize = 300;

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.all());
}

/// 300 bindings of one role and policy, as a document.
fn document(now: Timestamp) -> String {
    let mut s = String::from(
        "version = \"jit/v1\"\nrole \"kv\" {\n  openbao {\n    path \"kv/data/team/*\" {\n      capabilities = [\"read\"]\n    }\n  }\n}\npolicy \"p\" {\n  max_grant = \"7d\"\n}\n",
    );
    for i in 0..BINDINGS {
        s.push_str(&format!(
            "binding \"load-{i}\" {{\n  role   = \"kv\"\n  policy = \"p\"\n  subject {{\n    kind    = \"workload\"\n    name    = \"svc-{i}\"\n    openbao = \"svc-{i}\"\n  }}\n  not_before = \"{}\"\n  expires_at = \"{}\"\n}}\n",
            now - 1.hour(),
            now + 48.hours()
        ));
    }
    s
}

fn main_tf(openbao: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    jit = {{ source = "registry.terraform.io/jit/jit" }}
  }}
}}

provider "jit" {{
  openbao {{
{openbao}
  }}
}}

data "jit_document" "load" {{
  path = "${{path.module}}/policies"
}}

resource "jit_binding" "b" {{
  for_each    = data.jit_document.load.bindings
  name        = each.key
  role_spec   = each.value.role_spec
  policy_spec = each.value.policy_spec
  subject {{
    kind    = each.value.subject.kind
    name    = each.value.subject.name
    openbao = each.value.subject.openbao
  }}
  not_before = each.value.not_before
  expires_at = each.value.expires_at
}}
"#
    )
}

/// The `jit-` policies and AppRole roles on the cluster, as paths, asked of
/// whichever node answers.
fn on_cluster(c: &Cluster) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (list, prefix) in [("sys/policies/acl", "sys/policies/acl/"), ("auth/approle/role", "auth/approle/role/")] {
        let (status, v) = c.request("LIST", list, None);
        assert!(status == 200 || status == 404, "LIST {list}: {status} {v}");
        for k in v["data"]["keys"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if k.starts_with("jit-") {
                out.insert(format!("{prefix}{k}"));
            }
        }
    }
    out
}

/// The objects Terraform's state records (`openbao_objects` of every binding).
fn in_state(w: &Workdir) -> BTreeSet<String> {
    let text = std::fs::read_to_string(w.dir.join("terraform.tfstate")).unwrap_or_default();
    let state: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut out = BTreeSet::new();
    for r in state["resources"].as_array().into_iter().flatten().filter(|r| r["type"] == "jit_binding") {
        for i in r["instances"].as_array().into_iter().flatten() {
            for o in i["attributes"]["openbao_objects"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                out.insert(o.to_string());
            }
        }
    }
    out
}

fn drift(w: &Workdir, c: &Cluster, addrs: &str) -> (i32, String) {
    let out = Command::new(jit_e2e_tests::jitc_bin())
        .args(["drift", &w.dir.join("policies").display().to_string(), "--openbao-addr", addrs, "--format", "json"])
        .env("BAO_TOKEN", &c.token)
        .output()
        .expect("jitc drift");
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// Apply 300 bindings, kill the active node once `kill_after` policies are
/// on the cluster, and check what the issue asks. `openbao` is the body of
/// the provider's `openbao` block, given the cluster.
fn failover(name: &str, openbao: impl Fn(&Cluster, usize) -> String) {
    let c = Cluster::start(name);
    let active = c.active().expect("an active node");
    let w = Workdir::new(name, Version::Latest, Install::DevOverrides);
    let now = Timestamp::from_second(Timestamp::now().as_second()).expect("whole seconds");
    w.write("policies/load.hcl", &document(now));
    w.write("main.tf", &main_tf(&openbao(&c, active)));
    let env = [("BAO_TOKEN", c.token.as_str())];
    let started = Instant::now();
    let (apply, killed_after, new_active) = std::thread::scope(|s| {
        let run =
            s.spawn(|| w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env));
        // A few seconds in: once some objects are written (bounded wait).
        let deadline = Instant::now() + Duration::from_secs(120);
        while on_cluster(&c).len() < 40 && Instant::now() < deadline && !run.is_finished() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let killed = Instant::now();
        let written = on_cluster(&c).len();
        c.kill(active);
        // Until another node is active (bounded).
        let mut new_active = None;
        while new_active.is_none() && killed.elapsed() < Duration::from_secs(60) {
            new_active = c.active().filter(|n| *n != active);
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "{name}: killed node {active} {:.1}s into the apply ({written} objects written); node {:?} active {:.1}s later",
            killed.duration_since(started).as_secs_f64(),
            new_active,
            killed.elapsed().as_secs_f64()
        );
        (run.join().expect("terraform apply"), killed.duration_since(started), new_active)
    });
    assert!(killed_after < Duration::from_secs(115), "{name}: the apply ended before the kill");
    assert!(new_active.is_some(), "{name}: no node became active within 60 s of the kill");
    let text = apply.all();
    eprintln!("{name}: apply exited {} after {:.1}s", apply.code, started.elapsed().as_secs_f64());
    if apply.code != 0 {
        assert!(
            text.contains("no OpenBao node served") || text.contains("failing over"),
            "{name}: a failure must name the failover:\n{text}"
        );
    }
    // State and cluster agree, whatever the apply came to.
    let (state, cluster) = (in_state(&w), on_cluster(&c));
    assert_eq!(
        state.symmetric_difference(&cluster).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "{name}: state and cluster disagree after the failover apply"
    );
    // The next apply converges; the plan after it is empty.
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env), "apply again");
    let plan = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color", "-parallelism=20"], &env);
    assert_eq!(plan.code, 0, "{name}: the plan after convergence:\n{}", plan.all());
    let cluster = on_cluster(&c);
    assert_eq!(cluster.len(), 2 * BINDINGS, "{name}: 300 policies and 300 roles on the cluster");
    assert_eq!(in_state(&w), cluster, "{name}: state records every object");

    // jitc drift against the nodes still alive: no drift.
    let alive: Vec<&str> = (1..=3).filter(|n| *n != active).map(|n| c.addrs[n - 1].as_str()).collect();
    let (code, out) = drift(&w, &c, &c.addrs.join(","));
    assert_eq!(code, 0, "{name}: drift after convergence (all three addresses, one dead):\n{out}");
    let (code, out) = drift(&w, &c, alive[0]);
    assert_eq!(code, 0, "{name}: drift through one live node:\n{out}");
    // No node answers: an error (1), not drift (2).
    c.stop();
    let (code, out) = drift(&w, &c, &c.addrs.join(","));
    assert_eq!(code, 1, "{name}: drift with no node answering:\n{out}");
    assert!(out.contains("unreachable") || out.contains("no OpenBao node"), "{out}");
}

#[test]
fn failover_with_every_address() {
    failover("cluster-all", |c, _| {
        format!("    addresses = [{}]", c.addrs.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", "))
    });
}

#[test]
fn failover_with_a_standby_address_only() {
    failover("cluster-standby", |c, active| {
        let standby = (1..=3).find(|n| *n != active).expect("a standby");
        format!("    address = \"{}\"", c.addrs[standby - 1])
    });
}
