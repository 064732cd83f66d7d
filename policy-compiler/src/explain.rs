//! Grants in words: who may do what, where, when, for how long, with what
//! approval. Used by `jitc explain` and `jitc who`.

use crate::ast::shape::DAYS;
use crate::ir::{Binding, Block, Model, Window};
use crate::resolve::values::format_duration;
use crate::target::Target;
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
    s.name == needle || s.identities.iter().any(|(_, i)| i == needle)
}

/// Every resource a binding's role touches, with the target that enforces
/// the role block it is in (the block's name when no target reads it).
pub fn resources(b: &Binding) -> Vec<(&'static str, String)> {
    b.role
        .grants()
        .iter()
        .flat_map(|g| {
            let target = Target::of_role_block(g.block.name).map_or(g.block.name, Target::as_str);
            g.resources.iter().map(move |(r, _)| (target, r.to_string()))
        })
        .collect()
}

/// Whether a binding's role covers the resource `wanted`: some resource
/// pattern matches it, or it names a mesh service the role grants
/// (`payments-api` for `payments-api/v1/*`).
pub fn covers(b: &Binding, wanted: &str) -> bool {
    b.role.http.iter().any(|h| h.service == wanted)
        || b.role.grants().iter().flat_map(|g| g.resources.iter()).any(|(p, _)| resource_matches(p, wanted))
}

/// The subject's identity through which a grant of `block` is held, or why
/// there is none.
fn holder(b: &Binding, block: &Block) -> String {
    let identity = Target::of_role_block(block.name).and_then(Target::identity);
    match identity {
        Some(field) => match b.subject.identity(field) {
            Some(id) => id.to_string(),
            None => format!("(no {} identity: skipped)", block.label),
        },
        None => b.subject.name.clone(),
    }
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
    for g in b.role.grants() {
        let actions: Vec<&str> = g.actions.iter().map(|(a, _)| *a).collect();
        let resources: Vec<&str> = g.resources.iter().map(|(r, _)| *r).collect();
        let _ = writeln!(
            out,
            "  {:<16}{} {} {} as {}",
            format!("what ({}):", g.block.name),
            actions.join(", "),
            g.block.relation,
            resources.join(", "),
            holder(b, g.block)
        );
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
    if let Some((arn, _)) = b.role.aws.as_ref().and_then(|a| a.assume_role.as_ref()) {
        // What the trust policy can and cannot check (the `aws_trust` row
        // of the enforcement table).
        let session = format_duration(crate::lower::aws::session_duration(b.policy.max_session));
        let _ = writeln!(
            out,
            "  elevation:      may assume {arn}; its trust policy is checked when the role is assumed, so a session started inside the grant may last up to {session} past a window's end or expires_at"
        );
    }
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
