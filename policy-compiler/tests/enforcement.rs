//! The enforcement table, walked: for every target and every feature of the
//! language, a binding that uses the feature (and nothing else optional)
//! gets the table's warning (or error) on that target when the target
//! enforces it less strictly than declared, no new finding when it does
//! not, and an output that carries the feature, checked by a probe of the
//! compiled JSON, where the table says the target enforces it. A weakening
//! a lowering neither declares nor shows fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use jit_policy::diag::{Code, Severity};
use jit_policy::lower::Options;
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::{Feature, How, Target};
use serde_json::Value;
use std::collections::BTreeSet;

const NOT_BEFORE: &str = "2027-01-04T00:00:00Z";
const EXPIRES_AT: &str = "2027-01-11T00:00:00Z";

/// The policy body that uses `feature` (None: only the grant's bounds).
fn policy(feature: Option<Feature>) -> &'static str {
    match feature {
        None | Some(Feature::NotBefore | Feature::ExpiresAt) => "",
        Some(Feature::Windows) => {
            "  window {\n    days = [\"mon\", \"wed\"]\n    start = \"09:30\"\n    end = \"17:00\"\n    timezone = \"Europe/Paris\"\n  }\n"
        }
        Some(Feature::MaxSession) => "  max_session = \"30m\"\n",
        Some(Feature::Mfa) => "  require {\n    mfa = true\n  }\n",
        Some(Feature::SourceCidrs) => "  require {\n    source_cidrs = [\"10.0.0.0/8\"]\n  }\n",
        Some(Feature::PrincipalTags) => "  require {\n    principal_tags = { team = \"data\" }\n  }\n",
        Some(Feature::Approval) => "  approval {\n    approvers = [\"user:alice\"]\n  }\n",
    }
}

/// A role with every block (its `aws` block also naming a role to assume
/// when `elevation`), a human subject with every identity, and a policy
/// using `feature`.
fn document(feature: Option<Feature>, elevation: bool) -> String {
    let assume = if elevation { "    assume_role = \"arn:aws:iam::123456789012:role/admin\"\n" } else { "" };
    format!(
        r#"version = "jit/v1"
role "all" {{
  aws {{
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*"]
{assume}  }}
  gcp {{
    role     = "roles/storage.objectViewer"
    resource = "projects/p"
  }}
  azure {{
    role_definition_id = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    scope              = "/subscriptions/00000000-0000-0000-0000-000000000000"
  }}
  openbao {{
    path "kv/data/x" {{ capabilities = ["read"] }}
  }}
  http {{
    service = "reports-api"
    methods = ["GET"]
    paths   = ["/v1/reports/*"]
  }}
}}
policy "p" {{
{}}}
binding "b" {{
  role   = "all"
  policy = "p"
  subject {{
    kind    = "human"
    name    = "bob"
    aws     = "arn:aws:iam::123456789012:user/bob"
    gcp     = "user:bob@example.com"
    azure   = "00000000-0000-0000-0000-000000000001"
    openbao = "bob"
    spiffe  = "spiffe://acme.example/ns/reporting/sa/bob"
  }}
  not_before = "{NOT_BEFORE}"
  expires_at = "{EXPIRES_AT}"
}}
"#,
        policy(feature)
    )
}

/// Findings per target, and the binding's compiled JSON (Null on errors),
/// lowered to `targets` only; the role elevates when `aws_trust` is the
/// only target.
fn compile(feature: Option<Feature>, targets: &[Target]) -> (Vec<(Target, Code, Severity)>, Value) {
    let mut sources = SourceMap::new();
    let elevation = targets == [Target::AwsTrust];
    sources.add(SourceFile::new("walk.hcl", Syntax::Hcl, document(feature, elevation)));
    let c = jit_policy::compile(sources, targets, &Options::default());
    let findings = c.diagnostics.iter().filter_map(|d| Some((d.target?, d.code, d.severity()))).collect();
    let out = c.outputs.first().map(jit_policy::render::binding_json).unwrap_or(Value::Null);
    (findings, out)
}

