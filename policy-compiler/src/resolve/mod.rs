//! AST -> IR: names, references, defaults and value parsing.
//!
//! Names are unique per kind across all documents of a compilation.
//! A declaration with errors is left out of the IR (its errors are
//! reported), and references to it do not produce follow-on errors.

pub mod values;

use crate::ast::{self, Document, Str};
use crate::diag::{suggestion_help, Code, Diagnostic, Diagnostics};
use crate::ir::{self, DaySet, Model, Window};
use crate::source::{SourceMap, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use values::{DAY, HOUR, MINUTE};

/// Bounds of the language.
pub const MAX_SESSION_MIN: i64 = 15 * MINUTE;
pub const MAX_SESSION_MAX: i64 = 12 * HOUR;
pub const MAX_SESSION_DEFAULT: i64 = HOUR;
pub const MAX_GRANT_DEFAULT: i64 = 30 * DAY;
pub const MAX_GRANT_CEILING: i64 = 366 * DAY;

/// Resolve parsed documents into one model.
pub fn resolve(docs: &[&Document], sources: &SourceMap, diags: &mut Diagnostics) -> Model {
    let mut model = Model::default();
    let (mut bad_roles, mut bad_policies, mut bad_bindings) = (Vec::new(), Vec::new(), Vec::new());
    let mut bad_groups = Vec::new();
    let group_decls = unique(
        docs.iter().flat_map(|d| d.groups.iter()).map(|g| (&g.name, g)),
        "group",
        sources,
        diags,
        &mut bad_groups,
    );
    for (name, decl) in &group_decls {
        if let Some(g) = group(decl, diags) {
            model.groups.insert(name.clone(), Arc::new(g));
        }
    }
    let role_decls =
        unique(docs.iter().flat_map(|d| d.roles.iter()).map(|r| (&r.name, r)), "role", sources, diags, &mut bad_roles);
    let policy_decls = unique(
        docs.iter().flat_map(|d| d.policies.iter()).map(|p| (&p.name, p)),
        "policy",
        sources,
        diags,
        &mut bad_policies,
    );
    let binding_decls = unique(
        docs.iter().flat_map(|d| d.bindings.iter()).map(|b| (&b.name, b)),
        "binding",
        sources,
        diags,
        &mut bad_bindings,
    );

    for (name, decl) in &role_decls {
        if let Some(role) = role(decl, diags) {
            model.roles.insert(name.clone(), Arc::new(role));
        }
    }
    for (name, decl) in &policy_decls {
        if let Some(p) = policy(decl, diags) {
            model.policies.insert(name.clone(), Arc::new(p));
        }
    }
    // Valid names for suggestions; invalid ones still count as declared so a
    // reference to them is not reported a second time.
    let role_names: Vec<&str> = role_decls.keys().map(String::as_str).collect();
    let policy_names: Vec<&str> = policy_decls.keys().map(String::as_str).collect();
    let declared = (
        role_names.iter().copied().chain(bad_roles.iter().map(String::as_str)).collect::<Vec<_>>(),
        policy_names.iter().copied().chain(bad_policies.iter().map(String::as_str)).collect::<Vec<_>>(),
    );
    for decl in binding_decls.values() {
        if let Some(b) = binding(decl, &model, (&role_names, &policy_names), (&declared.0, &declared.1), diags) {
            model.bindings.push(b);
        }
    }
    model
}

/// Keep the first declaration of each name; report the others.
fn unique<'a, T>(
    items: impl Iterator<Item = (&'a Str, &'a T)>,
    kind: &str,
    sources: &SourceMap,
    diags: &mut Diagnostics,
    invalid: &mut Vec<String>,
) -> BTreeMap<String, &'a T> {
    let mut out: BTreeMap<String, (&'a T, Span)> = BTreeMap::new();
    for (name, item) in items {
        if !values::name_ok(&name.value) {
            let lower = name.value.to_ascii_lowercase().replace([' ', '.'], "-");
            let help = if values::name_ok(&lower) {
                format!("names are lowercase letters, digits, `-` and `_`: did you mean `{lower}`?")
            } else {
                "names are 1 to 63 characters of lowercase letters, digits, `-` and `_`, starting with a letter or digit".to_string()
            };
            diags.push(
                Diagnostic::at(Code::InvalidName, name.span, format!("`{}` is not a valid {kind} name", name.value))
                    .with_help(help),
            );
            invalid.push(name.value.clone());
            continue;
        }
        if let Some((_, first)) = out.get(&name.value) {
            let at = sources
                .get(first.file)
                .map(|f| {
                    let lc = f.line_col(first.start);
                    format!("{}:{}:{}", f.name, lc.line, lc.column)
                })
                .unwrap_or_default();
            diags.push(
                Diagnostic::at(
                    Code::DuplicateName,
                    name.span,
                    format!("{kind} `{}` is defined more than once", name.value),
                )
                .with_help(format!("{kind} names are unique across all documents; the first definition is at {at}")),
            );
            continue;
        }
        out.insert(name.value.clone(), (item, name.span));
    }
    out.into_iter().map(|(k, (v, _))| (k, v)).collect()
}

