//! `make bench` (provider part): Terraform plan and apply of 1,000
//! `jit_binding` against 1,000 `terraform_data` with the same-shaped inputs
//! (Terraform core's own floor), provider start to handshake line (median of
//! 20), and the provider's peak RSS while planning and applying 1,000
//! bindings. Uses the release build of the provider.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark

use jit_e2e_tests::root;
use jit_e2e_tests::terraform::{Install, Version, Workdir};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const N: usize = 1000;
/// Per Terraform command: an apply of N resources takes minutes on 2 cores
/// (Terraform rewrites the whole local state after each resource).
const LIMIT: Duration = Duration::from_secs(900);

const ROLE: &str = r#"{"name":"reader","aws":{"actions":["s3:GetObject"],"resources":["arn:aws:s3:::bucket/*"]},"gcp":{"role":"roles/storage.objectViewer","resource":"projects/p"}}"#;
const POLICY: &str = r#"{"name":"hours","max_session":"1h","max_grant":"14d","windows":[{"days":["mon","tue","wed","thu","fri"],"start":"09:00","end":"17:00","timezone":"Europe/Paris"}]}"#;

fn jit_config() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    jit = {{ source = "registry.terraform.io/jit/jit" }}
  }}
}}
locals {{
  role   = {role}
  policy = {policy}
}}
resource "jit_binding" "b" {{
  count       = {N}
  name        = "b-${{count.index}}"
  role_spec   = local.role
  policy_spec = local.policy
  subject {{
    kind = "workload"
    name = "svc-${{count.index}}"
    aws  = "arn:aws:iam::123456789012:role/svc-${{count.index}}"
    gcp  = "serviceAccount:svc-${{count.index}}@p.iam.gserviceaccount.com"
  }}
  not_before = "2026-12-01T00:00:00Z"
  expires_at = "2026-12-08T00:00:00Z"
  ticket     = "OPS-${{count.index}}"
}}
"#,
        role = serde_json::to_string(ROLE).unwrap(),
        policy = serde_json::to_string(POLICY).unwrap()
    )
}

fn data_config() -> String {
    format!(
        r#"locals {{
  role   = {role}
  policy = {policy}
}}
resource "terraform_data" "b" {{
  count = {N}
  input = {{
    name        = "b-${{count.index}}"
    role_spec   = local.role
    policy_spec = local.policy
    subject = {{
      kind = "workload"
      name = "svc-${{count.index}}"
      aws  = "arn:aws:iam::123456789012:role/svc-${{count.index}}"
      gcp  = "serviceAccount:svc-${{count.index}}@p.iam.gserviceaccount.com"
    }}
    not_before = "2026-12-01T00:00:00Z"
    expires_at = "2026-12-08T00:00:00Z"
    ticket     = "OPS-${{count.index}}"
  }}
}}
"#,
        role = serde_json::to_string(ROLE).unwrap(),
        policy = serde_json::to_string(POLICY).unwrap()
    )
}

/// `terraform_data` carrying the same values a jit_binding ends with: its
/// inputs and the compiled outputs (computed here with the compiler, as the
/// provider does). Terraform core's floor for this much data.
fn same_values_config() -> String {
    let mut doc = format!(
        "version: jit/v1\nroles:\n  reader: {}\npolicies:\n  hours: {}\nbindings:\n",
        strip_name(ROLE),
        strip_name(POLICY)
    );
    for i in 0..N {
        doc.push_str(&format!(
            "  b-{i}:\n    role: reader\n    policy: hours\n    subject: {{kind: workload, name: svc-{i}, aws: \"arn:aws:iam::123456789012:role/svc-{i}\", gcp: \"serviceAccount:svc-{i}@p.iam.gserviceaccount.com\"}}\n    not_before: \"2026-12-01T00:00:00Z\"\n    expires_at: \"2026-12-08T00:00:00Z\"\n    ticket: OPS-{i}\n"
        ));
    }
    let mut sources = jit_policy::source::SourceMap::new();
    sources.add(jit_policy::source::SourceFile::new("bench.yaml", jit_policy::source::Syntax::Yaml, doc));
    let c = jit_policy::compile(sources, jit_policy::target::Target::ALL, &jit_policy::lower::Options::default());
    assert!(!c.has_errors());
    let q = |v: &serde_json::Value| serde_json::to_string(&v.to_string()).unwrap();
    let mut out = format!(
        "locals {{\n  role   = {}\n  policy = {}\n}}\n",
        serde_json::to_string(ROLE).unwrap(),
        serde_json::to_string(POLICY).unwrap()
    );
    for l in &c.outputs {
        let v = jit_policy::render::binding_json(l);
        let i = l.binding.trim_start_matches("b-");
        out.push_str(&format!(
            r#"resource "terraform_data" "{b}" {{
  input = {{
    name        = "{b}"
    role_spec   = local.role
    policy_spec = local.policy
    subject = {{
      kind = "workload"
      name = "svc-{i}"
      aws  = "arn:aws:iam::123456789012:role/svc-{i}"
      gcp  = "serviceAccount:svc-{i}@p.iam.gserviceaccount.com"
    }}
    not_before                  = "2026-12-01T00:00:00Z"
    expires_at                  = "2026-12-08T00:00:00Z"
    ticket                      = "OPS-{i}"
    status                      = "pending"
    aws_policy_json             = {aws}
    aws_max_session_duration    = 3600
    gcp_binding                 = {gcp}
    broker_rule_json            = {broker}
    enforcement                 = {{ aws = "expanded", broker = "exact", gcp = "exact" }}
    digest                      = "{digest}"
  }}
}}
"#,
            b = l.binding,
            aws = q(&v["aws"]),
            gcp = q(&v["gcp"]),
            broker = q(&v["broker"]),
            digest = l.digest,
        ));
    }
    out
}

