//! Target agreement, against engines we did not write. `ORACLES` is a
//! table of (target, engine): each engine reads only its target's compiled
//! output, must accept it as well-formed (its own parser, model or type
//! checker), and, where it decides requests, must decide each sampled
//! instant as `ir::is_active` does. Any refusal or mismatch fails.
//!
//! - AWS: the `iam-rs` policy evaluator and `@cloud-copilot/iam-simulate`
//!   (npm, strict mode), each on a request that meets the policy's other
//!   conditions (source IP, MFA, principal tags).
//! - GCP: Google's C++ CEL engine (`cel-expr-python`), with `request`
//!   declared as `google.rpc.context.AttributeContext.Request` so every
//!   expression is type-checked, and each binding loaded into the official
//!   `google.iam.v1.Policy` protobuf; and cel-python, a second CEL engine.
//! - Azure: `azure-mgmt-authorization`'s `RoleAssignmentScheduleRequest`
//!   model round-trips every body unchanged and decides from the schedule it
//!   read.
//! - OpenBao: `bao policy fmt` accepts every ACL policy (its time is the
//!   provider's convergence and the server's expiration, tested with a real
//!   server in `openbao.rs`).
//!
//! Documents: the snapshot corpus, the examples, and a generated set that
//! stresses overnight windows, minute-level boundaries, several zones and
//! the DST change days of Europe/Paris and America/New_York, and grants
//! without windows (for targets that express bounds alone).

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
    let blocks = "  aws {\n    actions = [\"s3:GetObject\"]\n    resources = [\"arn:aws:s3:::b/*\"]\n  }\n  gcp {\n    role = \"roles/storage.objectViewer\"\n    resource = \"projects/p\"\n  }\n  openbao {\n    path \"kv/data/b/*\" { capabilities = [\"read\"] }\n  }\n";
    s.push_str(&format!("role \"r\" {{\n{blocks}}}\n"));
    // Azure cannot express windows: only the grants without windows have it.
    let azure = "  azure {\n    role_definition_id = \"/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\"\n    scope = \"/subscriptions/00000000-0000-0000-0000-000000000000\"\n  }\n";
    s.push_str(&format!("role \"r-any\" {{\n{blocks}{azure}}}\n"));
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
            s.push_str(&binding(&format!("b{pi}-{gi}"), "r", &format!("p{pi}"), nb, exp));
        }
    }
    // Grants without windows, for targets that express bounds alone: 64
    // bounds at minute-level offsets across both DST changes.
    s.push_str("policy \"any-time\" {\n  max_grant = \"14d\"\n}\n");
    let start = Timestamp::from_second(1_772_323_200).expect("2026-03-01"); // 2026-03-01T00:00:00Z
    for k in 0..64i64 {
        let nb = Timestamp::from_second(start.as_second() + k * (6 * 86_400 + 37 * 60)).expect("instant");
        let exp = Timestamp::from_second(nb.as_second() + 86_400 + k * 3 * 3600 + 13 * 60).expect("instant");
        s.push_str(&binding(&format!("any-{k}"), "r-any", "any-time", &nb.to_string(), &exp.to_string()));
    }
    s
}

fn binding(name: &str, role: &str, policy: &str, nb: &str, exp: &str) -> String {
    format!(
        "binding \"{name}\" {{\n  role = \"{role}\"\n  policy = \"{policy}\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws = \"arn:aws:iam::123456789012:role/w\"\n    gcp = \"serviceAccount:w@p.iam.gserviceaccount.com\"\n    azure = \"00000000-0000-0000-0000-000000000001\"\n    openbao = \"w\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n}}\n"
    )
}