fn role(d: &ast::RoleDecl, diags: &mut Diagnostics) -> Option<ir::Role> {
    let before = diags.errors().count();
    let aws = d.aws.as_ref().and_then(|a| aws_permissions(a, diags));
    let gcp = d.gcp.as_ref().and_then(|g| {
        Some(ir::GcpPermissions {
            span: g.span,
            role: g.role.as_ref()?.value.clone(),
            resource: g.resource.as_ref()?.value.clone(),
        })
    });
    let azure = d.azure.as_ref().and_then(|a| {
        Some(ir::AzurePermissions {
            span: a.span,
            role_definition_id: a.role_definition_id.as_ref()?.value.clone(),
            scope: a.scope.as_ref()?.value.clone(),
        })
    });
    let openbao = d.openbao.as_ref().map(|o| {
        o.paths
            .iter()
            .map(|p| {
                let mut caps: Vec<String> = Vec::new();
                for c in p.capabilities.iter().flat_map(|l| l.items.iter()) {
                    if !crate::ast::shape::CAPABILITIES.contains(&c.value.as_str()) {
                        diags.push(
                            Diagnostic::at(
                                Code::BadCapability,
                                c.span,
                                format!("`{}` is not an OpenBao capability", c.value),
                            )
                            .with_help(suggestion_help(
                                &c.value,
                                crate::ast::shape::CAPABILITIES,
                                "capability",
                            )),
                        );
                    } else if !caps.contains(&c.value) {
                        caps.push(c.value.clone());
                    }
                }
                // Canonical order, as OpenBao's own listing.
                caps.sort_by_key(|c| crate::ast::shape::CAPABILITIES.iter().position(|k| k == c));
                ir::PathRule { path: p.path.value.clone(), span: p.path.span, capabilities: caps }
            })
            .collect()
    });
    let http = d.http.iter().filter_map(|h| http_rule(h, diags)).collect();
    if diags.errors().count() > before {
        return None;
    }
    Some(ir::Role {
        name: d.name.value.clone(),
        span: d.name.span,
        description: d.description.as_ref().map(|s| s.value.clone()),
        allow_wildcards: d.allow_wildcards.as_ref().is_some_and(|b| b.value),
        aws,
        gcp,
        azure,
        openbao,
        http,
    })
}

/// One group: its members are `user:LOGIN`, each once.
fn group(d: &ast::GroupDecl, diags: &mut Diagnostics) -> Option<ir::Group> {
    let mut members: Vec<(String, Span)> = Vec::new();
    let mut ok = true;
    for m in d.members.iter().flat_map(|l| l.items.iter()) {
        let user = m.value.strip_prefix("user:").filter(|n| !n.is_empty() && !n.contains(char::is_whitespace));
        if user.is_none() {
            ok = false;
            diags.push(
                Diagnostic::at(Code::BadIdentity, m.span, format!("group member `{}` must be `user:LOGIN`", m.value))
                    .with_help("list people by their code host login, e.g. `user:alice`; groups do not nest"),
            );
        } else if members.iter().any(|(v, _)| v.eq_ignore_ascii_case(&m.value)) {
            ok = false;
            diags.push(
                Diagnostic::at(Code::DuplicateApprover, m.span, format!("member `{}` is listed twice", m.value))
                    .with_help("list each member once (logins compare without case)"),
            );
        } else {
            members.push((m.value.clone(), m.span));
        }
    }
    (ok && d.members.is_some()).then(|| ir::Group { name: d.name.value.clone(), span: d.span, members })
}

