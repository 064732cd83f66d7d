//! `jitc drift`: declared broker objects against a live OpenBao server.

use jit_openbao::{client::OpenBao, normalise_policy, Broker, Config, Role};
use jit_policy::ir::{self, Status};
use jit_policy::lower::openbao::OpenbaoModel;
use jit_policy::{render, Compilation};
use serde::Serialize;
use std::collections::BTreeSet;

/// One difference between the declared and the live objects.
#[derive(Debug, Serialize)]
pub struct Finding {
    /// missing | changed | expired_but_present | pending_but_present | undeclared
    pub kind: &'static str,
    pub object: String,
    pub binding: Option<String>,
    pub fields: Vec<FieldDiff>,
}

#[derive(Debug, Serialize)]
pub struct FieldDiff {
    pub field: String,
    pub expected: serde_json::Value,
    pub actual: serde_json::Value,
}

fn role_fields(expected: &Role, actual: &Role) -> Vec<FieldDiff> {
    let (e, a) = (serde_json::to_value(expected).unwrap_or_default(), serde_json::to_value(actual).unwrap_or_default());
    let mut out = Vec::new();
    if let (Some(e), Some(a)) = (e.as_object(), a.as_object()) {
        for (k, ev) in e {
            let av = a.get(k).cloned().unwrap_or(serde_json::Value::Null);
            if *ev != av {
                out.push(FieldDiff { field: k.clone(), expected: ev.clone(), actual: av });
            }
        }
    }
    out
}

pub fn run(c: &Compilation, config: Config, at: jiff::Timestamp) -> Result<Vec<Finding>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let prefix = config.name_prefix.clone();
    let mount = config.approle_mount.trim_matches('/').to_string();
    let client = OpenBao::new(config)?;
    runtime.block_on(async {
        let mut findings = Vec::new();
        let mut declared = BTreeSet::new();
        for l in &c.outputs {
            let Some(o) = l.model::<OpenbaoModel>() else { continue };
            let Some(binding) = c.model.bindings.iter().find(|b| b.name == l.binding) else { continue };
            declared.insert(o.policy_name.clone());
            let policy_ref = format!("sys/policies/acl/{}", o.policy_name);
            let role_ref = format!("auth/{mount}/role/{}", o.role_name);
            let live_policy = client.read_policy(&o.policy_name).await.map_err(|e| e.to_string())?;
            let live_role = client.read_role(&o.role_name).await.map_err(|e| e.to_string())?;
            let expected_role: Role =
                serde_json::from_value(serde_json::to_value(&o.role).unwrap_or_default()).map_err(|e| e.to_string())?;
            let expected_text = render::openbao::policy_hcl(o);
            let find = |kind, object: &str, fields| Finding {
                kind,
                object: object.to_string(),
                binding: Some(l.binding.clone()),
                fields,
            };
            match ir::status(binding, at) {
                Status::Active => {
                    match &live_policy {
                        None => findings.push(find("missing", &policy_ref, vec![])),
                        Some(text) if normalise_policy(text) != normalise_policy(&expected_text) => {
                            findings.push(find(
                                "changed",
                                &policy_ref,
                                vec![FieldDiff {
                                    field: "policy".into(),
                                    expected: expected_text.clone().into(),
                                    actual: text.clone().into(),
                                }],
                            ))
                        }
                        Some(_) => {}
                    }
                    match &live_role {
                        None => findings.push(find("missing", &role_ref, vec![])),
                        Some(r) if *r != expected_role => {
                            findings.push(find("changed", &role_ref, role_fields(&expected_role, r)))
                        }
                        Some(_) => {}
                    }
                }
                s => {
                    let kind = if s == Status::Expired { "expired_but_present" } else { "pending_but_present" };
                    if live_policy.is_some() {
                        findings.push(find(kind, &policy_ref, vec![]));
                    }
                    if live_role.is_some() {
                        findings.push(find(kind, &role_ref, vec![]));
                    }
                }
            }
        }
        // Objects carrying the managed prefix that no document declares.
        for name in client.list_policies().await.map_err(|e| e.to_string())? {
            if name.starts_with(&prefix) && !declared.contains(&name) {
                findings.push(Finding {
                    kind: "undeclared",
                    object: format!("sys/policies/acl/{name}"),
                    binding: None,
                    fields: vec![],
                });
            }
        }
        for name in client.list_roles().await.map_err(|e| e.to_string())? {
            if name.starts_with(&prefix) && !declared.contains(&name) {
                findings.push(Finding {
                    kind: "undeclared",
                    object: format!("auth/{mount}/role/{name}"),
                    binding: None,
                    fields: vec![],
                });
            }
        }
        findings.sort_by(|a, b| (a.kind, &a.object).cmp(&(b.kind, &b.object)));
        Ok(findings)
    })
}

pub fn human(findings: &[Finding], at: jiff::Timestamp) -> String {
    if findings.is_empty() {
        return format!("no drift at {at}: every declared broker object matches OpenBao\n");
    }
    let mut out = format!("{} drift finding(s) at {at}:\n", findings.len());
    for f in findings {
        let who = f.binding.as_deref().map(|b| format!(" (binding `{b}`)")).unwrap_or_default();
        out.push_str(&format!("  {:<20} {}{who}\n", f.kind, f.object));
        for d in &f.fields {
            out.push_str(&format!("      {}: expected {}, found {}\n", d.field, d.expected, d.actual));
        }
    }
    out
}
