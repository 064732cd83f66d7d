//! Canonical specs: one role or policy in the YAML/JSON form of the
//! language, plus its `name`, as compact JSON (and a binding's entry, for
//! the provider's `jit_document`). The Terraform provider uses
//! them as `jit_role.spec` / `jit_policy.spec`, and `jit_binding` reads them
//! back through the ordinary YAML front end, so no rule is implemented twice.

use crate::ast::shape::DAYS;
use crate::ir::{Binding, Policy, Role};
use crate::resolve::values::format_duration;
use serde_json::{json, Map, Value};

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The role as a document entry (without its name).
pub fn role_entry(r: &Role) -> Value {
    let mut m = Map::new();
    if let Some(d) = &r.description {
        m.insert("description".into(), json!(d));
    }
    if r.allow_wildcards {
        m.insert("allow_wildcards".into(), json!(true));
    }
    if let Some(a) = &r.aws {
        let actions: Vec<&str> = a.actions.iter().map(|x| x.0.as_str()).collect();
        let resources: Vec<&str> = a.resources.iter().map(|x| x.0.as_str()).collect();
        let mut aws = Map::new();
        if !actions.is_empty() {
            aws.insert("actions".into(), json!(actions));
            aws.insert("resources".into(), json!(resources));
        }
        if let Some((arn, _)) = &a.assume_role {
            aws.insert("assume_role".into(), json!(arn));
        }
        m.insert("aws".into(), Value::Object(aws));
    }
    if let Some(g) = &r.gcp {
        m.insert("gcp".into(), json!({"role": g.role, "resource": g.resource}));
    }
    if let Some(a) = &r.azure {
        m.insert("azure".into(), json!({"role_definition_id": a.role_definition_id, "scope": a.scope}));
    }
    if let Some(rules) = &r.openbao {
        let paths: Map<String, Value> =
            rules.iter().map(|p| (p.path.clone(), json!({"capabilities": p.capabilities}))).collect();
        m.insert("openbao".into(), json!({"paths": paths}));
    }
    if !r.http.is_empty() {
        let http: Vec<Value> =
            r.http.iter().map(|h| json!({"service": h.service, "methods": h.methods, "paths": h.paths})).collect();
        m.insert("http".into(), json!(http));
    }
    Value::Object(m)
}

/// The policy as a document entry (without its name). `max_grant` is
/// written out, so the spec says how long a grant may be; `max_session`
/// only when the policy sets it, because a binding "uses" `max_session`
/// (and gets the enforcement table's warnings for it) only then, and the
/// binding reads this spec back.
pub fn policy_entry(p: &Policy) -> Value {
    let mut m = Map::new();
    if let Some(d) = &p.description {
        m.insert("description".into(), json!(d));
    }
    if p.max_session_span.is_some() {
        m.insert("max_session".into(), json!(format_duration(p.max_session)));
    }
    m.insert("max_grant".into(), json!(format_duration(p.max_grant)));
    if !p.windows.is_empty() {
        let windows: Vec<Value> = p
            .windows
            .iter()
            .map(|w| {
                let days: Vec<&str> = w.days.iter().map(|d| DAYS[d as usize]).collect();
                json!({"days": days, "start": hhmm(w.start), "end": hhmm(w.end), "timezone": w.zone_name})
            })
            .collect();
        m.insert("windows".into(), json!(windows));
    }
    let r = &p.require;
    if !r.is_empty() {
        let mut req = Map::new();
        if r.mfa {
            req.insert("mfa".into(), json!(true));
        }
        if !r.source_cidrs.is_empty() {
            let c: Vec<&str> = r.source_cidrs.iter().map(|c| c.0.as_str()).collect();
            req.insert("source_cidrs".into(), json!(c));
        }
        if !r.principal_tags.is_empty() {
            req.insert("principal_tags".into(), json!(r.principal_tags));
        }
        m.insert("require".into(), Value::Object(req));
    }
    if let Some(a) = &p.approval {
        m.insert("approval".into(), json!({"approvers": a.approvers, "min_approvals": a.min_approvals}));
    }
    Value::Object(m)
}

/// The binding as a document entry (without its name): role and policy by
/// name, the subject with its identities, the times as RFC 3339.
pub fn binding_entry(b: &Binding) -> Value {
    let mut subject = Map::new();
    subject.insert("kind".into(), json!(b.subject.kind.as_str()));
    subject.insert("name".into(), json!(b.subject.name));
    for (field, id) in &b.subject.identities {
        subject.insert((*field).into(), json!(id));
    }
    let mut m = Map::new();
    m.insert("role".into(), json!(b.role.name));
    m.insert("policy".into(), json!(b.policy.name));
    m.insert("subject".into(), Value::Object(subject));
    m.insert("not_before".into(), json!(b.not_before.to_string()));
    m.insert("expires_at".into(), json!(b.expires_at.to_string()));
    if let Some(j) = &b.justification {
        m.insert("justification".into(), json!(j));
    }
    if let Some(t) = &b.ticket {
        m.insert("ticket".into(), json!(t));
    }
    Value::Object(m)
}

fn with_name(name: &str, entry: Value) -> String {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Value::Object(e) = entry {
        m.extend(e);
    }
    Value::Object(m).to_string()
}

/// `jit_role.spec`: compact JSON `{"name": .., <role fields>}`.
pub fn role_spec(r: &Role) -> String {
    with_name(&r.name, role_entry(r))
}

/// `jit_policy.spec`: compact JSON `{"name": .., <policy fields>}`.
pub fn policy_spec(p: &Policy) -> String {
    with_name(&p.name, policy_entry(p))
}