/// A role's `aws` block: actions on resources (both or neither), a role to
/// assume, or both. Neither is reported by the block's shape.
fn aws_permissions(a: &ast::AwsDecl, diags: &mut Diagnostics) -> Option<ir::AwsPermissions> {
    let list = |l: &Option<ast::List>| -> Vec<(String, Span)> {
        l.iter().flat_map(|l| l.items.iter()).map(|s| (s.value.clone(), s.span)).collect()
    };
    let mut ok = true;
    // A list already refused inside the block (empty, say) is not missing.
    let inside = |d: &Diagnostic| {
        d.span.is_some_and(|s| s.file == a.span.file && s.start >= a.span.start && s.end <= a.span.end)
    };
    let refused = diags.errors().any(inside);
    for (has, lacks) in [(&a.actions, "resources"), (&a.resources, "actions")].into_iter().filter(|_| !refused) {
        let missing = if lacks == "resources" { &a.resources } else { &a.actions };
        if let (Some(l), None) = (has, missing) {
            ok = false;
            let (what, other) = if lacks == "resources" { ("actions", "resources") } else { ("resources", "actions") };
            diags.push(
                Diagnostic::at(Code::MissingField, l.span, format!("`aws` lists {what} but no {other}"))
                    .with_help(format!("add `{other}`: actions and resources are granted together (for elevation alone, keep only `assume_role`)")),
            );
        }
    }
    let assume_role = match &a.assume_role {
        Some(r) => match values::role_arn(r) {
            Ok(arn) => Some((arn, r.span)),
            Err(d) => {
                diags.push(d);
                ok = false;
                None
            }
        },
        None => None,
    };
    let granted = a.actions.is_some() || assume_role.is_some();
    (ok && granted).then(|| ir::AwsPermissions {
        span: a.span,
        actions: list(&a.actions),
        resources: list(&a.resources),
        assume_role,
    })
}

