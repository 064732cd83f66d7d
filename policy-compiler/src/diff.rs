//! The access diff between two compilations: who gains or loses what,
//! where, when and for how long. Bindings are matched by name, so renaming
//! or moving a file changes nothing.
//!
//! Each change has a kind, the target it concerns (`all` for time, approval
//! and requirements), a risk level and whether it widens access.

use crate::ir::{Binding, Model, Role};
use crate::resolve::values::format_duration;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    High,
    Medium,
    Low,
}

impl Risk {
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::High => "high",
            Risk::Medium => "medium",
            Risk::Low => "low",
        }
    }
}

/// One semantic change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    pub binding: String,
    pub subject: String,
    pub target: String,
    pub kind: &'static str,
    pub risk: Risk,
    pub widens: bool,
    pub detail: String,
}

fn change(b: &Binding, target: &str, kind: &'static str, risk: Risk, widens: bool, detail: String) -> Change {
    Change {
        binding: b.name.clone(),
        subject: b.subject.name.clone(),
        target: target.to_string(),
        kind,
        risk,
        widens,
        detail,
    }
}

/// Minutes of a week as a bitset.
type Week = Vec<u64>;

/// Weekly coverage of a binding's windows: minutes of the week per zone
/// (`None` = any time).
fn coverage(b: &Binding) -> Option<BTreeMap<String, Week>> {
    if b.policy.windows.is_empty() {
        return None;
    }
    const MINUTES: usize = 7 * 1440;
    let mut m: BTreeMap<String, Week> = BTreeMap::new();
    for w in &b.policy.windows {
        let set = m.entry(w.zone_name.clone()).or_insert_with(|| vec![0u64; MINUTES.div_ceil(64)]);
        for d in w.days.iter() {
            let start = usize::from(d) * 1440 + usize::from(w.start);
            let end = usize::from(d) * 1440 + usize::from(w.end) + if w.is_overnight() { 1440 } else { 0 };
            for minute in start..end {
                let i = minute % MINUTES;
                set[i / 64] |= 1 << (i % 64);
            }
        }
    }
    Some(m)
}

fn subset(p: &BTreeMap<String, Week>, q: &BTreeMap<String, Week>) -> bool {
    p.iter().all(|(z, s)| q.get(z).is_some_and(|t| s.iter().zip(t).all(|(a, b)| a & !b == 0)))
}

fn window_words(b: &Binding) -> String {
    if b.policy.windows.is_empty() {
        return "any time".into();
    }
    b.policy.windows.iter().map(crate::explain::window_text).collect::<Vec<_>>().join("; ")
}

fn permissions(r: &Role) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut m: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for g in r.grants() {
        let e = m.entry(g.block.name).or_default();
        for (act, res) in g.pairs() {
            e.insert(format!("{act} {} {res}", g.block.relation));
        }
    }
    m
}

fn is_wildcard(s: &str) -> bool {
    s == "*" || s.ends_with(":*") || s.contains(" on *") || s.starts_with("* on")
}

/// Semantic changes from `base` to `head`, in a stable order.
pub fn diff(base: &Model, head: &Model) -> Vec<Change> {
    let old: BTreeMap<&str, &Binding> = base.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
    let new: BTreeMap<&str, &Binding> = head.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
    let mut out = Vec::new();
    for (name, b) in &new {
        match old.get(name) {
            None => {
                let targets: Vec<&str> = permissions(&b.role).keys().copied().collect();
                let wildcard = b.role.allow_wildcards;
                out.push(change(
                    b,
                    "all",
                    "grant_added",
                    if wildcard { Risk::High } else { Risk::Medium },
                    true,
                    format!(
                        "`{}` gets role `{}` ({}) from {} until {} ({}), {}",
                        b.subject.name,
                        b.role.name,
                        targets.join(", "),
                        b.not_before,
                        b.expires_at,
                        format_duration(b.expires_at.as_second() - b.not_before.as_second()),
                        window_words(b)
                    ),
                ));
            }
            Some(a) => compare(a, b, &mut out),
        }
    }
    for (name, a) in &old {
        if !new.contains_key(name) {
            out.push(change(
                a,
                "all",
                "grant_removed",
                Risk::Low,
                false,
                format!("`{}` loses role `{}`", a.subject.name, a.role.name),
            ));
        }
    }
    out.sort();
    out
}

