//! `make bench` (broker part): apply of 300 bindings in broker mode against
//! a local OpenBao server: wall time, and OpenBao requests per binding for
//! create and for refresh, counted by the server's own audit log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark

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
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let _ = std::fs::remove_file(log);
    text.match_indices("openbao_requests=")
        .filter_map(|(i, k)| text[i + k.len()..].split(|c: char| !c.is_ascii_digit()).next()?.parse::<usize>().ok())
        .sum()
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
}