/// One `http` block: a service, methods and path patterns, each checked;
/// repeats are dropped.
fn http_rule(h: &ast::HttpDecl, diags: &mut Diagnostics) -> Option<ir::HttpRule> {
    let mut ok = true;
    let mut checked = |l: &Option<ast::List>, f: fn(&ast::Str) -> Result<String, Diagnostic>| -> Vec<(String, Span)> {
        let mut out: Vec<(String, Span)> = Vec::new();
        for item in l.iter().flat_map(|l| l.items.iter()) {
            match f(item) {
                Ok(v) if !out.iter().any(|(o, _)| *o == v) => out.push((v, item.span)),
                Ok(_) => {}
                Err(d) => {
                    diags.push(d);
                    ok = false;
                }
            }
        }
        out
    };
    let methods = checked(&h.methods, values::http_method);
    let paths = checked(&h.paths, values::http_path);
    let service = match h.service.as_ref().map(values::service)? {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let methods = methods.into_iter().map(|(m, _)| m).collect();
    (ok && h.methods.is_some() && h.paths.is_some()).then(|| ir::HttpRule::new(h.span, service, methods, paths))
}

fn policy(d: &ast::PolicyDecl, diags: &mut Diagnostics) -> Option<ir::Policy> {
    let before = diags.errors().count();
    let max_session = match &d.max_session {
        None => MAX_SESSION_DEFAULT,
        Some(s) => match values::duration(s, "max_session") {
            Ok(v) if (MAX_SESSION_MIN..=MAX_SESSION_MAX).contains(&v) => v,
            Ok(v) => {
                diags.push(
                    Diagnostic::at(
                        Code::MaxSessionRange,
                        s.span,
                        format!("max_session `{}` is outside 15m..12h", s.value),
                    )
                    .with_help(format!(
                        "sessions last between 15m and 12h (AWS and OpenBao limits); {} is too {}",
                        values::format_duration(v),
                        if v < MAX_SESSION_MIN { "short" } else { "long" }
                    )),
                );
                0
            }
            Err(e) => {
                diags.push(e);
                0
            }
        },
    };
    let max_grant = match &d.max_grant {
        None => MAX_GRANT_DEFAULT,
        Some(s) => match values::duration(s, "max_grant") {
            Ok(v) if v <= MAX_GRANT_CEILING => v,
            Ok(_) => {
                diags.push(
                    Diagnostic::at(
                        Code::MaxGrantCeiling,
                        s.span,
                        format!("max_grant `{}` is above the 366d ceiling", s.value),
                    )
                    .with_help("no grant may last longer than 366d; renew access with a new binding instead"),
                );
                0
            }
            Err(e) => {
                diags.push(e);
                0
            }
        },
    };
    let mut windows = Vec::new();
    for w in &d.windows {
        if let Some(w) = window(w, diags) {
            windows.push(w);
        }
    }
    let require = d.require.as_ref().map(|r| {
        let mut cidrs = Vec::new();
        for c in r.source_cidrs.iter().flat_map(|l| l.items.iter()) {
            match values::cidr(c) {
                Ok(v) => {
                    if !cidrs.contains(&ir::Cidr(v.clone())) {
                        cidrs.push(ir::Cidr(v));
                    }
                }
                Err(e) => diags.push(e),
            }
        }
        cidrs.sort();
        ir::Requirements {
            span: Some(r.span),
            mfa: r.mfa.as_ref().is_some_and(|m| m.value),
            source_cidrs: cidrs,
            principal_tags: r.principal_tags.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
        }
    });
    let approval = d.approval.as_ref().and_then(|a| approval(a, diags));
    if diags.errors().count() > before {
        return None;
    }
    Some(ir::Policy {
        name: d.name.value.clone(),
        span: d.name.span,
        description: d.description.as_ref().map(|s| s.value.clone()),
        max_session,
        max_grant,
        max_grant_span: d.max_grant.as_ref().map(|s| s.span),
        max_session_span: d.max_session.as_ref().map(|s| s.span),
        windows,
        require: require.unwrap_or_default(),
        approval,
    })
}

fn window(w: &ast::WindowDecl, diags: &mut Diagnostics) -> Option<Window> {
    let mut days = DaySet::default();
    let mut ok = true;
    for d in w.days.iter().flat_map(|l| l.items.iter()) {
        match values::day(d) {
            Ok(i) if days.contains(i) => {
                diags.push(
                    Diagnostic::at(Code::DuplicateDay, d.span, format!("`{}` is listed twice", d.value))
                        .with_help("list each day once"),
                );
                ok = false;
            }
            Ok(i) => days.insert(i),
            Err(e) => {
                diags.push(e);
                ok = false;
            }
        }
    }
    let mut time = |s: &Option<Str>, field: &str| match s.as_ref().map(|s| values::time_of_day(s, field)) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            diags.push(e);
            None
        }
        None => None,
    };
    let start = time(&w.start, "start");
    let end = time(&w.end, "end");
    let (zone_name, zone) = match &w.timezone {
        None => ("UTC".to_string(), Some(jiff::tz::TimeZone::UTC)),
        Some(s) => match values::zone(s) {
            Ok(tz) => (s.value.clone(), Some(tz)),
            Err(e) => {
                diags.push(e);
                (s.value.clone(), None)
            }
        },
    };
    let (start, end, zone) = (start?, end?, zone?);
    if start == end {
        diags.push(
            Diagnostic::at(Code::EmptyWindow, w.end.as_ref().map(|s| s.span).unwrap_or(w.span), "window `start` equals `end`")
                .with_help("a window needs a length: make `end` later than `start`, or earlier for an overnight window; drop the window for any time of day"),
        );
        return None;
    }
    if !ok || w.days.is_none() {
        return None;
    }
    Some(Window { span: w.span, days, start, end, zone_name: zone_name.into(), zone })
}

