//! AWS elevation: a binding's trust statements, and per assumed role the
//! merged trust policy of every binding assuming it.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::aws_trust::{TrustModel, TrustPolicy};
use crate::lower::Options;
use jiff::Timestamp;
use serde::ser::SerializeMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct AwsTrust;

/// A binding's entry in the compiled JSON (`aws_trust`).
#[derive(Serialize)]
struct Entry<'a> {
    role_arn: &'a str,
    policy: TrustPolicy<'a>,
    max_session_duration: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
}

impl Rendering for AwsTrust {
    type Model = TrustModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[
        FlatOutput {
            name: "aws_trust_role_arn",
            kind: FlatKind::Text,
            doc: "Elevation: the ARN of the role the subject may assume (null without `aws.assume_role`).",
        },
        FlatOutput {
            name: "aws_trust_policy_json",
            kind: FlatKind::Text,
            doc: "Elevation: this binding's statements of the assumed role's trust policy, as a policy document (for `source_policy_documents`; `jit_document.aws_assumed_roles` has every binding's, merged).",
        },
        FlatOutput {
            name: "aws_trust_max_session_duration",
            kind: FlatKind::Number,
            doc: "Elevation: the MaxSessionDuration this binding asks of the assumed role, seconds.",
        },
        FlatOutput {
            name: "aws_trust_valid_until",
            kind: FlatKind::Text,
            doc: "Elevation, rolling: the end of the horizon the trust statements cover. Null when they cover the whole grant.",
        },
    ];

    fn fields<M: SerializeMap>(&self, m: &TrustModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry(
            "aws_trust",
            &Entry {
                role_arn: &m.role_arn,
                policy: TrustPolicy(vec![m]),
                max_session_duration: m.max_session_duration,
                valid_until: m.valid_until.map(|t| t.to_string()),
            },
        )
    }

    fn files(&self, m: &TrustModel) -> Vec<(String, String)> {
        vec![("aws_trust.json".into(), pretty(&TrustPolicy(vec![m])))]
    }

    fn flat_values(&self, m: &TrustModel) -> Vec<FlatValue> {
        vec![
            FlatValue::Text(m.role_arn.clone()),
            FlatValue::Text(compact(&TrustPolicy(vec![m]))),
            FlatValue::Number(m.max_session_duration as f64),
            m.valid_until.map(|t| FlatValue::Text(t.to_string())).unwrap_or(FlatValue::Null),
        ]
    }

    /// Per assumed role, `aws-trust/ACCOUNT/NAME.json`: its merged trust
    /// policy; and `aws-trust/roles.json`, the index of them all.
    fn shared_files(&self, models: &[(&str, &TrustModel)], _opts: &Options) -> Vec<(String, String)> {
        let roles = assumed_roles(models);
        if roles.is_empty() {
            return Vec::new();
        }
        let mut files: Vec<(String, String)> =
            roles.iter().map(|r| (r.file.clone(), pretty(&TrustPolicy(r.models.clone())))).collect();
        let index: serde_json::Map<String, serde_json::Value> = roles
            .iter()
            .map(|r| {
                let mut e = serde_json::json!({
                    "policy_file": r.file.trim_start_matches("aws-trust/"),
                    "max_session_duration": r.max_session_duration,
                    "bindings": r.bindings,
                    "size": r.size,
                });
                if let Some(t) = r.valid_until {
                    e["valid_until"] = t.to_string().into();
                }
                (r.arn.clone(), e)
            })
            .collect();
        files.push(("aws-trust/roles.json".into(), pretty(&index)));
        files
    }
}

/// One assumed role: its merged trust policy and what it asks of the role.
#[derive(Debug, Clone)]
pub struct AssumedRole<'a> {
    pub arn: String,
    /// `aws-trust/ACCOUNT/NAME.json`.
    pub file: String,
    /// The bindings assuming it, by name, and their models in that order.
    pub bindings: Vec<&'a str>,
    pub models: Vec<&'a TrustModel>,
    /// The shortest MaxSessionDuration any of them asks for: the role's, so
    /// that no binding's sessions last longer than its policy allows.
    pub max_session_duration: i64,
    /// The earliest horizon end of a rolling binding, if any.
    pub valid_until: Option<Timestamp>,
    /// Characters of the merged policy without whitespace, as AWS counts.
    pub size: usize,
}

