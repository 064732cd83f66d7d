//! Target agreement: at sampled instants, the generated GCP condition (run
//! by a real CEL engine, cel-python) and the generated AWS `aws:CurrentTime`
//! conditions (evaluated here from the policy JSON alone) must both equal
//! `ir::is_active`. Any mismatch fails.
//!
//! Documents: the snapshot corpus plus a generated set that stresses
//! overnight windows, minute-level boundaries, several zones and the DST
//! change days of Europe/Paris and America/New_York.

use jiff::Timestamp;
use jit_e2e_tests::{policy_files, root, run_tool, Rng};
use jit_policy::lower::Options;
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use jit_policy::{compile, ir, load, render};
use serde_json::{json, Value};

/// Policies around the 2026 DST changes (Paris: 03-29 and 10-25; New York:
/// 03-08 and 11-01), with overnight, minute-level and DST-hour windows.
fn generated() -> String {
    let windows: &[(&str, &str, &str, &str)] = &[
        ("sun, mon, sat", "22:00", "06:00", "Europe/Paris"),
        ("sun", "02:30", "04:15", "Europe/Paris"),
        ("sun", "01:30", "02:45", "America/New_York"),
        ("sat, sun", "23:47", "01:13", "America/New_York"),
        ("mon, tue, wed, thu, fri", "08:30", "12:15", "Asia/Tokyo"),
        ("fri", "17:00", "00:00", "UTC"),
        ("sun, mon, tue, wed, thu, fri, sat", "00:00", "23:59", "Europe/Paris"),
        ("wed, thu", "12:01", "12:02", "America/New_York"),
    ];
    let grants: &[(&str, &str)] = &[
        ("2026-03-26T13:17:00Z", "2026-04-02T08:00:00Z"),
        ("2026-03-05T00:00:00-05:00", "2026-03-12T00:00:00Z"),
        ("2026-10-22T21:59:00Z", "2026-10-29T02:01:00+01:00"),
        ("2026-10-29T00:00:00Z", "2026-11-05T23:47:00Z"),
    ];
    let mut s = String::from("version = \"jit/v1\"\n");
    s.push_str("role \"r\" {\n  aws {\n    actions = [\"s3:GetObject\"]\n    resources = [\"arn:aws:s3:::b/*\"]\n  }\n  gcp {\n    role = \"roles/storage.objectViewer\"\n    resource = \"projects/p\"\n  }\n}\n");
    // Single windows and pairs of windows (pairs stay within 12 operators).
    let mut policies: Vec<Vec<usize>> = (0..windows.len()).map(|i| vec![i]).collect();
    policies.extend([vec![0, 2], vec![1, 4], vec![3, 5], vec![6, 7]]);
    for (pi, ws) in policies.iter().enumerate() {
        s.push_str(&format!("policy \"p{pi}\" {{\n  max_grant = \"14d\"\n"));
        for &wi in ws {
            let (days, start, end, tz) = windows[wi];
            let days: Vec<String> = days.split(", ").map(|d| format!("\"{d}\"")).collect();
            s.push_str(&format!(
                "  window {{\n    days = [{}]\n    start = \"{start}\"\n    end = \"{end}\"\n    timezone = \"{tz}\"\n  }}\n",
                days.join(", ")
            ));
        }
        s.push_str("}\n");
        for (gi, (nb, exp)) in grants.iter().enumerate() {
            s.push_str(&format!(
                "binding \"b{pi}-{gi}\" {{\n  role = \"r\"\n  policy = \"p{pi}\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws = \"arn:aws:iam::123456789012:role/w\"\n    gcp = \"serviceAccount:w@p.iam.gserviceaccount.com\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n}}\n"
            ));
        }
    }
    s
}

/// Every binding of a compilation with its GCP expression and AWS policy.
struct Case {
    binding: ir::Binding,
    cel: String,
    aws: Value,
}

fn cases_of(sources: SourceMap) -> Vec<Case> {
    let c = compile(sources, &[Target::Aws, Target::Gcp], &Options::default());
    let errors: Vec<String> = c.diagnostics.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "corpus does not compile: {errors:?}");
    let mut out = Vec::new();
    for l in &c.outputs {
        let v = render::binding_json(l);
        let (Some(cel), Some(aws)) = (v["gcp"]["condition"]["expression"].as_str(), v.get("aws")) else { continue };
        let binding = c.model.bindings.iter().find(|b| b.name == l.binding).cloned();
        if let Some(binding) = binding {
            out.push(Case { binding, cel: cel.to_string(), aws: aws.clone() });
        }
    }
    out
}

