//! `make bench` (broker part): apply of 300 bindings in broker mode against
//! a local OpenBao server: wall time, and OpenBao requests per binding for
//! create and for refresh, as the provider counts them; then the same apply
//! against a three-node cluster whose active node is killed during it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark

use jit_e2e_tests::cluster::Cluster;
use jit_e2e_tests::openbao::Bao;
use jit_e2e_tests::terraform::{Install, Version, Workdir};
use std::time::Instant;

const N: usize = 300;

fn config(nb: &str, exp: &str) -> String {
    let header = jit_e2e_tests::broker_header("kv/data/team/*");
    format!(
        r#"{header}resource "jit_policy" "p" {{
  name = "p"
  require {{
    source_cidrs = ["127.0.0.0/8"]
  }}
}}
resource "jit_binding" "b" {{
  count       = {N}
  name        = "bench-${{count.index}}"
  role_spec   = jit_role.r.spec
  policy_spec = jit_policy.p.spec
  subject {{
    kind    = "workload"
    name    = "svc-${{count.index}}"
    openbao = "svc-${{count.index}}"
  }}
  not_before = "{nb}"
  expires_at = "{exp}"
}}
"#
    )
}

/// OpenBao requests the provider instances of one Terraform command sent,
/// from the count each reports when Terraform shuts it down.
fn requests(log: &std::path::Path) -> usize {
    counts(log).0
}

/// (requests, of which tries again during a failover), from the provider's
/// shutdown lines; the log is removed.
fn counts(log: &std::path::Path) -> (usize, usize) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    let sum = |key: &str| -> usize {
        text.match_indices(key)
            .filter_map(|(i, k)| text[i + k.len()..].split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
            .sum()
    };
    (sum("openbao_requests="), sum("openbao_failover_retries="))
}

/// The jit- policies on a cluster, asked of whichever node answers.
fn policies(c: &Cluster) -> usize {
    c.request("LIST", "sys/policies/acl", None).1["data"]["keys"]
        .as_array()
        .map(|k| k.iter().filter(|n| n.as_str().is_some_and(|n| n.starts_with("jit-"))).count())
        .unwrap_or(0)
}

/// The same apply against a three-node cluster (every address given), the
/// active node killed once 40 policies are written: time from the kill to
/// the first write that lands on the new active node (the policy count
/// rising again, polled every 50 ms), requests and failover retries, and
/// the apply's total time.
fn failover_run(nb: &str, exp: &str, single: f64, single_requests: usize) {
    let c = Cluster::start("bench");
    let bin = jit_e2e_tests::terraform::provider_binary();
    let w = Workdir::with_provider("bench-failover", Version::Latest, Install::DevOverrides, bin);
    let addrs: Vec<String> = c.addrs.iter().map(|a| format!("\"{a}\"")).collect();
    let text =
        config(nb, exp).replace("openbao {}", &format!("openbao {{\n    addresses = [{}]\n  }}", addrs.join(", ")));
    w.write("main.tf", &text);
    let log = c.dir.join("provider.log");
    let log_s = log.display().to_string();
    let env = [("BAO_TOKEN", c.token.as_str()), ("TF_LOG_PROVIDER", "info"), ("TF_LOG_PATH", log_s.as_str())];
    let active = c.active().expect("an active node");
    let start = Instant::now();
    let (r, kill_to_write) = std::thread::scope(|s| {
        let run =
            s.spawn(|| w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env));
        while policies(&c) < 40 && start.elapsed().as_secs() < 120 && !run.is_finished() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let killed = Instant::now();
        c.kill(active);
        // A new active node, then the first write it takes (the count of
        // policies rising past what it held when elected).
        let mut elected = None;
        while elected.is_none() && killed.elapsed().as_secs() < 90 {
            if c.active().is_some_and(|n| n != active) {
                elected = Some((killed.elapsed().as_secs_f64(), policies(&c)));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut first = None;
        while let (None, Some((_, held))) = (first, elected) {
            if killed.elapsed().as_secs() >= 90 {
                break;
            }
            if policies(&c) > held {
                first = Some(killed.elapsed().as_secs_f64());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        (run.join().expect("apply"), (elected.map(|e| e.0), first))
    });
    let total = start.elapsed().as_secs_f64();
    let (reqs, retries) = counts(&log);
    println!("failover: three-node cluster (integrated storage), active node SIGKILLed after 40 policies:");
    println!("  apply exit {}   {total:6.2} s in all (single node: {single:.2} s)", r.code);
    let (elected, write) = kill_to_write;
    let secs = |t: Option<f64>| t.map_or("none within 90 s".to_string(), |t| format!("{t:6.2} s"));
    println!("  kill -> a new active node                    {}", secs(elected));
    println!("  kill -> first write on the new active node   {}", secs(write));
    println!(
        "  OpenBao requests {reqs} ({:+} against the single node), of which {retries} tries again during the failover",
        reqs as i64 - single_requests as i64
    );
}

fn main() {
    let bao = Bao::start("bench");
    let log = bao.dir.join("provider.log");
    let bin = jit_e2e_tests::terraform::provider_binary();
    let w = Workdir::with_provider("bench-broker", Version::Latest, Install::DevOverrides, bin);
    let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap();
    let nb = jiff::Timestamp::from_second(now.as_second() - 3600).unwrap();
    let exp = jiff::Timestamp::from_second(now.as_second() + 2 * 86_400).unwrap();
    w.write("main.tf", &config(&nb.to_string(), &exp.to_string()));
    let log_s = log.display().to_string();
    let mut env = bao.env();
    env.push(("TF_LOG_PROVIDER", "info"));
    env.push(("TF_LOG_PATH", log_s.as_str()));
    let t = Instant::now();
    let r = w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env);
    let apply = t.elapsed().as_secs_f64();
    assert_eq!(r.code, 0, "{}", r.all());
    let create = requests(&log);
    let t = Instant::now();
    let r = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color", "-parallelism=20"], &env);
    let refresh_time = t.elapsed().as_secs_f64();
    assert_eq!(r.code, 0, "{}", r.all());
    let refresh = requests(&log);
    println!("broker mode, {N} bindings, Terraform 1.15, local OpenBao, -parallelism=20 (debug provider build):");
    println!(
        "  apply (create)   {apply:6.2} s   {:.2} OpenBao requests per binding (target <= 4)",
        create as f64 / N as f64
    );
    println!(
        "  plan (refresh)   {refresh_time:6.2} s   {:.2} OpenBao requests per binding (target <= 3)",
        refresh as f64 / N as f64
    );
    let r = w.run_env(&["destroy", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env);
    assert_eq!(r.code, 0, "{}", r.all());
    drop(bao);
    failover_run(&nb.to_string(), &exp.to_string(), apply, create);
}