/// Year-long grants under weekday windows in Paris and New York, with three
/// actions and two resources: too large for AWS to unroll whole, so they
/// are compiled with a reference instant and cover a rolling horizon.
fn year_long() -> String {
    let mut s = String::from("version = \"jit/v1\"\n");
    s.push_str("role \"wide\" {\n  aws {\n    actions = [\"s3:GetObject\", \"s3:PutObject\", \"s3:ListBucket\"]\n    resources = [\"arn:aws:s3:::reports\", \"arn:aws:s3:::reports/*\"]\n  }\n  gcp {\n    role = \"roles/storage.objectViewer\"\n    resource = \"projects/p\"\n  }\n}\n");
    for (name, tz) in [("paris", "Europe/Paris"), ("new-york", "America/New_York")] {
        s.push_str(&format!(
            "policy \"{name}\" {{\n  max_grant = \"366d\"\n  window {{\n    days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n    start = \"08:45\"\n    end = \"17:15\"\n    timezone = \"{tz}\"\n  }}\n}}\n"
        ));
        s.push_str(&binding(&format!("year-{name}"), "wide", name, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"));
    }
    s
}

/// Reference instants for the year-long grants: the weeks of the DST
/// changes (New York 03-14 and 11-07, Paris 03-28 and 10-31), mid-year, and
/// before and after the grant.
const AS_OF: &[&str] = &[
    "2027-03-13T23:00:00Z",
    "2027-03-28T01:30:00Z",
    "2027-06-15T12:00:00Z",
    "2027-10-31T00:30:00Z",
    "2027-11-07T06:30:00Z",
    "2026-06-01T00:00:00Z",
    "2029-01-01T00:00:00Z",
];

/// Monday 00:00 UTC of the week containing `t` (computed here, not by the
/// compiler).
fn monday(t: Timestamp) -> Timestamp {
    let date = t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    let d = date.checked_sub(jiff::Span::new().days(back)).expect("a date");
    d.to_zoned(jiff::tz::TimeZone::UTC).expect("midnight").timestamp()
}

/// One binding's compiled output on one target, and the instants to decide.
struct Case<'a> {
    binding: &'a ir::Binding,
    output: &'a Value,
    instants: &'a [Timestamp],
}

/// What an engine made of one case: refused (why), accepted without
/// deciding, or accepted with a decision per instant.
type Verdict = Result<Option<Vec<bool>>, String>;

/// An engine we did not write, reading one target's compiled output alone.
trait Oracle: Sync {
    fn target(&self) -> Target;
    fn engine(&self) -> &'static str;
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict>;
}

/// Run a script of `tests/tools/` over cases; it answers
/// `{"results": [{"error", "decisions"}]}`.
fn run_script(script: &str, request: Vec<Value>) -> Vec<Verdict> {
    let (code, stdout, stderr) = run_tool(script, &[], &json!({"cases": request}).to_string());
    assert_eq!(code, 0, "{script} failed: {stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"));
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| match r["error"].as_str() {
            Some(e) => Err(e.to_string()),
            None => Ok(Some(r["decisions"].as_array().expect("decisions").iter().map(|b| b == true).collect())),
        })
        .collect()
}

fn instants(ts: &[Timestamp]) -> Vec<String> {
    ts.iter().map(Timestamp::to_string).collect()
}

/// GCP: Google's C++ CEL engine, type-checked, and the IAM Policy protobuf.
struct GoogleCel;

impl Oracle for GoogleCel {
    fn target(&self) -> Target {
        Target::Gcp
    }
    fn engine(&self) -> &'static str {
        "Google CEL (cel-expr-python) + google.iam.v1.Policy"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        let request =
            cases.iter().map(|c| json!({"binding": c.output["gcp"], "instants": instants(c.instants)})).collect();
        run_script("gcp_check.py", request)
    }
}

/// GCP: cel-python, a second CEL engine.
struct CelPython;

impl Oracle for CelPython {
    fn target(&self) -> Target {
        Target::Gcp
    }
    fn engine(&self) -> &'static str {
        "cel-python"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        let request: Vec<Value> = cases
            .iter()
            .map(
                |c| json!({"expression": c.output["gcp"]["condition"]["expression"], "instants": instants(c.instants)}),
            )
            .collect();
        let (code, stdout, stderr) = run_tool("cel_eval.py", &[], &json!({"cases": request}).to_string());
        assert_eq!(code, 0, "cel_eval.py failed: {stderr}");
        let v: Value = serde_json::from_str(&stdout).expect("cel_eval.py prints JSON");
        (0..cases.len())
            .map(|i| Ok(Some(v["results"][i].as_array().expect("results").iter().map(|b| b == true).collect())))
            .collect()
    }
}

/// The AWS request both evaluators decide for one binding: its subject, a
/// concrete action the role's first one covers with a resource of the
/// role that fits it, and a context
/// that meets the policy's other requirements (so the decision turns on
/// time alone).
struct AwsRequest {
    principal: String,
    action: String,
    resource: String,
    /// (key, value) besides `aws:CurrentTime`.
    context: Vec<(String, AwsValue)>,
}

enum AwsValue {
    Str(String),
    Bool(bool),
}