fn approval(a: &ast::ApprovalDecl, diags: &mut Diagnostics) -> Option<ir::Approval> {
    let approvers = a.approvers.as_ref()?;
    let mut seen: Vec<String> = Vec::new();
    for ap in &approvers.items {
        let ok = ap
            .value
            .split_once(':')
            .is_some_and(|(k, v)| matches!(k, "user" | "group") && !v.is_empty() && !v.contains(char::is_whitespace));
        if !ok {
            diags.push(
                Diagnostic::at(
                    Code::BadIdentity,
                    ap.span,
                    format!("approver `{}` must be `user:NAME` or `group:NAME`", ap.value),
                )
                .with_help("prefix the approver with `user:` or `group:`"),
            );
        } else if seen.contains(&ap.value) {
            diags.push(
                Diagnostic::at(Code::DuplicateApprover, ap.span, format!("approver `{}` is listed twice", ap.value))
                    .with_help("list each approver once; min_approvals counts distinct approvers"),
            );
        } else {
            seen.push(ap.value.clone());
        }
    }
    if seen.len() < approvers.items.len() {
        // An approver was rejected above; counting would only repeat it.
        return None;
    }
    let min = a.min_approvals.as_ref().map(|m| (m.value, m.span)).unwrap_or((1, a.span));
    // A group may hold several people: with one, the upper bound is the
    // quorum check against the group's members (validate, JIT057).
    let groups = seen.iter().any(|a| a.starts_with("group:"));
    if min.0 < 1 || (!groups && min.0 > seen.len().max(1) as i64) {
        diags.push(
            Diagnostic::at(
                Code::MinApprovals,
                min.1,
                format!(
                    "min_approvals is {} but there {} {} approver(s)",
                    min.0,
                    if seen.len() == 1 { "is" } else { "are" },
                    seen.len()
                ),
            )
            .with_help(format!("min_approvals must be between 1 and {}", seen.len().max(1))),
        );
        return None;
    }
    Some(ir::Approval { span: a.span, approvers: seen, min_approvals: min.0 as u32 })
}

fn binding(
    d: &ast::BindingDecl,
    model: &Model,
    (role_names, policy_names): (&[&str], &[&str]),
    (declared_roles, declared_policies): (&[&str], &[&str]),
    diags: &mut Diagnostics,
) -> Option<ir::Binding> {
    let before = diags.errors().count();
    let role = d.role.as_ref().and_then(|r| match model.roles.get(&r.value) {
        Some(role) => Some(role.clone()),
        None if declared_roles.contains(&r.value.as_str()) => None, // declared but broken: already reported
        None => {
            diags.push(
                Diagnostic::at(Code::UnknownRole, r.span, format!("unknown role `{}`", r.value))
                    .with_help(suggestion_help(&r.value, role_names, "role")),
            );
            None
        }
    });
    let policy = d.policy.as_ref().and_then(|p| match model.policies.get(&p.value) {
        Some(policy) => Some(policy.clone()),
        None if declared_policies.contains(&p.value.as_str()) => None,
        None => {
            diags.push(
                Diagnostic::at(Code::UnknownPolicy, p.span, format!("unknown policy `{}`", p.value))
                    .with_help(suggestion_help(&p.value, policy_names, "policy")),
            );
            None
        }
    });
    let mut stamp = |s: &Option<Str>, field: &str| match s.as_ref().map(|s| values::timestamp(s, field)) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            diags.push(e);
            None
        }
        None => None,
    };
    let not_before = stamp(&d.not_before, "not_before");
    let expires_at = stamp(&d.expires_at, "expires_at");
    let subject = d.subject.as_ref().and_then(|s| subject(s, diags));
    if diags.errors().count() > before {
        return None;
    }
    Some(ir::Binding {
        name: d.name.value.clone(),
        span: d.name.span,
        role: role?,
        policy: policy?,
        subject: subject?,
        not_before: not_before?,
        expires_at: expires_at?,
        expires_span: d.expires_at.as_ref()?.span,
        justification: d.justification.as_ref().map(|s| s.value.clone()),
        ticket: d.ticket.as_ref().map(|s| s.value.clone()),
    })
}

