//! Drift: the objects jit declares (see `desired`) against what OpenBao
//! holds. Missing and changed objects of active bindings, objects of
//! expired or pending bindings still present, and objects carrying the
//! managed prefix that no binding declares (click-ops).

use super::desired::{self, Declared};
use super::{AppRole, Broker, BrokerError};
use jit_policy::ir::Status;
use serde::Serialize;
use std::collections::BTreeSet;

/// What kind of difference a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An active binding's object does not exist.
    Missing,
    /// An active binding's object differs from its declaration.
    Changed,
    /// An expired binding's object still exists.
    ExpiredButPresent,
    /// A pending binding's object already exists.
    PendingButPresent,
    /// An object with the managed prefix that no binding declares.
    Undeclared,
    /// A rolling AWS policy whose horizon ends within seven days, before
    /// its grant does (reported by `jitc drift`, which compiles it).
    HorizonEnding,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Missing => "missing",
            Kind::Changed => "changed",
            Kind::ExpiredButPresent => "expired_but_present",
            Kind::PendingButPresent => "pending_but_present",
            Kind::Undeclared => "undeclared",
            Kind::HorizonEnding => "horizon_ending",
        }
    }
}

/// One difference between the declared and the live objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// The object's API path.
    pub object: String,
    pub binding: Option<String>,
    /// For `changed`: each field that differs.
    pub fields: Vec<FieldDiff>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
}

fn role_fields(expected: &AppRole, actual: &AppRole) -> Vec<FieldDiff> {
    let (e, a) = (serde_json::to_value(expected).unwrap_or_default(), serde_json::to_value(actual).unwrap_or_default());
    let (Some(e), Some(a)) = (e.as_object(), a.as_object()) else {
        return Vec::new();
    };
    e.iter()
        .filter_map(|(k, ev)| {
            let av = a.get(k).cloned().unwrap_or(serde_json::Value::Null);
            (*ev != av).then(|| FieldDiff { field: k.clone(), expected: ev.clone(), actual: av })
        })
        .collect()
}

