//! Target agreement: at sampled instants, every target's compiled output,
//! decided by an engine that reads only that output, must equal
//! `ir::is_active`. The engines are a table (`ORACLES`: target, engine):
//! GCP's CEL condition by cel-python, AWS's `aws:CurrentTime` bounds by this
//! test's own reading of the policy JSON. Any mismatch fails.
//!
//! Documents: the snapshot corpus plus a generated set that stresses
//! overnight windows, minute-level boundaries, several zones and the DST
//! change days of Europe/Paris and America/New_York, and grants without
//! windows (for targets that express bounds alone).

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
            s.push_str(&binding(&format!("b{pi}-{gi}"), &format!("p{pi}"), nb, exp));
        }
    }
    // Grants without windows, for targets that express bounds alone: 64
    // bounds at minute-level offsets across both DST changes.
    s.push_str("policy \"any-time\" {\n  max_grant = \"14d\"\n}\n");
    let start = Timestamp::from_second(1_772_323_200).expect("2026-03-01"); // 2026-03-01T00:00:00Z
    for k in 0..64i64 {
        let nb = Timestamp::from_second(start.as_second() + k * (6 * 86_400 + 37 * 60)).expect("instant");
        let exp = Timestamp::from_second(nb.as_second() + 86_400 + k * 3 * 3600 + 13 * 60).expect("instant");
        s.push_str(&binding(&format!("any-{k}"), "any-time", &nb.to_string(), &exp.to_string()));
    }
    s
}

fn binding(name: &str, policy: &str, nb: &str, exp: &str) -> String {
    format!(
        "binding \"{name}\" {{\n  role = \"r\"\n  policy = \"{policy}\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws = \"arn:aws:iam::123456789012:role/w\"\n    gcp = \"serviceAccount:w@p.iam.gserviceaccount.com\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n}}\n"
    )
}

/// An independent engine that decides, from one target's compiled output
/// alone, whether a binding grants access at an instant. The agreement test
/// runs every row of [`ORACLES`]; a new target adds a row.
trait Oracle: Sync {
    /// The target whose output the engine reads.
    fn target(&self) -> Target;
    /// The engine, as failures and the summary name it.
    fn engine(&self) -> &'static str;
    /// For each case (the binding's compiled JSON and instants), whether the
    /// output allows a request at each instant.
    fn decide(&self, cases: &[(&Value, &[Timestamp])]) -> Vec<Vec<bool>>;
}

/// GCP: the CEL condition, run by cel-python (the CEL reference semantics,
/// zone-aware `getDayOfWeek`, `getHours`, `getMinutes`).
struct CelPython;

impl Oracle for CelPython {
    fn target(&self) -> Target {
        Target::Gcp
    }
    fn engine(&self) -> &'static str {
        "cel-python"
    }
    fn decide(&self, cases: &[(&Value, &[Timestamp])]) -> Vec<Vec<bool>> {
        let request: Vec<Value> = cases
            .iter()
            .map(|(v, ts)| {
                let expression = v["gcp"]["condition"]["expression"].as_str().expect("a CEL expression");
                json!({"expression": expression, "instants": ts.iter().map(|t| t.to_string()).collect::<Vec<_>>()})
            })
            .collect();
        let (code, stdout, stderr) = run_tool("cel_eval.py", &[], &json!({"cases": request}).to_string());
        assert_eq!(code, 0, "cel_eval.py failed: {stderr}");
        let results: Value = serde_json::from_str(&stdout).expect("cel_eval.py prints JSON");
        (0..cases.len())
            .map(|i| {
                let r = results["results"][i].as_array().expect("one result list per case");
                r.iter().map(|b| b.as_bool().expect("boolean result")).collect()
            })
            .collect()
    }
}

/// AWS: `aws:CurrentTime` bounds read from the policy JSON, a request at t
/// allowed iff some statement has `DateGreaterThanEquals` <= t <
/// `DateLessThan`. This evaluator is the test's own, not AWS's.
struct AwsCurrentTime;