fn compare(a: &Binding, b: &Binding, out: &mut Vec<Change>) {
    // Grant length and bounds.
    let (la, lb) =
        (a.expires_at.as_second() - a.not_before.as_second(), b.expires_at.as_second() - b.not_before.as_second());
    if la != lb || a.not_before != b.not_before || a.expires_at != b.expires_at {
        let widens = b.not_before < a.not_before || b.expires_at > a.expires_at;
        let kind = if lb > la {
            "grant_lengthened"
        } else if lb < la {
            "grant_shortened"
        } else {
            "grant_moved"
        };
        out.push(change(
            b,
            "all",
            kind,
            if widens { Risk::Medium } else { Risk::Low },
            widens,
            format!(
                "{} → {} to {} → {} ({} → {})",
                a.not_before,
                a.expires_at,
                b.not_before,
                b.expires_at,
                format_duration(la.max(0)),
                format_duration(lb.max(0))
            ),
        ));
    }
    // Windows (window equality ignores source positions).
    let (ca, cb) = if a.policy.windows == b.policy.windows { (None, None) } else { (coverage(a), coverage(b)) };
    if ca != cb {
        let (kind, widens) = match (&ca, &cb) {
            (Some(_), None) => ("window_widened", true),
            (None, Some(_)) => ("window_narrowed", false),
            (Some(x), Some(y)) => {
                if subset(x, y) {
                    ("window_widened", true)
                } else if subset(y, x) {
                    ("window_narrowed", false)
                } else {
                    ("window_changed", true)
                }
            }
            (None, None) => ("window_changed", false),
        };
        out.push(change(
            b,
            "all",
            kind,
            if widens { Risk::Medium } else { Risk::Low },
            widens,
            format!("{} → {}", window_words(a), window_words(b)),
        ));
    }
    // Session length.
    let (sa, sb) = (a.policy.max_session, b.policy.max_session);
    if sa != sb {
        let up = sb > sa;
        out.push(change(
            b,
            "all",
            if up { "max_session_raised" } else { "max_session_lowered" },
            if up { Risk::Medium } else { Risk::Low },
            up,
            format!("{} → {}", format_duration(sa), format_duration(sb)),
        ));
    }
    // Approval.
    match (&a.policy.approval, &b.policy.approval) {
        (Some(x), None) => out.push(change(
            b,
            "all",
            "approval_removed",
            Risk::High,
            true,
            format!("was {} of {}", x.min_approvals, x.approvers.join(", ")),
        )),
        (None, Some(y)) => out.push(change(
            b,
            "all",
            "approval_added",
            Risk::Low,
            false,
            format!("{} of {}", y.min_approvals, y.approvers.join(", ")),
        )),
        (Some(x), Some(y)) if (x.min_approvals, &x.approvers) != (y.min_approvals, &y.approvers) => {
            let weaker = y.min_approvals < x.min_approvals;
            out.push(change(
                b,
                "all",
                if weaker { "approval_weakened" } else { "approval_changed" },
                if weaker { Risk::High } else { Risk::Low },
                weaker,
                format!(
                    "{} of {} → {} of {}",
                    x.min_approvals,
                    x.approvers.join(", "),
                    y.min_approvals,
                    y.approvers.join(", ")
                ),
            ));
        }
        _ => {}
    }
    // Requirements.
    let (ra, rb) = (&a.policy.require, &b.policy.require);
    if ra.mfa && !rb.mfa {
        out.push(change(b, "all", "mfa_removed", Risk::High, true, "MFA no longer required".into()));
    } else if !ra.mfa && rb.mfa {
        out.push(change(b, "all", "mfa_added", Risk::Low, false, "MFA now required".into()));
    }
    let (cidr_a, cidr_b): (BTreeSet<_>, BTreeSet<_>) =
        (ra.source_cidrs.iter().map(|c| c.0.clone()).collect(), rb.source_cidrs.iter().map(|c| c.0.clone()).collect());
    if cidr_a != cidr_b {
        let detail = format!(
            "[{}] → [{}]",
            cidr_a.iter().cloned().collect::<Vec<_>>().join(", "),
            cidr_b.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        if !cidr_a.is_empty() && cidr_b.is_empty() {
            out.push(change(b, "all", "cidr_requirement_removed", Risk::High, true, detail));
        } else if cidr_a.is_empty() {
            out.push(change(b, "all", "cidr_requirement_added", Risk::Low, false, detail));
        } else {
            let widens = !cidr_b.is_subset(&cidr_a);
            out.push(change(
                b,
                "all",
                "cidr_requirement_changed",
                if widens { Risk::Medium } else { Risk::Low },
                widens,
                detail,
            ));
        }
    }
    if ra.principal_tags != rb.principal_tags {
        let widens = !ra.principal_tags.iter().all(|(k, v)| rb.principal_tags.get(k) == Some(v));
        out.push(change(
            b,
            "all",
            "principal_tags_changed",
            if widens { Risk::Medium } else { Risk::Low },
            widens,
            format!("{:?} → {:?}", ra.principal_tags, rb.principal_tags),
        ));
    }
    // Identities.
    for t in crate::ast::shape::SUBJECT.identity_fields() {
        let (ia, ib) = (a.subject.identity(t), b.subject.identity(t));
        if ia != ib {
            out.push(change(
                b,
                t,
                "subject_changed",
                Risk::High,
                ib.is_some(),
                format!("{} → {}", ia.unwrap_or("(none)"), ib.unwrap_or("(none)")),
            ));
        }
    }
    if a.subject.name != b.subject.name {
        out.push(change(
            b,
            "all",
            "subject_changed",
            Risk::High,
            true,
            format!("{} → {}", a.subject.name, b.subject.name),
        ));
    }
    // Permissions per target.
    let (pa, pb) = (permissions(&a.role), permissions(&b.role));
    let targets: BTreeSet<&str> = pa.keys().chain(pb.keys()).copied().collect();
    let empty = BTreeSet::new();
    for t in targets {
        let (x, y) = (pa.get(t).unwrap_or(&empty), pb.get(t).unwrap_or(&empty));
        // A permission still covered by a glob on the other side is neither
        // gained nor lost (`s3:GetObject` -> `s3:*` only adds).
        let covered = |p: &str, by: &BTreeSet<String>| by.iter().any(|g| crate::explain::resource_matches(g, p));
        let added: Vec<&String> = y.difference(x).filter(|p| !covered(p, x)).collect();
        let removed: Vec<&String> = x.difference(y).filter(|p| !covered(p, y)).collect();
        if !added.is_empty() {
            let wildcard = added.iter().any(|p| is_wildcard(p)) || (b.role.allow_wildcards && !a.role.allow_wildcards);
            out.push(change(
                b,
                t,
                if wildcard { "wildcard_introduced" } else { "permissions_added" },
                if wildcard { Risk::High } else { Risk::Medium },
                true,
                added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
            ));
        }
        if !removed.is_empty() {
            out.push(change(
                b,
                t,
                "permissions_removed",
                Risk::Low,
                false,
                removed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "),
            ));
        }
    }
    if b.role.allow_wildcards
        && !a.role.allow_wildcards
        && !out.iter().any(|c| c.binding == b.name && c.kind == "wildcard_introduced")
    {
        out.push(change(
            b,
            "all",
            "wildcard_introduced",
            Risk::High,
            true,
            format!("role `{}` now allows wildcards", b.role.name),
        ));
    }
}

/// Markdown for a pull-request comment: a summary table, then details.
pub fn markdown(changes: &[Change], base: &str, head: &str) -> String {
    let mut out = format!("## Access changes: `{base}` → `{head}`\n\n");
    if changes.is_empty() {
        out.push_str("No access changes.\n");
        return out;
    }
    let count = |r: Risk| changes.iter().filter(|c| c.risk == r).count();
    out.push_str(&format!(
        "{} change(s): {} high, {} medium, {} low risk; {} widen access.\n\n",
        changes.len(),
        count(Risk::High),
        count(Risk::Medium),
        count(Risk::Low),
        changes.iter().filter(|c| c.widens).count()
    ));
    out.push_str("| Risk | Binding | Subject | Target | Change |\n|---|---|---|---|---|\n");
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| a.risk.cmp(&b.risk).then_with(|| a.cmp(b)));
    for c in &sorted {
        out.push_str(&format!(
            "| {} | `{}` | `{}` | {} | {}{} |\n",
            c.risk.as_str(),
            c.binding,
            c.subject,
            c.target,
            c.kind.replace('_', " "),
            if c.widens { " ⬆" } else { "" }
        ));
    }
    out.push_str("\n### Details\n");
    let mut last = "";
    for c in changes {
        if c.binding != last {
            out.push_str(&format!("\n#### `{}` (subject `{}`)\n\n", c.binding, c.subject));
            last = &c.binding;
        }
        out.push_str(&format!(
            "- **{}** ({}, {} risk{}): {}\n",
            c.kind.replace('_', " "),
            c.target,
            c.risk.as_str(),
            if c.widens { ", widens" } else { "" },
            c.detail.replace('|', "\\|")
        ));
    }
    out
}