impl AwsRequest {
    fn of(b: &ir::Binding) -> AwsRequest {
        let aws = b.role.aws.as_ref().expect("an aws block");
        let principal = b.subject.identity("aws").expect("an aws identity").to_string();
        if aws.actions.is_empty() {
            // Elevation alone: the caller's side of assuming the role
            // (`elevation.rs` checks the trust policy itself).
            let (arn, _) = aws.assume_role.clone().expect("actions or a role to assume");
            let mut req = AwsRequest { principal, action: "sts:AssumeRole".into(), resource: arn, context: Vec::new() };
            req.context = Self::context(b);
            return req;
        }
        let action = match aws.actions[0].0.as_str() {
            "*" => "s3:GetObject".to_string(),
            a if a.ends_with(":*") => a.replace('*', "GetObject"),
            a => a.replace('*', ""),
        };
        // A resource of the action's service (for S3, an object for object
        // actions and a bucket for the others), else the first one.
        let service = action.split(':').next().unwrap_or_default();
        let fits = |r: &str| {
            let mut parts = r.split(':');
            parts.nth(2) == Some(service) && (service != "s3" || r.contains('/') == action.contains("Object"))
        };
        let resource = match aws.resources.iter().map(|r| r.0.as_str()).find(|r| fits(r)) {
            _ if aws.resources[0].0 == "*" => "arn:aws:s3:::any/x".to_string(),
            Some(r) => r.replace('*', "x"),
            None => aws.resources[0].0.replace('*', "x"),
        };
        AwsRequest { principal, action, resource, context: Self::context(b) }
    }

    /// A context that meets the binding's requirements.
    fn context(b: &ir::Binding) -> Vec<(String, AwsValue)> {
        let req = &b.policy.require;
        let mut context = Vec::new();
        if let Some(cidr) = req.source_cidrs.first() {
            // An address inside the first network (its network address + 1).
            let (net, _) = cidr.0.split_once('/').expect("a CIDR");
            let ip: std::net::IpAddr = net.parse().expect("an address");
            let inside = match ip {
                std::net::IpAddr::V4(v4) => std::net::IpAddr::V4((u32::from(v4) + 1).into()),
                std::net::IpAddr::V6(v6) => std::net::IpAddr::V6((u128::from(v6) + 1).into()),
            };
            context.push(("aws:SourceIp".into(), AwsValue::Str(inside.to_string())));
        }
        if req.mfa {
            context.push(("aws:MultiFactorAuthPresent".into(), AwsValue::Bool(true)));
        }
        for (k, v) in &req.principal_tags {
            context.push((format!("aws:PrincipalTag/{k}"), AwsValue::Str(v.clone())));
        }
        context
    }
}

/// AWS: the iam-rs policy evaluator.
struct IamRs;

impl Oracle for IamRs {
    fn target(&self) -> Target {
        Target::Aws
    }
    fn engine(&self) -> &'static str {
        "iam-rs"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        use iam_rs::ContextValue as V;
        cases
            .iter()
            .map(|c| {
                let policy = iam_rs::IAMPolicy::from_json(&c.output["aws"].to_string())
                    .map_err(|e| format!("iam-rs cannot read the policy: {e}"))?;
                let req = AwsRequest::of(c.binding);
                let arn = iam_rs::Arn::parse(&req.resource).map_err(|e| format!("resource `{}`: {e}", req.resource))?;
                let principal = iam_rs::Principal::Aws(iam_rs::PrincipalId::String(req.principal.clone()));
                let mut out = Vec::with_capacity(c.instants.len());
                for at in c.instants {
                    let mut context = iam_rs::Context::new();
                    context.insert("aws:CurrentTime".into(), V::String(at.to_string()));
                    for (k, v) in &req.context {
                        let v = match v {
                            AwsValue::Str(s) => V::String(s.clone()),
                            AwsValue::Bool(b) => V::Boolean(*b),
                        };
                        context.insert(k.clone(), v);
                    }
                    let request =
                        iam_rs::IAMRequest::new_with_context(principal.clone(), &req.action, arn.clone(), context);
                    let decision = iam_rs::evaluate_policy(&policy, &request).map_err(|e| format!("at {at}: {e}"))?;
                    out.push(decision == iam_rs::Decision::Allow);
                }
                Ok(Some(out))
            })
            .collect()
    }
}