impl Oracle for AwsCurrentTime {
    fn target(&self) -> Target {
        Target::Aws
    }
    fn engine(&self) -> &'static str {
        "aws:CurrentTime bounds (this test's evaluator)"
    }
    fn decide(&self, cases: &[(&Value, &[Timestamp])]) -> Vec<Vec<bool>> {
        cases.iter().map(|(v, ts)| ts.iter().map(|t| aws_allows(&v["aws"], *t)).collect()).collect()
    }
}

/// The table: (target, independent engine).
const ORACLES: &[&dyn Oracle] = &[&CelPython, &AwsCurrentTime];

/// Every binding of a compilation with its compiled JSON.
struct Case {
    binding: ir::Binding,
    output: Value,
}

fn cases_of(sources: SourceMap) -> Vec<Case> {
    let targets: Vec<Target> = ORACLES.iter().map(|o| o.target()).collect();
    let c = compile(sources, &targets, &Options::default());
    let errors: Vec<String> = c.diagnostics.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "corpus does not compile: {errors:?}");
    c.outputs
        .iter()
        .filter_map(|l| {
            let binding = c.model.bindings.iter().find(|b| b.name == l.binding).cloned()?;
            Some(Case { binding, output: render::binding_json(l) })
        })
        .collect()
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
fn every_target_agrees_with_is_active_by_an_independent_engine() {
    let mut cases = Vec::new();
    let mut generated_map = SourceMap::new();
    generated_map.add(SourceFile::new("generated.hcl", Syntax::Hcl, generated()));
    cases.extend(cases_of(generated_map));
    for f in policy_files(&root().join("policy-compiler/tests/corpus")) {
        if f.components().any(|c| c.as_os_str() == "pairs") {
            continue;
        }
        let sources = load::load_paths(&[f]).expect("corpus file loads");
        cases.extend(cases_of(sources));
    }
    cases.extend(cases_of(load::load_paths(&[root().join("examples/policies")]).expect("examples load")));
    assert!(cases.len() >= 40, "expected many bindings, got {}", cases.len());

    // The same instants for every engine.
    let mut rng = Rng::new(0x5eed_2026);
    let samples: Vec<Vec<Timestamp>> = cases.iter().map(|c| instants(&c.binding, &mut rng, 160)).collect();
    let mut mismatches = Vec::new();
    for oracle in ORACLES {
        let t = oracle.target();
        let mine: Vec<usize> = (0..cases.len()).filter(|&i| cases[i].output.get(t.as_str()).is_some()).collect();
        let input: Vec<(&Value, &[Timestamp])> = mine.iter().map(|&i| (&cases[i].output, &samples[i][..])).collect();
        let decisions = oracle.decide(&input);
        assert_eq!(decisions.len(), mine.len(), "{}: one decision list per case", oracle.engine());
        let (mut total, mut active) = (0usize, 0usize);
        for (&i, got) in mine.iter().zip(&decisions) {
            assert_eq!(got.len(), samples[i].len(), "{}: one decision per instant", oracle.engine());
            for (at, allowed) in samples[i].iter().zip(got) {
                let want = ir::is_active(&cases[i].binding, *at);
                total += 1;
                active += usize::from(want);
                if *allowed != want {
                    let name = &cases[i].binding.name;
                    mismatches
                        .push(format!("{t} by {}: {name} at {at}: is_active={want} engine={allowed}", oracle.engine()));
                }
            }
        }
        eprintln!("agreement: {t} by {}: {} bindings, {total} instants ({active} active)", oracle.engine(), mine.len());
        assert!(mine.len() >= 40, "{t}: too few bindings with output ({})", mine.len());
        assert!(total >= 10_000, "{t}: only {total} instants sampled");
        assert!(active > total / 20 && active < total, "{t}: sampling must see both active and inactive instants");
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:#?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(20)]
    );
}
