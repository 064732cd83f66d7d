//! AWS elevation (`aws { assume_role = ARN }`), against engines we did not
//! write. For each assumed role, the merged trust policy that
//! `jitc compile --out` writes (`aws-trust/ACCOUNT/NAME.json`) decides
//! `sts:AssumeRole` (and `sts:TagSession`) by each subject at sampled
//! instants as `ir::is_active` does, within the binding's rolling horizon,
//! by two evaluators: `iam-rs` and `@cloud-copilot/iam-simulate`. Other
//! principals and other actions are refused at every instant. The caller's
//! side (the subject's own `aws` policy) agrees too. Every trust policy
//! fits the limit it was compiled for (2,048 and 4,096 characters), as an
//! independent count says, and passes parliament.

use jiff::Timestamp;
use jit_e2e_tests::{root, run_tool, Rng};
use jit_policy::lower::Options;
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use jit_policy::{compile, ir, render};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const BACKUP: &str = "arn:aws:iam::123456789012:role/backup-admin";
const DB: &str = "arn:aws:iam::123456789012:role/ops/db-admin";
const BREAK_GLASS: &str = "arn:aws:iam::210987654321:role/break-glass";
const INTRUDER: &str = "arn:aws:iam::123456789012:role/intruder";

/// Three assumed roles (one with a path, one in another account, one
/// beside direct actions), policies with overnight, weekday, DST-hour and
/// no windows, requirements, and grants over the 2027 DST changes (New
/// York 03-14 and 11-07, Paris 03-28 and 10-31), some a quarter long.
/// `wide`: two more bindings, whose shares of their roles' trust policies
/// fit one week only under the raised 4,096-character quota.
fn document(wide: bool) -> String {
    let mut s = String::from("version = \"jit/v1\"\n");
    s.push_str(&format!("role \"backup\" {{\n  aws {{\n    assume_role = \"{BACKUP}\"\n  }}\n}}\n"));
    s.push_str(&format!(
        "role \"db\" {{\n  aws {{\n    actions = [\"s3:GetObject\"]\n    resources = [\"arn:aws:s3:::dumps/*\"]\n    assume_role = \"{DB}\"\n  }}\n}}\n"
    ));
    s.push_str(&format!("role \"glass\" {{\n  aws {{\n    assume_role = \"{BREAK_GLASS}\"\n  }}\n}}\n"));
    let window = |days: &str, start: &str, end: &str, tz: &str| {
        format!("  window {{\n    days = [{days}]\n    start = \"{start}\"\n    end = \"{end}\"\n    timezone = \"{tz}\"\n  }}\n")
    };
    s.push_str(&format!(
        "policy \"sunday-nights\" {{\n  max_session = \"2h\"\n  max_grant = \"92d\"\n{}}}\n",
        window("\"sun\"", "22:00", "02:00", "Europe/Paris")
    ));
    s.push_str(&format!(
        "policy \"weekdays\" {{\n  max_session = \"30m\"\n  max_grant = \"92d\"\n{}  require {{\n    source_cidrs = [\"10.0.0.0/8\"]\n  }}\n}}\n",
        window("\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"", "09:00", "17:30", "America/New_York")
    ));
    s.push_str(&format!(
        "policy \"dst-hour\" {{\n  max_grant = \"60d\"\n{}{}  require {{\n    mfa = true\n    principal_tags = {{ team = \"dba\" }}\n  }}\n}}\n",
        window("\"sun\"", "01:30", "03:15", "America/New_York"),
        window("\"sat\", \"sun\"", "23:47", "01:13", "Europe/Paris")
    ));
    s.push_str("policy \"anytime\" {\n  max_session = \"12h\"\n  max_grant = \"30d\"\n}\n");
    let bindings: &[(&str, &str, &str, &str, &str, &str)] = &[
        ("backup-q1", "backup", "sunday-nights", "role/backup-job", "2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z"),
        ("backup-dst", "backup", "sunday-nights", "role/backup-verify", "2027-03-10T13:17:00Z", "2027-04-08T00:00:00Z"),
        ("backup-autumn", "backup", "anytime", "user/restore-drill", "2027-10-20T08:00:00Z", "2027-11-09T17:45:00Z"),
        ("db-dst", "db", "dst-hour", "user/dba-alice", "2027-03-01T00:00:00Z", "2027-04-20T00:00:00Z"),
        ("db-autumn", "db", "dst-hour", "user/dba-bob", "2027-10-01T00:00:00Z", "2027-11-25T00:00:00Z"),
        ("glass-oncall", "glass", "anytime", "user/oncall", "2027-03-12T22:00:00Z", "2027-03-16T06:30:00Z"),
        ("glass-weekdays", "glass", "weekdays", "role/auditor", "2027-10-25T00:00:00Z", "2027-11-15T00:00:00Z"),
    ];
    let only_wide = ["db-autumn", "glass-weekdays"];
    for (name, role, policy, who, nb, exp) in bindings.iter().filter(|b| wide || !only_wide.contains(&b.0)) {
        s.push_str(&format!(
            "binding \"{name}\" {{\n  role = \"{role}\"\n  policy = \"{policy}\"\n  subject {{\n    kind = \"workload\"\n    name = \"{name}\"\n    aws = \"arn:aws:iam::123456789012:{who}\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n}}\n"
        ));
    }
    s
}

/// Reference instants: inside the spring and autumn grants, around the DST
/// changes, and before all of them.
const AS_OF: &[&str] = &[
    "2026-12-01T00:00:00Z",
    "2027-01-20T12:00:00Z",
    "2027-03-13T23:00:00Z",
    "2027-03-28T01:30:00Z",
    "2027-10-31T00:30:00Z",
    "2027-11-07T06:30:00Z",
];

/// Monday 00:00 UTC of the week containing `t` (computed here).
fn monday(t: Timestamp) -> Timestamp {
    let date = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    let d = date.checked_sub(jiff::Span::new().days(back)).expect("a date");
    d.to_zoned(jiff::tz::TimeZone::UTC).expect("midnight").timestamp()
}

/// Whether a binding's output allows at `t`: `is_active`, and for a rolling
/// output (`valid_until`) only inside its horizon.
fn expected(b: &ir::Binding, valid_until: Option<&str>, as_of: Timestamp, t: Timestamp) -> bool {
    let inside = match valid_until {
        Some(until) => {
            let last = Timestamp::from_second(b.expires_at.as_second() - 1).expect("instant");
            monday(as_of.max(b.not_before).min(last)) <= t && t < until.parse::<Timestamp>().expect("valid_until")
        }
        None => true,
    };
    ir::is_active(b, t) && inside
}

/// A context meeting the binding's requirements, so decisions turn on time.
fn context(b: &ir::Binding) -> Vec<(String, Value)> {
    let r = &b.policy.require;
    let mut out = Vec::new();
    if !r.source_cidrs.is_empty() {
        out.push(("aws:SourceIp".to_string(), json!("10.1.2.3")));
    }
    if r.mfa {
        out.push(("aws:MultiFactorAuthPresent".to_string(), json!(true)));
    }
    for (k, v) in &r.principal_tags {
        out.push((format!("aws:PrincipalTag/{k}"), json!(v)));
    }
    out
}

/// Instants for one binding: random ones over the grant and a day either
/// side, both sides of every boundary, and of the horizon's end.
fn sample(b: &ir::Binding, valid_until: Option<&str>, rng: &mut Rng) -> Vec<Timestamp> {
    let (lo, hi) = (b.not_before.as_second() - 86_400, b.expires_at.as_second() + 86_400);
    let mut out: Vec<i64> = (0..150).map(|_| rng.range(lo, hi)).collect();
    let mut edges = vec![b.not_before.as_second(), b.expires_at.as_second()];
    for (a, z) in ir::active_intervals(&b.policy.windows, b.not_before, b.expires_at) {
        edges.extend([a.as_second(), z.as_second()]);
    }
    if let Some(u) = valid_until.and_then(|u| u.parse::<Timestamp>().ok()) {
        edges.push(u.as_second());
    }
    for e in edges {
        out.extend([e - 61, e - 1, e, e + 1, e + 59]);
    }
    out.into_iter().filter_map(|s| Timestamp::from_second(s).ok()).collect()
}

/// One request to decide at many instants: `policy` is a trust policy
/// (`trust`) or the subject's identity policy.
struct Ask {
    what: String,
    trust: bool,
    policy: Value,
    principal: String,
    action: &'static str,
    resource: String,
    context: Vec<(String, Value)>,
    instants: Vec<Timestamp>,
    want: Vec<bool>,
    /// iam-simulate, for a trust policy: the caller's own policy too, and
    /// what both together allow (across accounts AWS needs both; within
    /// one, the trust policy naming the caller is enough). iam-rs decides
    /// the trust policy alone (`want`).
    caller: Option<(Value, Vec<bool>)>,
}

fn iam_rs_decide(a: &Ask) -> Vec<bool> {
    use iam_rs::ContextValue as V;
    let policy = iam_rs::IAMPolicy::from_json(&a.policy.to_string())
        .unwrap_or_else(|e| panic!("{}: iam-rs cannot read the policy: {e}", a.what));
    // A trust policy has no Resource: iam-rs applies a statement without
    // one only when told to ignore resource constraints.
    let opts = iam_rs::EvaluationOptions { ignore_resource_constraints: a.trust, ..Default::default() };
    let evaluator = iam_rs::PolicyEvaluator::with_policies(vec![policy]).with_options(opts);
    let arn = iam_rs::Arn::parse(&a.resource).expect("a role ARN");
    let principal = iam_rs::Principal::Aws(iam_rs::PrincipalId::String(a.principal.clone()));
    a.instants
        .iter()
        .map(|at| {
            let mut cx = iam_rs::Context::new();
            cx.insert("aws:CurrentTime".into(), V::String(at.to_string()));
            for (k, v) in &a.context {
                let v = match v {
                    Value::Bool(b) => V::Boolean(*b),
                    v => V::String(v.as_str().unwrap_or_default().to_string()),
                };
                cx.insert(k.clone(), v);
            }
            let req = iam_rs::IAMRequest::new_with_context(principal.clone(), a.action, arn.clone(), cx);
            let d = evaluator.evaluate(&req).unwrap_or_else(|e| panic!("{} at {at}: {e}", a.what));
            d.decision == iam_rs::Decision::Allow
        })
        .collect()
}

fn iam_simulate_decide(asks: &[Ask]) -> Vec<Vec<bool>> {
    let cases: Vec<Value> = asks
        .iter()
        .map(|a| {
            let context: serde_json::Map<String, Value> = a.context.iter().cloned().collect();
            json!({
                "kind": if a.trust { "trust" } else { "identity" },
                "policy": a.policy,
                "principal": a.principal,
                "action": a.action,
                "resource": a.resource,
                "context": context,
                "instants": a.instants.iter().map(Timestamp::to_string).collect::<Vec<_>>(),
                "identity_policy": a.caller.as_ref().map(|c| c.0.clone()),
            })
        })
        .collect();
    let (code, stdout, stderr) = run_tool("aws_simulate.mjs", &[], &json!({ "cases": cases }).to_string());
    assert_eq!(code, 0, "aws_simulate.mjs failed: {stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), asks.len());
    results
        .iter()
        .zip(asks)
        .map(|(r, a)| {
            assert!(r["error"].is_null(), "{}: iam-simulate refused: {}", a.what, r["error"]);
            r["decisions"].as_array().expect("decisions").iter().map(|d| d == true).collect()
        })
        .collect()
}

/// Characters of a JSON document without whitespace outside strings,
/// counted here (as IAM counts a policy's size).
fn chars_without_whitespace(text: &str) -> usize {
    let (mut n, mut in_string, mut escaped) = (0, false, false);
    for c in text.chars() {
        if in_string {
            n += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            n += 1;
            in_string = c == '"';
        }
    }
    n
}

#[test]
fn merged_trust_policies_agree_with_is_active_by_two_evaluators() {
    let tmp = root().join(format!("target/tmp/elevation-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let mut asks: Vec<Ask> = Vec::new();
    let mut lint: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rng = Rng::new(0xe1e7_a7e5);
    let (mut rolling, mut statements) = (BTreeMap::new(), BTreeMap::new());
    let mut seen_roles = std::collections::BTreeSet::new();
    for limit in [2_048usize, 4_096] {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("elevation.hcl", Syntax::Hcl, document(limit > 2_048)));
        for as_of in AS_OF {
            let as_of: Timestamp = as_of.parse().expect("instant");
            let opts = Options { as_of: Some(as_of), aws_trust_policy_limit: limit, ..Options::default() };
            let c = compile(sources.clone(), &[Target::Aws, Target::AwsTrust], &opts);
            let errors: Vec<String> = c.diagnostics.errors().map(|d| d.message.clone()).collect();
            assert!(errors.is_empty(), "limit {limit}, as of {as_of}: {errors:?}");
            // Every elevation is told it is checked when the role is assumed.
            let warned = c.diagnostics.warnings().filter(|d| d.code.as_str() == "JIT110").count();
            // (A horizon after a grant's last window holds no statement: no
            // output, and nothing to warn about.)
            let elevated = c.outputs.iter().filter(|o| o.get(Target::AwsTrust).is_some()).count();
            assert_eq!(warned, elevated, "one JIT110 per elevation");
            assert!(elevated >= 2, "as of {as_of}: only {elevated} elevations");
            let files: BTreeMap<String, String> = render::shared_files(&c.outputs, &opts).into_iter().collect();
            let index: Value = serde_json::from_str(&files["aws-trust/roles.json"]).expect("roles.json");
            let roles = index.as_object().map_or(0, |m| m.len());
            assert!((1..=3).contains(&roles), "as of {as_of}: {roles} assumed roles");
            seen_roles.extend(index.as_object().into_iter().flat_map(|m| m.keys().cloned()));
            for (arn, entry) in index.as_object().expect("index") {
                let text = &files[&format!("aws-trust/{}", entry["policy_file"].as_str().expect("file"))];
                let size = chars_without_whitespace(text);
                assert!(size <= limit, "{arn}: {size} characters over {limit}");
                assert_eq!(entry["size"], size, "{arn}: the index's size is the counted size");
                let policy: Value = serde_json::from_str(text).expect("policy JSON");
                let path = tmp.join(format!("{}-{limit}-{}.json", asks.len(), arn.replace([':', '/'], "_")));
                std::fs::write(&path, text).expect("write");
                lint.entry(arn.clone()).or_default().push(path.display().to_string());
                let names: Vec<&str> =
                    entry["bindings"].as_array().expect("bindings").iter().filter_map(Value::as_str).collect();
                // The role's MaxSessionDuration: the shortest its bindings ask.
                let shortest = names
                    .iter()
                    .filter_map(|n| c.model.bindings.iter().find(|b| b.name == *n))
                    .map(|b| b.policy.max_session.clamp(3_600, 43_200))
                    .min();
                assert_eq!(entry["max_session_duration"].as_i64(), shortest, "{arn}");
                let mut all_instants = Vec::new();
                for name in names {
                    let b = c.model.bindings.iter().find(|b| b.name == name).expect("binding");
                    let out = c.outputs.iter().find(|o| o.binding == name).map(render::binding_json).expect("output");
                    let until = out["aws_trust"]["valid_until"].as_str();
                    let n = out["aws_trust"]["policy"]["Statement"].as_array().map_or(0, Vec::len);
                    statements.insert((name.to_string(), limit, as_of), n);
                    if until.is_some() {
                        *rolling.entry(limit).or_insert(0usize) += 1;
                    }
                    let instants = sample(b, until, &mut rng);
                    let want: Vec<bool> = instants.iter().map(|t| expected(b, until, as_of, *t)).collect();
                    let principal = b.subject.identity("aws").expect("aws identity").to_string();
                    let ctx = context(b);
                    // The caller's side: the subject's own policy, within the
                    // `aws` output's own horizon.
                    let aws_until = out["aws_valid_until"].as_str();
                    let own: Vec<bool> = instants.iter().map(|t| expected(b, aws_until, as_of, *t)).collect();
                    let same_account = principal.split(':').nth(4) == arn.split(':').nth(4);
                    let both: Vec<bool> = want.iter().zip(&own).map(|(t, o)| *t && (same_account || *o)).collect();
                    for action in ["sts:AssumeRole", "sts:TagSession"] {
                        asks.push(Ask {
                            what: format!("{name} {action} on {arn} (limit {limit}, as of {as_of})"),
                            trust: true,
                            policy: policy.clone(),
                            principal: principal.clone(),
                            action,
                            resource: arn.clone(),
                            context: ctx.clone(),
                            instants: instants.clone(),
                            want: want.clone(),
                            caller: Some((out["aws"].clone(), both.clone())),
                        });
                    }
                    // Another action on the role, by the same subject: never.
                    asks.push(Ask {
                        what: format!("{name} sts:AssumeRoleWithSAML on {arn}"),
                        trust: true,
                        policy: policy.clone(),
                        principal: principal.clone(),
                        action: "sts:AssumeRoleWithSAML",
                        resource: arn.clone(),
                        context: ctx.clone(),
                        instants: instants.clone(),
                        want: vec![false; instants.len()],
                        caller: Some((out["aws"].clone(), vec![false; instants.len()])),
                    });
                    // The caller's side alone: the subject's own policy
                    // allows assuming the role as the language says.
                    asks.push(Ask {
                        what: format!("{name}'s own policy, sts:AssumeRole on {arn}"),
                        trust: false,
                        policy: out["aws"].clone(),
                        principal: principal.clone(),
                        action: "sts:AssumeRole",
                        resource: arn.clone(),
                        context: ctx.clone(),
                        want: own,
                        instants: instants.clone(),
                        caller: None,
                    });
                    all_instants.extend(instants);
                }
                // Someone else, with every requirement met: never.
                let every: Vec<(String, Value)> = vec![
                    ("aws:SourceIp".into(), json!("10.1.2.3")),
                    ("aws:MultiFactorAuthPresent".into(), json!(true)),
                    ("aws:PrincipalTag/team".into(), json!("dba")),
                ];
                asks.push(Ask {
                    what: format!("intruder on {arn}"),
                    trust: true,
                    policy: policy.clone(),
                    principal: INTRUDER.to_string(),
                    action: "sts:AssumeRole",
                    resource: arn.clone(),
                    context: every,
                    want: vec![false; all_instants.len()],
                    caller: None,
                    instants: all_instants,
                });
            }
        }
    }
    assert_eq!(seen_roles.len(), 3, "every assumed role was checked: {seen_roles:?}");
    // Quarter-long Sunday nights need a rolling horizon at 2,048, and the
    // larger quota covers more weeks.
    assert!(rolling.get(&2_048).copied().unwrap_or(0) >= 6, "rolling horizons at 2048: {rolling:?}");
    let wider = AS_OF.iter().filter_map(|a| a.parse::<Timestamp>().ok()).any(|a| {
        statements.get(&("backup-q1".to_string(), 4_096, a)) > statements.get(&("backup-q1".to_string(), 2_048, a))
    });
    assert!(wider, "a 4,096-character limit covers more of backup-q1 than 2,048: {statements:?}");

    let simulated = iam_simulate_decide(&asks);
    let mut failures = Vec::new();
    let (mut decided, mut allowed, mut trust_decided) = (0usize, 0usize, 0usize);
    for (a, sim) in asks.iter().zip(&simulated) {
        let rs = iam_rs_decide(a);
        for (i, at) in a.instants.iter().enumerate() {
            decided += 1;
            trust_decided += usize::from(a.trust);
            allowed += usize::from(a.want[i]);
            let sim_want = a.caller.as_ref().map_or(a.want[i], |c| c.1[i]);
            for (engine, got, want) in [("iam-rs", rs[i], a.want[i]), ("iam-simulate", sim[i], sim_want)] {
                if got != want {
                    failures.push(format!("{} at {at}: expected {want} got {got} ({engine})", a.what));
                }
            }
        }
    }
    eprintln!(
        "elevation: {} requests, {decided} instants decided by each engine ({trust_decided} on trust policies, {allowed} allowed), {} mismatch(es)",
        asks.len(),
        failures.len()
    );
    assert!(trust_decided >= 10_000, "only {trust_decided} trust-policy instants");
    assert!(allowed > decided / 20 && allowed < decided / 2, "sampling must see both sides: {allowed} of {decided}");
    assert!(failures.is_empty(), "{} mismatch(es), first: {:#?}", failures.len(), &failures[..failures.len().min(20)]);

    // parliament reads identity policies only: each trust policy is linted
    // with its role as the statements' Resource (see parliament_check.py).
    for (arn, paths) in &lint {
        let mut args = vec!["--trust", arn.as_str()];
        args.extend(paths.iter().map(String::as_str));
        let (code, stdout, stderr) = run_tool("parliament_check.py", &args, "");
        assert_eq!(code, 0, "parliament reports errors on {arn}'s trust policies:\n{stdout}\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The statements are what the issue asks: Allow, the subject as AWS
/// principal, both actions, the bounds, the requirements; no Resource.
#[test]
fn a_trust_statement_names_the_subject_and_carries_every_condition() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("elevation.hcl", Syntax::Hcl, document(true)));
    let opts = Options {
        as_of: Some("2027-03-13T23:00:00Z".parse().expect("instant")),
        aws_trust_policy_limit: 4_096,
        ..Options::default()
    };
    let c = compile(sources, &[Target::AwsTrust], &opts);
    let out = c.outputs.iter().find(|o| o.binding == "db-dst").map(render::binding_json).expect("db-dst");
    let st = &out["aws_trust"]["policy"]["Statement"][0];
    assert_eq!(st["Effect"], "Allow");
    assert_eq!(st["Principal"], json!({"AWS": "arn:aws:iam::123456789012:user/dba-alice"}));
    assert_eq!(st["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
    assert!(st.get("Resource").is_none() && st.get("Sid").is_none());
    let cond = &st["Condition"];
    assert_eq!(cond["Bool"]["aws:MultiFactorAuthPresent"], "true");
    assert_eq!(cond["StringEquals"]["aws:PrincipalTag/team"], "dba");
    assert!(cond["DateGreaterThanEquals"]["aws:CurrentTime"].is_string());
    assert_eq!(out["aws_trust"]["role_arn"], DB);
    // Default max_session (1h) is the role's minimum; the warning names
    // what the trust policy checks only at assume time.
    assert_eq!(out["aws_trust"]["max_session_duration"], 3600);
    let w = out["warnings"].as_array().expect("warnings").iter().find(|w| w["code"] == "JIT110").expect("JIT110");
    let text = w["message"].as_str().unwrap_or_default();
    assert!(text.contains("its windows") && text.contains("principal_tags"), "{text}");
}