/// AWS: `@cloud-copilot/iam-simulate` (npm), a second evaluator, in strict
/// mode: it also refuses actions it does not know and resources that fit no
/// resource type of the action.
struct IamSimulate;

impl Oracle for IamSimulate {
    fn target(&self) -> Target {
        Target::Aws
    }
    fn engine(&self) -> &'static str {
        "iam-simulate"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        let request = cases
            .iter()
            .map(|c| {
                let req = AwsRequest::of(c.binding);
                let context: serde_json::Map<String, Value> = req
                    .context
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            AwsValue::Str(s) => json!(s),
                            AwsValue::Bool(b) => json!(b),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                json!({
                    "policy": c.output["aws"],
                    "principal": req.principal,
                    "action": req.action,
                    "resource": req.resource,
                    "context": context,
                    "instants": instants(c.instants),
                })
            })
            .collect();
        run_script("aws_simulate.mjs", request)
    }
}

/// Azure: the SDK's RoleAssignmentScheduleRequest model.
struct AzureModel;

impl Oracle for AzureModel {
    fn target(&self) -> Target {
        Target::Azure
    }
    fn engine(&self) -> &'static str {
        "azure-mgmt-authorization RoleAssignmentScheduleRequest"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        let request =
            cases.iter().map(|c| json!({"request": c.output["azure"], "instants": instants(c.instants)})).collect();
        run_script("azure_check.py", request)
    }
}

/// OpenBao: `bao policy fmt` parses and validates every ACL policy.
struct BaoPolicyFmt;

impl Oracle for BaoPolicyFmt {
    fn target(&self) -> Target {
        Target::Openbao
    }
    fn engine(&self) -> &'static str {
        "bao policy fmt"
    }
    fn run(&self, cases: &[Case<'_>]) -> Vec<Verdict> {
        let bao = jit_e2e_tests::openbao::bao_bin();
        let dir = root().join(format!("target/tmp/policy-fmt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // On a copy: fmt rewrites the file.
                let path = dir.join(format!("{i}.hcl"));
                std::fs::write(&path, c.output["openbao"]["policy_hcl"].as_str().expect("policy text")).expect("write");
                let out = std::process::Command::new(&bao).args(["policy", "fmt"]).arg(&path).output().expect("bao");
                if out.status.success() {
                    Ok(None)
                } else {
                    Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
                }
            })
            .collect()
    }
}

/// The table: (target, independent engine). A new target adds a row.
const ORACLES: &[&dyn Oracle] = &[&IamRs, &IamSimulate, &GoogleCel, &CelPython, &AzureModel, &BaoPolicyFmt];

/// What the language says a binding's output allows at `t`: `is_active`,
/// and, for a rolling output, only inside its horizon (from Monday 00:00 UTC
/// of the reference week, kept inside the grant, to `aws_valid_until`).
fn expected(b: &ir::Binding, output: &Value, as_of: Option<Timestamp>, t: Timestamp) -> bool {
    let inside = match (output["aws_valid_until"].as_str(), as_of) {
        (Some(until), Some(as_of)) => {
            let last = Timestamp::from_second(b.expires_at.as_second() - 1).expect("instant");
            let from = monday(as_of.max(b.not_before).min(last));
            from <= t && t < until.parse::<Timestamp>().expect("aws_valid_until")
        }
        _ => true,
    };
    ir::is_active(b, t) && inside
}

/// Every binding of a compilation with its compiled JSON, lowered to one
/// target (so one target's limits do not hide another's output).
fn cases_of(sources: &SourceMap, opts: &Options, target: Target) -> Vec<(ir::Binding, Value)> {
    let c = compile(sources.clone(), &[target], opts);
    let errors: Vec<String> = c.diagnostics.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "corpus does not compile for {target}: {errors:?}");
    c.outputs
        .iter()
        .filter_map(|l| {
            l.get(target)?;
            let binding = c.model.bindings.iter().find(|b| b.name == l.binding).cloned()?;
            Some((binding, render::binding_json(l)))
        })
        .collect()
}