/// Whether the compiled output of `target` carries `feature`; `None` when
/// there is no probe for that cell (every cell the table calls enforced
/// needs one).
fn probe(target: Target, feature: Feature, out: &Value) -> Option<bool> {
    let aws_cond = &out["aws"]["Statement"][0]["Condition"];
    let role = &out["openbao"]["role"];
    let rule = &out["broker"];
    let cel = out["gcp"]["condition"]["expression"].as_str().unwrap_or("");
    let az = &out["azure"]["properties"]["scheduleInfo"];
    let rego = &out["rego"];
    let trust = &out["aws_trust"];
    let trust_cond = &trust["policy"]["Statement"][0]["Condition"];
    Some(match (target.as_str(), feature) {
        (_, Feature::Approval) => return Some(true), // at review everywhere
        ("aws", Feature::NotBefore) => aws_cond["DateGreaterThanEquals"]["aws:CurrentTime"] == NOT_BEFORE,
        ("aws", Feature::ExpiresAt) => {
            out["aws"]["Statement"].as_array()?.last()?["Condition"]["DateLessThan"]["aws:CurrentTime"] == EXPIRES_AT
        }
        // Two weekdays in one week: two intervals, starting 09:30 Paris.
        ("aws", Feature::Windows) => {
            out["aws"]["Statement"].as_array()?.len() == 2
                && aws_cond["DateGreaterThanEquals"]["aws:CurrentTime"] == "2027-01-04T08:30:00Z"
        }
        // Bounded: 30m is raised to AWS's 1h minimum.
        ("aws", Feature::MaxSession) => out["aws_max_session_duration"] == 3600,
        ("aws", Feature::Mfa) => aws_cond["Bool"]["aws:MultiFactorAuthPresent"] == "true",
        ("aws", Feature::SourceCidrs) => aws_cond["IpAddress"]["aws:SourceIp"][0] == "10.0.0.0/8",
        ("aws", Feature::PrincipalTags) => aws_cond["StringEquals"]["aws:PrincipalTag/team"] == "data",
        ("aws_trust", Feature::NotBefore) => trust_cond["DateGreaterThanEquals"]["aws:CurrentTime"] == NOT_BEFORE,
        ("aws_trust", Feature::MaxSession) => trust["max_session_duration"] == 3600,
        ("aws_trust", Feature::Mfa) => trust_cond["Bool"]["aws:MultiFactorAuthPresent"] == "true",
        ("gcp", Feature::NotBefore) => cel.contains(&format!("request.time >= timestamp(\"{NOT_BEFORE}\")")),
        ("gcp", Feature::ExpiresAt) => cel.contains(&format!("request.time < timestamp(\"{EXPIRES_AT}\")")),
        ("gcp", Feature::Windows) => cel.contains("getDayOfWeek(\"Europe/Paris\") in [1, 3]"),
        ("azure", Feature::NotBefore) => az["startDateTime"] == NOT_BEFORE,
        ("azure", Feature::ExpiresAt) => {
            az["expiration"]["endDateTime"] == EXPIRES_AT && az["expiration"]["type"] == "AfterDateTime"
        }
        ("openbao", Feature::NotBefore) => return Some(true), // at apply: the provider's convergence
        ("openbao", Feature::ExpiresAt) => out["openbao"]["policy_expiration"] == EXPIRES_AT,
        ("openbao", Feature::MaxSession) => role["token_ttl"] == 1800 && role["token_explicit_max_ttl"] == 1800,
        ("openbao", Feature::SourceCidrs) => {
            role["token_bound_cidrs"][0] == "10.0.0.0/8" && role["secret_id_bound_cidrs"][0] == "10.0.0.0/8"
        }
        // The bounds in nanoseconds (what the module compares) and as text.
        ("rego", Feature::NotBefore) => {
            rego["not_before"] == NOT_BEFORE && rego["not_before_ns"] == 1_799_020_800_000_000_000u64
        }
        ("rego", Feature::ExpiresAt) => {
            rego["expires_at"] == EXPIRES_AT && rego["expires_at_ns"] == 1_799_625_600_000_000_000u64
        }
        ("rego", Feature::Windows) => {
            let w = &rego["windows"][0];
            w["zone"] == "Europe/Paris" && w["days"] == serde_json::json!(["Monday", "Wednesday"]) && w["start"] == 570
        }
        ("rego", Feature::SourceCidrs) => rego["source_cidrs"][0] == "10.0.0.0/8",
        ("broker", Feature::NotBefore) => rule["not_before"] == NOT_BEFORE,
        ("broker", Feature::ExpiresAt) => rule["expires_at"] == EXPIRES_AT,
        ("broker", Feature::Windows) => rule["windows"][0]["timezone"] == "Europe/Paris",
        ("broker", Feature::MaxSession) => rule["max_session_seconds"] == 1800,
        ("broker", Feature::Mfa) => rule["requirements"]["mfa"] == true,
        ("broker", Feature::SourceCidrs) => rule["requirements"]["source_cidrs"][0] == "10.0.0.0/8",
        ("broker", Feature::PrincipalTags) => rule["requirements"]["principal_tags"]["team"] == "data",
        _ => return None,
    })
}