/// Instants to sample for one binding: random ones over the grant and a
/// day either side, and both sides of every boundary the IR knows of.
fn instants(b: &ir::Binding, rng: &mut Rng, random: usize) -> Vec<Timestamp> {
    let lo = b.not_before.as_second() - 86_400;
    let hi = b.expires_at.as_second() + 86_400;
    let mut out: Vec<i64> = (0..random).map(|_| rng.range(lo, hi)).collect();
    let mut edges = vec![b.not_before.as_second(), b.expires_at.as_second()];
    for (a, z) in ir::active_intervals(&b.policy.windows, b.not_before, b.expires_at) {
        edges.extend([a.as_second(), z.as_second()]);
    }
    for e in edges {
        out.extend([e - 61, e - 1, e, e + 1, e + 59]);
    }
    out.into_iter().filter_map(|s| Timestamp::from_second(s).ok()).collect()
}

/// AWS semantics, from the policy JSON alone: allowed iff some statement's
/// `DateGreaterThanEquals` <= t < `DateLessThan` on aws:CurrentTime.
fn aws_allows(policy: &Value, t: Timestamp) -> bool {
    policy["Statement"].as_array().into_iter().flatten().any(|st| {
        let from = st["Condition"]["DateGreaterThanEquals"]["aws:CurrentTime"].as_str();
        let until = st["Condition"]["DateLessThan"]["aws:CurrentTime"].as_str();
        match (from.and_then(|s| s.parse::<Timestamp>().ok()), until.and_then(|s| s.parse::<Timestamp>().ok())) {
            (Some(f), Some(u)) => f <= t && t < u,
            _ => panic!("statement without both aws:CurrentTime bounds: {st}"),
        }
    })
}

#[test]
fn gcp_cel_and_aws_conditions_agree_with_is_active() {
    let mut cases = Vec::new();
    let mut generated_map = SourceMap::new();
    generated_map.add(SourceFile::new("generated.hcl", Syntax::Hcl, generated()));
    cases.extend(cases_of(generated_map));
    for f in policy_files(&root().join("tests/corpus")) {
        if f.components().any(|c| c.as_os_str() == "pairs") {
            continue;
        }
        let sources = load::load_paths(&[f]).expect("corpus file loads");
        cases.extend(cases_of(sources));
    }
    cases.extend(cases_of(load::load_paths(&[root().join("examples/policies")]).expect("examples load")));
    assert!(cases.len() >= 40, "expected many bindings, got {}", cases.len());

    let mut rng = Rng::new(0x5eed_2026);
    let mut request = Vec::new();
    let mut samples: Vec<Vec<Timestamp>> = Vec::new();
    for c in &cases {
        let ts = instants(&c.binding, &mut rng, 160);
        request.push(json!({"expression": c.cel, "instants": ts.iter().map(|t| t.to_string()).collect::<Vec<_>>()}));
        samples.push(ts);
    }
    let total: usize = samples.iter().map(Vec::len).sum();
    assert!(total >= 10_000, "only {total} instants sampled");

    let (code, stdout, stderr) = run_tool("cel_eval.py", &[], &json!({"cases": request}).to_string());
    assert_eq!(code, 0, "cel_eval.py failed: {stderr}");
    let results: Value = serde_json::from_str(&stdout).expect("cel_eval.py prints JSON");

    let mut mismatches = Vec::new();
    let mut active = 0usize;
    for (i, c) in cases.iter().enumerate() {
        let cel_results = results["results"][i].as_array().expect("one result list per case");
        assert_eq!(cel_results.len(), samples[i].len());
        for (t, cel) in samples[i].iter().zip(cel_results) {
            let want = ir::is_active(&c.binding, *t);
            active += usize::from(want);
            let cel = cel.as_bool().expect("boolean result");
            let aws = aws_allows(&c.aws, *t);
            if cel != want || aws != want {
                mismatches.push(format!("{} at {t}: is_active={want} cel={cel} aws={aws}", c.binding.name));
            }
        }
    }
    eprintln!(
        "agreement: {} bindings, {total} instants ({active} active), {} mismatches",
        cases.len(),
        mismatches.len()
    );
    assert!(active > total / 20 && active < total, "sampling must see both active and inactive instants");
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:#?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(20)]
    );
}