fn subject(s: &ast::SubjectDecl, diags: &mut Diagnostics) -> Option<ir::Subject> {
    let kind = match s.kind.as_ref().map(|k| (k, k.value.as_str())) {
        Some((_, "workload")) => Some(ir::SubjectKind::Workload),
        Some((_, "human")) => Some(ir::SubjectKind::Human),
        Some((k, other)) => {
            diags.push(
                Diagnostic::at(
                    Code::BadSubjectKind,
                    k.span,
                    format!("subject kind `{other}` is not `workload` or `human`"),
                )
                .with_help(suggestion_help(other, crate::ast::shape::SUBJECT_KINDS, "kind")),
            );
            None
        }
        None => None,
    };
    let mut identities = Vec::with_capacity(s.identities.len());
    for (field, v) in &s.identities {
        match IDENTITIES.iter().find(|(f, _, _)| f == field) {
            Some((_, ok, what)) if !ok(&v.value) => diags.push(
                Diagnostic::at(Code::BadIdentity, v.span, format!("subject identity `{}` is malformed", v.value))
                    .with_help(format!("write {what}")),
            ),
            _ => {}
        }
        if *field == "spiffe" {
            if let Some(problem) = values::spiffe_problem(&v.value) {
                diags.push(
                    Diagnostic::at(Code::BadSpiffeId, v.span, format!("`{}` is not a SPIFFE ID: {problem}", v.value))
                        .with_help("write `spiffe://TRUST.DOMAIN/PATH`, e.g. `spiffe://acme.example/ns/reporting/sa/reporting-bot`"),
                );
            }
        }
        identities.push((*field, v.value.clone()));
    }
    Some(ir::Subject { span: s.span, kind: kind?, name: s.name.as_ref()?.value.clone(), identities })
}

/// An identity field of a subject, a check of its value, and what to write
/// instead of a malformed one.
type IdentityRule = (&'static str, fn(&str) -> bool, &'static str);

/// How each identity field of a subject must look.
const IDENTITIES: &[IdentityRule] = &[
    ("aws", |v| v.starts_with("arn:aws") && v.contains(":iam::"), "an IAM role or user ARN (`arn:aws:iam::123456789012:role/NAME`)"),
    (
        "gcp",
        |v| {
            matches!(v, "allUsers" | "allAuthenticatedUsers")
                || ["user:", "serviceAccount:", "group:", "domain:", "principal:", "principalSet:"]
                    .iter()
                    .any(|p| v.starts_with(p) && v.len() > p.len())
        },
        "a GCP IAM member (`user:`, `serviceAccount:`, `group:`, `domain:`, `principal:` or `principalSet:` followed by the identity)",
    ),
    ("azure", values::is_guid, "an Entra object id (a GUID such as `00000000-0000-0000-0000-000000000001`)"),
    ("openbao", |v| !v.trim().is_empty(), "a non-empty OpenBao identity label"),
    // Checked in detail, with its own code (`JIT060`), by `subject`.
    ("spiffe", |_| true, "a SPIFFE ID"),
];

/// Names of every role and policy that some binding refers to.
pub fn referenced(docs: &[&Document]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut roles = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for b in docs.iter().flat_map(|d| d.bindings.iter()) {
        if let Some(r) = &b.role {
            roles.insert(r.value.clone());
        }
        if let Some(p) = &b.policy {
            policies.insert(p.value.clone());
        }
    }
    (roles, policies)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_identity_field_has_a_rule() {
        for f in crate::ast::shape::SUBJECT.identity_fields() {
            assert!(super::IDENTITIES.iter().any(|(name, _, _)| *name == f), "no rule for identity `{f}`");
        }
    }
}