/// Instants to sample for one binding: random ones over the grant and a
/// day either side, and both sides of every boundary the IR knows of.
fn sample(b: &ir::Binding, rng: &mut Rng, random: usize) -> Vec<Timestamp> {
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

#[test]
fn every_target_agrees_with_is_active_by_an_independent_engine() {
    let map = |name: &str, text: String| {
        let mut m = SourceMap::new();
        m.add(SourceFile::new(name, Syntax::Hcl, text));
        m
    };
    let plain = Options::default();
    let mut corpora: Vec<(SourceMap, Options)> = vec![(map("generated.hcl", generated()), plain.clone())];
    for f in policy_files(&root().join("policy-compiler/tests/corpus")) {
        if f.components().any(|c| c.as_os_str() == "pairs") {
            continue;
        }
        corpora.push((load::load_paths(&[f]).expect("corpus file loads"), plain.clone()));
    }
    corpora.push((load::load_paths(&[root().join("examples/policies")]).expect("examples load"), plain.clone()));
    for as_of in AS_OF {
        let opts = Options { as_of: Some(as_of.parse().expect("an instant")), ..Options::default() };
        corpora.push((map("year.hcl", year_long()), opts));
    }

    let mut failures = Vec::new();
    for oracle in ORACLES {
        let t = oracle.target();
        // The reference instant changes only rolling outputs: other targets
        // see the year-long grants once.
        let first_as_of = AS_OF[0].parse::<Timestamp>().ok();
        let bindings: Vec<(ir::Binding, Value, Option<Timestamp>)> = corpora
            .iter()
            .filter(|(_, o)| t == Target::Aws || o.as_of.is_none() || o.as_of == first_as_of)
            .flat_map(|(s, o)| cases_of(s, o, t).into_iter().map(|(b, v)| (b, v, o.as_of)))
            .collect();
        // The same seed for every engine: instants depend only on the binding
        // (and on the horizon, whose ends are sampled too).
        let mut rng = Rng::new(0x5eed_2026);
        let samples: Vec<Vec<Timestamp>> = bindings
            .iter()
            .map(|(b, v, _)| {
                let mut ts = sample(b, &mut rng, 160);
                if let Some(until) = v["aws_valid_until"].as_str().and_then(|u| u.parse::<Timestamp>().ok()) {
                    ts.extend(
                        [-61, -1, 0, 1, 59].map(|d| Timestamp::from_second(until.as_second() + d).expect("instant")),
                    );
                }
                ts
            })
            .collect();
        let cases: Vec<Case<'_>> = bindings
            .iter()
            .zip(&samples)
            .map(|((binding, output, _), instants)| Case { binding, output, instants })
            .collect();
        let failed_before = failures.len();
        let verdicts = oracle.run(&cases);
        assert_eq!(verdicts.len(), cases.len(), "{}: one verdict per case", oracle.engine());
        let (mut decided, mut active, mut rolling) = (0usize, 0usize, 0usize);
        for ((c, verdict), (_, _, as_of)) in cases.iter().zip(verdicts).zip(&bindings) {
            let name = &c.binding.name;
            match verdict {
                Err(why) => failures.push(format!("{t} by {}: {name} refused: {why}", oracle.engine())),
                Ok(None) => {}
                Ok(Some(decisions)) => {
                    assert_eq!(decisions.len(), c.instants.len(), "{}: one decision per instant", oracle.engine());
                    let rolls = c.output["aws_valid_until"].is_string();
                    for (at, allowed) in c.instants.iter().zip(decisions) {
                        let want = expected(c.binding, c.output, *as_of, *at);
                        decided += 1;
                        rolling += usize::from(rolls);
                        active += usize::from(want);
                        if allowed != want {
                            failures.push(format!(
                                "{t} by {}: {name} at {at}: is_active={want} engine={allowed}",
                                oracle.engine()
                            ));
                        }
                    }
                }
            }
        }
        eprintln!(
            "agreement: {t} by {}: {} bindings, {decided} instants decided ({active} active, {rolling} on rolling horizons), {} failure(s){}",
            oracle.engine(),
            cases.len(),
            failures.len() - failed_before,
            failures.get(failed_before).map(|f| format!(", first: {f}")).unwrap_or_default(),
        );
        if t == Target::Aws {
            assert!(rolling >= 10_000, "aws: only {rolling} instants on rolling horizons");
        }
        assert!(cases.len() >= 40, "{t} by {}: too few bindings ({})", oracle.engine(), cases.len());
        if decided > 0 {
            assert!(decided >= 10_000, "{t} by {}: only {decided} instants decided", oracle.engine());
            assert!(active > decided / 20 && active < decided, "{t}: sampling must see both sides");
        }
    }
    assert!(failures.is_empty(), "{} failure(s), first: {:#?}", failures.len(), &failures[..failures.len().min(20)]);
}