#[test]
fn every_target_enforces_every_feature_as_its_table_says() {
    let (base, _) = compile(None, Target::ALL);
    let base: BTreeSet<(Target, Code, Severity)> = base.into_iter().collect();
    assert!(base.is_empty(), "the grant's bounds alone need no finding: {base:?}");
    // An elevation always uses expires_at, which its trust policy checks
    // only when the role is assumed: that warning is its baseline.
    let (elevated, _) = compile(None, &[Target::AwsTrust]);
    assert_eq!(elevated, vec![(Target::AwsTrust, Code::CheckedAtAssume, Severity::Warning)]);
    let mut failures = Vec::new();
    for f in Feature::ALL {
        for t in Target::ALL {
            // Each target alone, so one target's error leaves the others' output.
            let (found, out) = compile(Some(*f), &[*t]);
            let e = t.enforces().iter().find(|e| e.feature == *f).expect("declared");
            let always: Vec<(Code, Severity)> = if *t == Target::AwsTrust && e.how.weakens() {
                Vec::new()
            } else {
                elevated.iter().filter(|(x, ..)| x == t).map(|(_, c, s)| (*c, *s)).collect()
            };
            let mine: Vec<(Code, Severity)> = found
                .iter()
                .filter(|(x, ..)| x == t)
                .map(|(_, c, s)| (*c, *s))
                .filter(|c| !always.contains(c))
                .collect();
            let cell = format!("{t} × {}: {}", f.as_str(), e.how.as_str());
            match (e.how, e.code) {
                (How::Refused, Some(code)) => {
                    if !mine.contains(&(code, Severity::Error)) {
                        failures.push(format!("{cell}: no {} error, found {mine:?}", code.as_str()));
                    }
                }
                (how, Some(code)) if how.weakens() => {
                    if !mine.contains(&(code, Severity::Warning)) {
                        failures.push(format!("{cell}: no {} warning, found {mine:?}", code.as_str()));
                    }
                    if how == How::Bounded && probe(*t, *f, &out) != Some(true) {
                        failures.push(format!("{cell}: the output does not hold the bounded value"));
                    }
                }
                _ => {
                    if !mine.is_empty() {
                        failures.push(format!("{cell}: declared enforced, yet reported {mine:?}"));
                    }
                    match probe(*t, *f, &out) {
                        Some(true) => {}
                        Some(false) => failures.push(format!("{cell}: the output does not carry it")),
                        None => failures.push(format!("{cell}: no probe checks the output carries it")),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} cell(s) disagree with the table:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn enforcement_output_tells_the_truth_about_openbao_windows() {
    let (_, plain) = compile(None, Target::ALL);
    assert_eq!(plain["enforcement"]["openbao"], "convergence");
    // Azure refuses windows; the other targets lower them.
    let others: Vec<Target> = Target::ALL.iter().copied().filter(|t| *t != Target::Azure).collect();
    let (_, out) = compile(Some(Feature::Windows), &others);
    assert_eq!(out["enforcement"]["openbao"], "issuance");
    assert_eq!(out["enforcement"]["aws"], "expanded");
    assert!(out["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "JIT107" && w["target"] == "openbao"));
}
