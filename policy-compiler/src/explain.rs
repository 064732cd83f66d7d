//! Grants in words: who may do what, where, when, for how long, with what
//! approval. Used by `jitc explain` and `jitc who`.

use crate::ast::shape::DAYS;
use crate::ir::{Binding, Model, Window};
use crate::resolve::values::format_duration;
use std::fmt::Write;

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A window in words, e.g. `mon, tue 22:00–06:00 (next day) Europe/Paris`.
pub fn window_text(w: &Window) -> String {
    let days: Vec<&str> = w.days.iter().map(|d| DAYS[d as usize]).collect();
    let days = if w.days.is_all() { "every day".to_string() } else { days.join(", ") };
    let end = if w.end == 0 { "24:00".to_string() } else { hhmm(w.end) };
    let overnight = if w.is_overnight() && w.end != 0 { " (next day)" } else { "" };
    format!("{days} {}-{end}{overnight} {}", hhmm(w.start), w.zone_name)
}

/// Whether `needle` names this binding's subject (name or any identity).
pub fn subject_matches(b: &Binding, needle: &str) -> bool {
    let s = &b.subject;
    s.name == needle || [&s.aws, &s.gcp, &s.azure, &s.openbao].into_iter().flatten().any(|i| i == needle)
}

/// Every resource string a binding's role touches, per target.
pub fn resources(b: &Binding) -> Vec<(&'static str, String)> {
    let r = &b.role;
    let mut out = Vec::new();
    if let Some(a) = &r.aws {
        out.extend(a.resources.iter().map(|x| ("aws", x.0.clone())));
    }
    if let Some(g) = &r.gcp {
        out.push(("gcp", g.resource.clone()));
    }
    if let Some(a) = &r.azure {
        out.push(("azure", a.scope.clone()));
    }
    for p in r.openbao.iter().flatten() {
        out.push(("openbao", p.path.clone()));
    }
    out
}

/// Whether a role resource (possibly a glob with `*`) covers `wanted`.
pub fn resource_matches(pattern: &str, wanted: &str) -> bool {
    fn glob(p: &[u8], s: &[u8]) -> bool {
        // Iterative matcher with one backtrack point: linear in practice.
        let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
        while si < s.len() {
            if pi < p.len() && p[pi] == b'*' {
                star = Some(pi);
                mark = si;
                pi += 1;
            } else if pi < p.len() && p[pi] == s[si] {
                pi += 1;
                si += 1;
            } else if let Some(st) = star {
                pi = st + 1;
                mark += 1;
                si = mark;
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|c| *c == b'*')
    }
    pattern == wanted || glob(pattern.as_bytes(), wanted.as_bytes())
}

/// One binding in words.
pub fn binding_text(b: &Binding) -> String {
    let mut out = String::new();
    let s = &b.subject;
    let _ = writeln!(
        out,
        "{} ({} `{}`) may use role `{}` under policy `{}`:",
        b.name,
        s.kind.as_str(),
        s.name,
        b.role.name,
        b.policy.name
    );
    let r = &b.role;
    if let Some(a) = &r.aws {
        let acts: Vec<&str> = a.actions.iter().map(|x| x.0.as_str()).collect();
        let res: Vec<&str> = a.resources.iter().map(|x| x.0.as_str()).collect();
        let who = s.aws.as_deref().unwrap_or("(no AWS identity: skipped)");
        let _ = writeln!(out, "  what (aws):     {} on {} as {who}", acts.join(", "), res.join(", "));
    }
    if let Some(g) = &r.gcp {
        let who = s.gcp.as_deref().unwrap_or("(no GCP identity: skipped)");
        let _ = writeln!(out, "  what (gcp):     {} on {} as {who}", g.role, g.resource);
    }
    if let Some(a) = &r.azure {
        let who = s.azure.as_deref().unwrap_or("(no Azure identity: skipped)");
        let _ = writeln!(out, "  what (azure):   {} at {} as {who}", a.role_definition_id, a.scope);
    }
    for p in r.openbao.iter().flatten() {
        let who = s.openbao.as_deref().unwrap_or("(no OpenBao identity: skipped)");
        let _ = writeln!(out, "  what (openbao): {} on `{}` as {who}", p.capabilities.join(", "), p.path);
    }
    let length = b.expires_at.as_second() - b.not_before.as_second();
    let _ = writeln!(
        out,
        "  when:           from {} until {} ({})",
        b.not_before,
        b.expires_at,
        format_duration(length.max(0))
    );
    if b.policy.windows.is_empty() {
        let _ = writeln!(out, "                  at any time of day inside the grant");
    } else {
        for (i, w) in b.policy.windows.iter().enumerate() {
            let lead = if i == 0 { "only during" } else { "or during" };
            let _ = writeln!(out, "                  {lead} {}", window_text(w));
        }
    }
    let _ = writeln!(out, "  sessions:       at most {}", format_duration(b.policy.max_session));
    let req = &b.policy.require;
    let mut reqs = Vec::new();
    if req.mfa {
        reqs.push("MFA".to_string());
    }
    if !req.source_cidrs.is_empty() {
        let c: Vec<&str> = req.source_cidrs.iter().map(|c| c.0.as_str()).collect();
        reqs.push(format!("source in {}", c.join(", ")));
    }
    for (k, v) in &req.principal_tags {
        reqs.push(format!("principal tag {k}={v}"));
    }
    if !reqs.is_empty() {
        let _ = writeln!(out, "  requires:       {}", reqs.join("; "));
    }
    match &b.policy.approval {
        Some(a) => {
            let _ = writeln!(out, "  approval:       {} of {}", a.min_approvals, a.approvers.join(", "));
        }
        None => {
            let _ = writeln!(out, "  approval:       none beyond review of this change");
        }
    }
    if b.justification.is_some() || b.ticket.is_some() {
        let why = match (b.justification.as_deref(), b.ticket.as_deref()) {
            (Some(j), Some(t)) => format!("{j} ({t})"),
            (Some(j), None) => j.to_string(),
            (None, Some(t)) => format!("ticket {t}"),
            (None, None) => String::new(),
        };
        let _ = writeln!(out, "  why:            {why}");
    }
    out
}

/// All bindings (optionally of one subject) in words.
pub fn explain(model: &Model, subject: Option<&str>) -> String {
    let mut out = String::new();
    for b in model.bindings.iter().filter(|b| subject.is_none_or(|s| subject_matches(b, s))) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&binding_text(b));
    }
    out
}