/// Compare each declared binding (with its status at the instant of the
/// check) with OpenBao, then list the undeclared objects with the managed
/// prefix. Findings are sorted by kind (by name) and object.
pub async fn drift(broker: &dyn Broker, declared: &[(Declared, Status)]) -> Result<Vec<Finding>, BrokerError> {
    let config = broker.config();
    let mount = config.approle_mount.clone();
    let mut findings = Vec::new();
    let mut names = BTreeSet::new();
    for (d, status) in declared {
        names.insert(d.name.clone());
        let live = desired::read(broker, &d.name).await?;
        let policy_ref = desired::policy_path(&d.name);
        let role_ref = desired::role_path(&mount, &d.name);
        let find = |kind, object: &str, fields| Finding {
            kind,
            object: object.to_string(),
            binding: Some(d.binding.clone()),
            fields,
        };
        if desired::should_exist(*status) {
            match &live.policy {
                None => findings.push(find(Kind::Missing, &policy_ref, vec![])),
                Some(p) => {
                    let fields: Vec<FieldDiff> = desired::policy_differences(p, d)
                        .into_iter()
                        .map(|field| match field {
                            "policy" => FieldDiff {
                                field: field.into(),
                                expected: d.policy.clone().into(),
                                actual: p.text.clone().into(),
                            },
                            _ => FieldDiff {
                                field: field.into(),
                                expected: d.expires_at.to_string().into(),
                                actual: p.expiration.map(|e| e.to_string()).into(),
                            },
                        })
                        .collect();
                    if !fields.is_empty() {
                        findings.push(find(Kind::Changed, &policy_ref, fields));
                    }
                }
            }
            match &live.role {
                None => findings.push(find(Kind::Missing, &role_ref, vec![])),
                Some(r) if *r != d.role => findings.push(find(Kind::Changed, &role_ref, role_fields(&d.role, r))),
                Some(_) => {}
            }
        } else {
            let kind = if *status == Status::Expired { Kind::ExpiredButPresent } else { Kind::PendingButPresent };
            let present = live.present();
            if present.policy {
                findings.push(find(kind, &policy_ref, vec![]));
            }
            if present.role {
                findings.push(find(kind, &role_ref, vec![]));
            }
        }
    }
    let undeclared = |name: &String| name.starts_with(&config.name_prefix) && !names.contains(name);
    let object = |object: String| Finding { kind: Kind::Undeclared, object, binding: None, fields: vec![] };
    for name in broker.list_policies().await?.iter().filter(|n| undeclared(n)) {
        findings.push(object(desired::policy_path(name)));
    }
    for name in broker.list_roles().await?.iter().filter(|n| undeclared(n)) {
        findings.push(object(desired::role_path(&mount, name)));
    }
    findings.sort_by(|a, b| (a.kind.as_str(), &a.object).cmp(&(b.kind.as_str(), &b.object)));
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;
    use crate::Config;

    fn declared(binding: &str) -> Declared {
        let name = format!("jit-{binding}");
        Declared {
            binding: binding.into(),
            name: name.clone(),
            policy: format!("# {binding}\npath \"kv/{binding}\" {{\n  capabilities = [\"read\"]\n}}\n"),
            expires_at: "2027-01-10T00:00:00Z".parse().unwrap(),
            role: AppRole {
                token_policies: vec![name],
                token_ttl: 3600,
                token_type: "service".into(),
                ..Default::default()
            },
        }
    }

    fn fake() -> Fake {
        let fake =
            Fake::new(Config { approle_mount: "approle".into(), name_prefix: "jit-".into(), ..Default::default() });
        *fake.now.lock().unwrap() = Some("2027-01-05T00:00:00Z".parse().unwrap());
        fake
    }

    fn kinds(f: &[Finding]) -> Vec<(&'static str, &str)> {
        f.iter().map(|f| (f.kind.as_str(), f.object.as_str())).collect()
    }

    #[tokio::test]
    async fn converged_objects_have_no_drift() {
        let fake = fake();
        let (a, b) = (declared("a"), declared("b"));
        desired::converge(&fake, &a, true).await;
        let found = drift(&fake, &[(a, Status::Active), (b, Status::Pending)]).await.expect("drift");
        assert_eq!(found, vec![]);
    }

    #[tokio::test]
    async fn each_kind_of_drift_is_found() {
        let fake = fake();
        let (active, changed, expired, pending) = (declared("a"), declared("c"), declared("e"), declared("p"));
        for d in [&changed, &expired, &pending] {
            desired::converge(&fake, d, true).await;
        }
        // Out-of-band edits: a wider policy and a longer TTL; a click-ops role.
        let mut wider = changed.clone();
        wider.policy = wider.policy.replace("[\"read\"]", "[\"read\", \"update\"]");
        wider.role.token_ttl = 7200;
        desired::converge(&fake, &wider, true).await;
        fake.write_role("jit-manual", &AppRole::default()).await.expect("write");
        fake.write_policy("not-ours", "", None).await.expect("write");
        let declared = [
            (active, Status::Active),
            (changed, Status::Active),
            (expired, Status::Expired),
            (pending, Status::Pending),
        ];
        let found = drift(&fake, &declared).await.expect("drift");
        assert_eq!(
            kinds(&found),
            vec![
                ("changed", "auth/approle/role/jit-c"),
                ("changed", "sys/policies/acl/jit-c"),
                ("expired_but_present", "auth/approle/role/jit-e"),
                ("expired_but_present", "sys/policies/acl/jit-e"),
                ("missing", "auth/approle/role/jit-a"),
                ("missing", "sys/policies/acl/jit-a"),
                ("pending_but_present", "auth/approle/role/jit-p"),
                ("pending_but_present", "sys/policies/acl/jit-p"),
                ("undeclared", "auth/approle/role/jit-manual"),
            ]
        );
        let role = &found[0];
        assert_eq!(role.fields.len(), 1, "{:?}", role.fields);
        assert_eq!((role.fields[0].field.as_str(), &role.fields[0].actual), ("token_ttl", &serde_json::json!(7200)));
        assert_eq!(role.binding.as_deref(), Some("c"));
    }

    #[tokio::test]
    async fn policy_text_differing_only_in_spacing_and_comments_is_not_drift() {
        let fake = fake();
        let d = declared("a");
        let respaced = format!("# edited by hand\n\n{}", d.policy.replace("  capabilities", "capabilities   "));
        fake.write_policy(&d.name, &respaced, Some(d.expires_at)).await.expect("write");
        fake.write_role(&d.name, &d.role).await.expect("write");
        assert_eq!(drift(&fake, &[(d, Status::Active)]).await.expect("drift"), vec![]);
    }

    #[tokio::test]
    async fn a_policy_without_its_expiration_is_changed_and_an_expired_one_is_not_drift() {
        let fake = fake();
        let d = declared("a");
        fake.write_policy(&d.name, &d.policy, None).await.expect("write");
        fake.write_role(&d.name, &d.role).await.expect("write");
        let found = drift(&fake, &[(d.clone(), Status::Active)]).await.expect("drift");
        assert_eq!(kinds(&found), vec![("changed", "sys/policies/acl/jit-a")]);
        assert_eq!(found[0].fields[0].field, "expiration");
        // Written as declared, then past expires_at: OpenBao removed the
        // policy; only the role, granting nothing, waits for the next apply.
        desired::converge(&fake, &d, true).await;
        *fake.now.lock().unwrap() = Some(d.expires_at);
        let found = drift(&fake, &[(d, Status::Expired)]).await.expect("drift");
        assert_eq!(kinds(&found), vec![("expired_but_present", "auth/approle/role/jit-a")]);
    }

    #[tokio::test]
    async fn a_broker_failure_is_an_error_not_a_finding() {
        let fake = fake();
        *fake.fail.lock().unwrap_or_else(|e| e.into_inner()) = Some(BrokerError::Sealed { address: "x".into() });
        assert!(matches!(drift(&fake, &[(declared("a"), Status::Active)]).await, Err(BrokerError::Sealed { .. })));
    }
}