impl AssumedRole<'_> {
    /// The merged trust policy, compact JSON.
    pub fn policy_json(&self) -> String {
        compact(&TrustPolicy(self.models.clone()))
    }
}

/// Every assumed role of `models` (binding name, model; in name order), by
/// ARN.
pub fn assumed_roles<'a>(models: &[(&'a str, &'a TrustModel)]) -> Vec<AssumedRole<'a>> {
    let mut by_arn: std::collections::BTreeMap<&str, Vec<(&'a str, &'a TrustModel)>> = Default::default();
    for (name, m) in models {
        by_arn.entry(m.role_arn.as_str()).or_default().push((name, m));
    }
    by_arn
        .into_iter()
        .map(|(arn, ms)| {
            // `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME` (checked by resolve).
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            let account = parts.get(4).copied().unwrap_or_default();
            let name = parts.get(5).and_then(|r| r.rsplit('/').next()).unwrap_or_default();
            let models: Vec<&TrustModel> = ms.iter().map(|(_, m)| *m).collect();
            AssumedRole {
                arn: arn.to_string(),
                file: format!("aws-trust/{account}/{name}.json"),
                bindings: ms.iter().map(|(n, _)| *n).collect(),
                max_session_duration: models.iter().map(|m| m.max_session_duration).min().unwrap_or_default(),
                valid_until: models.iter().filter_map(|m| m.valid_until).min(),
                size: crate::lower::aws_trust::size(&TrustPolicy(models.clone())),
                models,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::aws::Require;

    fn model(principal: &str, role: &str, days: i64, session: i64) -> TrustModel {
        let t = |d: i64| Timestamp::from_second(1_800_000_000 + d * 86_400).unwrap_or_default();
        TrustModel {
            role_arn: role.to_string(),
            principal: principal.to_string(),
            require: Require::default(),
            intervals: (0..days).map(|d| (t(d), t(d) + jiff::SignedDuration::from_hours(1))).collect(),
            max_session_duration: session,
            valid_until: None,
        }
    }

    /// Per role: its bindings in name order, statements in that order, the
    /// shortest session, files by account and role name (path dropped).
    #[test]
    fn roles_merge_their_bindings_in_name_order() {
        let admin = "arn:aws:iam::123456789012:role/ops/admin";
        let (a, b) = (model("arn:aws:iam::1:role/a", admin, 2, 7_200), model("arn:aws:iam::1:role/b", admin, 1, 3_600));
        let other = model("arn:aws:iam::1:role/a", "arn:aws:iam::210987654321:role/x", 1, 43_200);
        let roles = assumed_roles(&[("a", &a), ("b", &b), ("c", &other)]);
        assert_eq!(roles.len(), 2);
        let r = roles.iter().find(|r| r.arn == admin).expect("admin");
        assert_eq!(
            (r.file.as_str(), r.bindings.clone(), r.max_session_duration),
            ("aws-trust/123456789012/admin.json", vec!["a", "b"], 3_600)
        );
        let doc: serde_json::Value = serde_json::from_str(&r.policy_json()).unwrap_or_default();
        let principals: Vec<&str> =
            doc["Statement"].as_array().into_iter().flatten().filter_map(|s| s["Principal"]["AWS"].as_str()).collect();
        assert_eq!(principals, ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]);
        assert_eq!(r.size, r.policy_json().len(), "compact JSON has no whitespace to discount");
        let files = AwsTrust.shared_files(&[("a", &a), ("b", &b), ("c", &other)], &Options::default());
        let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            names,
            ["aws-trust/123456789012/admin.json", "aws-trust/210987654321/x.json", "aws-trust/roles.json"]
        );
    }
}