fn strip_name(spec: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(spec).unwrap();
    v.as_object_mut().unwrap().remove("name");
    v.to_string()
}

fn timed(w: &Workdir, args: &[&str]) -> f64 {
    let t = Instant::now();
    let r = w.run(args);
    assert_eq!(r.code, 0, "terraform {args:?} failed:\n{}", r.all());
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (plan seconds: median of `rounds` fresh plans, apply seconds: one
/// fresh apply of the last plan).
fn plan_apply(w: &Workdir, rounds: usize) -> (f64, f64) {
    let _ = std::fs::remove_file(w.dir.join("terraform.tfstate"));
    let plans: Vec<f64> =
        (0..rounds).map(|_| timed(w, &["plan", "-input=false", "-no-color", "-out=bench.tfplan"])).collect();
    let apply = timed(w, &["apply", "-input=false", "-no-color", "bench.tfplan"]);
    (median(plans), apply)
}

fn release_provider() -> PathBuf {
    let bin = root().join("target/release/terraform-provider-jit");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-q", "-p", "terraform-provider-jit"])
        .current_dir(root())
        .status()
        .unwrap();
    assert!(status.success() && bin.is_file());
    bin
}

fn handshake_ms(bin: &Path) -> f64 {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let mut child = Command::new(bin)
            .env("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_CLIENT_CERT", cert.pem())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(line.starts_with("1|6|unix|"));
        let _ = child.kill();
        let _ = child.wait();
    }
    median(times)
}

/// A provider directory whose `terraform-provider-jit` runs the real binary
/// and samples its VmHWM into `out` until it exits.
fn rss_wrapper(real: &Path, dir: &Path, out: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let script = dir.join("terraform-provider-jit");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\"{}\" \"$@\" &\npid=$!\ntrap 'kill -TERM $pid' TERM INT\nwhile kill -0 $pid 2>/dev/null; do\n  v=$(awk '/VmHWM/{{print $2}}' /proc/$pid/status 2>/dev/null)\n  [ -n \"$v\" ] && echo \"$v\" >> \"{}\"\n  sleep 0.05\ndone\nwait $pid\n",
            real.display(),
            out.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&script).status().unwrap();
    script
}

fn main() {
    let bin = release_provider();
    println!("provider start to handshake line: {:.2} ms (median of 20; target < 10 ms)", handshake_ms(&bin));

    let rounds = 3;
    let data = Workdir::with_provider("bench-data", Version::Latest, Install::DevOverrides, &bin).with_limit(LIMIT);
    data.write("main.tf", &data_config());
    let (dp, da) = plan_apply(&data, rounds);
    let same = Workdir::with_provider("bench-same", Version::Latest, Install::DevOverrides, &bin).with_limit(LIMIT);
    same.write("main.tf", &same_values_config());
    let (sp, sa) = plan_apply(&same, rounds);
    let jit = Workdir::with_provider("bench-jit", Version::Latest, Install::DevOverrides, &bin).with_limit(LIMIT);
    jit.write("main.tf", &jit_config());
    let (jp, ja) = plan_apply(&jit, rounds);
    println!("terraform plan (median of {rounds}) and apply (once) of {N} resources, fresh state, Terraform 1.15:");
    println!("  terraform_data, same inputs           plan {dp:6.2} s   apply {da:6.2} s");
    println!("  terraform_data, same inputs+outputs   plan {sp:6.2} s   apply {sa:6.2} s");
    println!("  jit_binding                           plan {jp:6.2} s   apply {ja:6.2} s");
    println!(
        "  ratio to same inputs                  plan {:6.3}     apply {:6.3}     (target <= 1.10)",
        jp / dp,
        ja / da
    );
    println!("  ratio to same inputs+outputs          plan {:6.3}     apply {:6.3}", jp / sp, ja / sa);

    let rss_file = std::env::temp_dir().join(format!("jit-bench-rss-{}", std::process::id()));
    let _ = std::fs::remove_file(&rss_file);
    let wrapper_dir = std::env::temp_dir().join(format!("jit-bench-wrapper-{}", std::process::id()));
    let wrapper = rss_wrapper(&bin, &wrapper_dir, &rss_file);
    let w = Workdir::with_provider("bench-rss", Version::Latest, Install::DevOverrides, &wrapper).with_limit(LIMIT);
    w.write("main.tf", &jit_config());
    let _ = plan_apply(&w, 1);
    std::thread::sleep(Duration::from_millis(300));
    let peak = std::fs::read_to_string(&rss_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    println!(
        "provider peak RSS while planning and applying {N} bindings: {:.1} MB (target < 50 MB)",
        peak as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&wrapper_dir);
    let _ = std::fs::remove_file(&rss_file);
}
