//! The access diff between two compilations: who gains or loses what,
//! where, when and for how long. Bindings are matched by name, so renaming
//! or moving a file changes nothing.
//!
//! Each change has a [`Kind`], the target it concerns (none for time,
//! approval and requirements, which apply to every target), a [`Risk`] and
//! whether it widens access. One function per aspect of a binding compares
//! it: bounds, windows, session, approval, requirements, identities and
//! permissions.

use crate::ast::shape;
use crate::ir::{self, Binding, Model, Part, Role};
use crate::resolve::values::format_duration;
use crate::target::Target;
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
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

macro_rules! kinds {
    ($($variant:ident = $name:literal,)*) => {
        /// What changed. The names are a public contract (`jitc diff --format json`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind { $($variant,)* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$variant => $name,)* }
            }
        }
    };
}

kinds! {
    GrantAdded = "grant_added",
    GrantRemoved = "grant_removed",
    GrantLengthened = "grant_lengthened",
    GrantShortened = "grant_shortened",
    GrantMoved = "grant_moved",
    WindowWidened = "window_widened",
    WindowNarrowed = "window_narrowed",
    WindowChanged = "window_changed",
    MaxSessionRaised = "max_session_raised",
    MaxSessionLowered = "max_session_lowered",
    ApprovalAdded = "approval_added",
    ApprovalRemoved = "approval_removed",
    ApprovalWeakened = "approval_weakened",
    ApprovalChanged = "approval_changed",
    ApproverGroupChanged = "approver_group_changed",
    MfaAdded = "mfa_added",
    MfaRemoved = "mfa_removed",
    CidrRequirementAdded = "cidr_requirement_added",
    CidrRequirementRemoved = "cidr_requirement_removed",
    CidrRequirementChanged = "cidr_requirement_changed",
    PrincipalTagsChanged = "principal_tags_changed",
    SubjectChanged = "subject_changed",
    PermissionsAdded = "permissions_added",
    PermissionsRemoved = "permissions_removed",
    WildcardIntroduced = "wildcard_introduced",
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One semantic change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub binding: String,
    pub subject: String,
    /// The target concerned; `None` (`"all"`) for what applies to every
    /// target: the grant's time, session, approval and requirements.
    #[serde(serialize_with = "scope")]
    pub target: Option<Target>,
    pub kind: Kind,
    pub risk: Risk,
    pub widens: bool,
    pub detail: String,
}

fn scope<S: Serializer>(t: &Option<Target>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(scope_str(*t))
}

fn scope_str(t: Option<Target>) -> &'static str {
    t.map(Target::as_str).unwrap_or("all")
}

impl Change {
    /// The order changes are listed in: binding, subject, then target and
    /// kind by name.
    fn key(&self) -> (&str, &str, &str, &str, Risk, bool, &str) {
        (&self.binding, &self.subject, scope_str(self.target), self.kind.as_str(), self.risk, self.widens, &self.detail)
    }
}

impl PartialOrd for Change {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Change {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// The changes of one binding, as its aspects are compared.
struct Changes<'a> {
    b: &'a Binding,
    out: Vec<Change>,
}

impl Changes<'_> {
    /// Record a change; its risk is `widen` when it widens access, else low.
    fn push(&mut self, target: Option<Target>, kind: Kind, widens: bool, widen: Risk, detail: String) {
        self.record(target, kind, if widens { widen } else { Risk::Low }, widens, detail);
    }

    fn record(&mut self, target: Option<Target>, kind: Kind, risk: Risk, widens: bool, detail: String) {
        self.out.push(Change {
            binding: self.b.name.clone(),
            subject: self.b.subject.name.clone(),
            target,
            kind,
            risk,
            widens,
            detail,
        });
    }
}

/// Semantic changes from `base` to `head`, in a stable order.
pub fn diff(base: &Model, head: &Model) -> Vec<Change> {
    let old: BTreeMap<&str, &Binding> = base.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
    let new: BTreeMap<&str, &Binding> = head.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
    let mut out = Vec::new();
    // Bindings equal in every field (spans included) under the same groups
    // have nothing to compare: reading a long history, most are.
    let same_groups = base.groups == head.groups;
    for (name, b) in &new {
        let mut c = Changes { b, out: Vec::new() };
        match old.get(name) {
            None => added(&mut c),
            Some(a) if same_groups && a == b => {}
            Some(a) => {
                bounds(a, &mut c);
                windows(a, &mut c);
                session(a, &mut c);
                approval(a, &mut c);
                approver_groups(base, head, &mut c);
                requirements(a, &mut c);
                identities(a, &mut c);
                permissions(&a.role, &mut c);
            }
        }
        out.extend(c.out);
    }
    for (name, a) in &old {
        if !new.contains_key(name) {
            let mut c = Changes { b: a, out: Vec::new() };
            let detail = format!("`{}` loses role `{}`", a.subject.name, a.role.name);
            c.push(None, Kind::GrantRemoved, false, Risk::Low, detail);
            out.extend(c.out);
        }
    }
    out.sort();
    out
}

fn length(b: &Binding) -> i64 {
    b.expires_at.as_second() - b.not_before.as_second()
}

/// A new binding: everything it grants is new.
fn added(c: &mut Changes<'_>) {
    let b = c.b;
    let blocks: BTreeSet<&str> = b.role.grants().iter().map(|g| g.block.name).collect();
    let detail = format!(
        "`{}` gets role `{}` ({}) from {} until {} ({}), {}",
        b.subject.name,
        b.role.name,
        blocks.into_iter().collect::<Vec<_>>().join(", "),
        b.not_before,
        b.expires_at,
        format_duration(length(b)),
        window_words(b)
    );
    let risk = if b.role.allow_wildcards { Risk::High } else { Risk::Medium };
    c.push(None, Kind::GrantAdded, true, risk, detail);
}

/// The grant's bounds: earlier start or later end widens.
fn bounds(a: &Binding, c: &mut Changes<'_>) {
    let b = c.b;
    let (la, lb) = (length(a), length(b));
    if la == lb && a.not_before == b.not_before && a.expires_at == b.expires_at {
        return;
    }
    let kind = match lb.cmp(&la) {
        Ordering::Greater => Kind::GrantLengthened,
        Ordering::Less => Kind::GrantShortened,
        Ordering::Equal => Kind::GrantMoved,
    };
    let widens = b.not_before < a.not_before || b.expires_at > a.expires_at;
    let detail = format!(
        "{} → {} to {} → {} ({} → {})",
        a.not_before,
        a.expires_at,
        b.not_before,
        b.expires_at,
        format_duration(la.max(0)),
        format_duration(lb.max(0))
    );
    c.push(None, kind, widens, Risk::Medium, detail);
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
        let set = m.entry(w.zone_name.to_string()).or_insert_with(|| vec![0u64; MINUTES.div_ceil(64)]);
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

/// The weekly windows: more minutes of the week widens; windows moved to
/// other minutes both widen and narrow, and count as widening.
fn windows(a: &Binding, c: &mut Changes<'_>) {
    let b = c.b;
    // Window equality ignores source positions.
    if a.policy.windows == b.policy.windows {
        return;
    }
    let (ca, cb) = (coverage(a), coverage(b));
    let (kind, widens) = match (&ca, &cb) {
        _ if ca == cb => return,
        (Some(_), None) => (Kind::WindowWidened, true),
        (None, Some(_)) => (Kind::WindowNarrowed, false),
        (Some(x), Some(y)) if subset(x, y) => (Kind::WindowWidened, true),
        (Some(x), Some(y)) if subset(y, x) => (Kind::WindowNarrowed, false),
        _ => (Kind::WindowChanged, true),
    };
    c.push(None, kind, widens, Risk::Medium, format!("{} → {}", window_words(a), window_words(b)));
}

/// Session length: longer widens.
fn session(a: &Binding, c: &mut Changes<'_>) {
    let (sa, sb) = (a.policy.max_session, c.b.policy.max_session);
    if sa == sb {
        return;
    }
    let up = sb > sa;
    let kind = if up { Kind::MaxSessionRaised } else { Kind::MaxSessionLowered };
    c.push(None, kind, up, Risk::Medium, format!("{} → {}", format_duration(sa), format_duration(sb)));
}

/// Approval: removing it, lowering the quorum or naming a new approver
/// widens (high risk).
fn approval(a: &Binding, c: &mut Changes<'_>) {
    let words = |x: &ir::Approval| format!("{} of {}", x.min_approvals, x.approvers.join(", "));
    match (&a.policy.approval, &c.b.policy.approval) {
        (Some(x), None) => c.push(None, Kind::ApprovalRemoved, true, Risk::High, format!("was {}", words(x))),
        (None, Some(y)) => c.push(None, Kind::ApprovalAdded, false, Risk::Low, words(y)),
        (Some(x), Some(y)) if (x.min_approvals, &x.approvers) != (y.min_approvals, &y.approvers) => {
            let weaker = y.min_approvals < x.min_approvals;
            // A new approver is new approval power, as a group member added is.
            let gains = y.approvers.iter().any(|a| !x.approvers.iter().any(|o| o.eq_ignore_ascii_case(a)));
            let kind = if weaker { Kind::ApprovalWeakened } else { Kind::ApprovalChanged };
            c.push(None, kind, weaker || gains, Risk::High, format!("{} → {}", words(x), words(y)));
        }
        _ => {}
    }
}

/// Approver groups the binding's policy names: a member added widens who
/// may approve (high risk, as a weakened approval); members removed narrow it.
fn approver_groups(base: &Model, head: &Model, c: &mut Changes<'_>) {
    let Some(approval) = &c.b.policy.approval else { return };
    let members = |m: &Model, g: &str| m.groups.get(g).map(|g| g.logins()).unwrap_or_default();
    for g in approval.approvers.iter().filter_map(|a| a.strip_prefix("group:")) {
        let (old, new) = (members(base, g), members(head, g));
        let added: Vec<&String> = new.difference(&old).collect();
        let removed: Vec<&String> = old.difference(&new).collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        let detail = match (added.is_empty(), removed.is_empty()) {
            (false, true) => format!("group:{g} gains {}", list(&added)),
            (true, false) => format!("group:{g} loses {}", list(&removed)),
            _ => format!("group:{g} gains {}, loses {}", list(&added), list(&removed)),
        };
        c.push(None, Kind::ApproverGroupChanged, !added.is_empty(), Risk::High, detail);
    }
}

/// Request conditions: dropping one widens (high risk); a changed network
/// list or tag set widens when it admits what was refused.
fn requirements(a: &Binding, c: &mut Changes<'_>) {
    let (ra, rb) = (&a.policy.require, &c.b.policy.require);
    if ra.mfa && !rb.mfa {
        c.push(None, Kind::MfaRemoved, true, Risk::High, "MFA no longer required".into());
    } else if !ra.mfa && rb.mfa {
        c.push(None, Kind::MfaAdded, false, Risk::Low, "MFA now required".into());
    }
    let cidrs = |r: &ir::Requirements| r.source_cidrs.iter().map(|c| c.0.clone()).collect::<BTreeSet<_>>();
    let (cidr_a, cidr_b) = (cidrs(ra), cidrs(rb));
    if cidr_a != cidr_b {
        let list = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
        let detail = format!("[{}] → [{}]", list(&cidr_a), list(&cidr_b));
        if cidr_b.is_empty() {
            c.push(None, Kind::CidrRequirementRemoved, true, Risk::High, detail);
        } else if cidr_a.is_empty() {
            c.push(None, Kind::CidrRequirementAdded, false, Risk::Low, detail);
        } else {
            let widens = !cidr_b.is_subset(&cidr_a);
            c.push(None, Kind::CidrRequirementChanged, widens, Risk::Medium, detail);
        }
    }
    if ra.principal_tags != rb.principal_tags {
        let widens = !ra.principal_tags.iter().all(|(k, v)| rb.principal_tags.get(k) == Some(v));
        let detail = format!("{:?} → {:?}", ra.principal_tags, rb.principal_tags);
        c.push(None, Kind::PrincipalTagsChanged, widens, Risk::Medium, detail);
    }
}

/// Who holds the grant: any other identity is a change of subject, high
/// risk even when only removed; it widens unless the identity was removed.
fn identities(a: &Binding, c: &mut Changes<'_>) {
    let b = c.b;
    for field in shape::SUBJECT.identity_fields() {
        let (ia, ib) = (a.subject.identity(field), b.subject.identity(field));
        if ia != ib {
            let detail = format!("{} → {}", ia.unwrap_or("(none)"), ib.unwrap_or("(none)"));
            c.record(Target::of_identity(field), Kind::SubjectChanged, Risk::High, ib.is_some(), detail);
        }
    }
    if a.subject.name != b.subject.name {
        let detail = format!("{} → {}", a.subject.name, b.subject.name);
        c.push(None, Kind::SubjectChanged, true, Risk::High, detail);
    }
}

/// (action, resource) pairs a role grants, per role block.
type Pairs<'a> = BTreeMap<&'static str, (&'static ir::Block, BTreeSet<(&'a str, &'a str)>)>;

fn pairs(r: &Role) -> Pairs<'_> {
    let mut m: Pairs<'_> = BTreeMap::new();
    for g in r.grants() {
        m.entry(g.block.name).or_insert_with(|| (g.block, BTreeSet::new())).1.extend(g.pairs());
    }
    m
}

/// Whether a pair is covered by a glob of another side (`s3:GetObject` by
/// `s3:*`), so replacing it by the glob only adds.
fn covered((act, res): (&str, &str), by: &BTreeSet<(&str, &str)>) -> bool {
    by.iter().any(|(a, r)| crate::explain::resource_matches(a, act) && crate::explain::resource_matches(r, res))
}

/// Permissions, per role block and so per target: pairs gained widen
/// (high risk when one is a wildcard, by the rule validation applies),
/// pairs lost narrow.
fn permissions(base: &Role, c: &mut Changes<'_>) {
    let role = &c.b.role;
    let (pa, pb) = (pairs(base), pairs(role));
    let empty = BTreeSet::new();
    let blocks: BTreeSet<&str> = pa.keys().chain(pb.keys()).copied().collect();
    let mut wildcard_reported = false;
    for name in blocks {
        let Some(block) = pa.get(name).or(pb.get(name)).map(|(b, _)| *b) else { continue };
        let x = pa.get(name).map(|(_, s)| s).unwrap_or(&empty);
        let y = pb.get(name).map(|(_, s)| s).unwrap_or(&empty);
        let target = Target::of_role_block(name);
        let words = |v: &[&(&str, &str)]| {
            v.iter().map(|(a, r)| format!("{a} {} {r}", block.relation)).collect::<Vec<_>>().join("; ")
        };
        let gained: Vec<&(&str, &str)> = y.difference(x).filter(|p| !covered(**p, x)).collect();
        let lost: Vec<&(&str, &str)> = x.difference(y).filter(|p| !covered(**p, y)).collect();
        if !gained.is_empty() {
            let wildcard = gained
                .iter()
                .any(|(a, r)| ir::is_wildcard(block, Part::Action, a) || ir::is_wildcard(block, Part::Resource, r))
                || (role.allow_wildcards && !base.allow_wildcards);
            wildcard_reported |= wildcard;
            let kind = if wildcard { Kind::WildcardIntroduced } else { Kind::PermissionsAdded };
            c.push(target, kind, true, if wildcard { Risk::High } else { Risk::Medium }, words(&gained));
        }
        if !lost.is_empty() {
            c.push(target, Kind::PermissionsRemoved, false, Risk::Low, words(&lost));
        }
    }
    if role.allow_wildcards && !base.allow_wildcards && !wildcard_reported {
        let detail = format!("role `{}` now allows wildcards", role.name);
        c.push(None, Kind::WildcardIntroduced, true, Risk::High, detail);
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
            scope_str(c.target),
            c.kind.as_str().replace('_', " "),
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
            c.kind.as_str().replace('_', " "),
            scope_str(c.target),
            c.risk.as_str(),
            if c.widens { ", widens" } else { "" },
            c.detail.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap, Syntax};

    fn model(role: &str) -> Model {
        let text = format!(
            "version = \"jit/v1\"\n{role}\npolicy \"p\" {{\n  max_session = \"1h\"\n}}\nbinding \"b\" {{\n  role   = \"r\"\n  policy = \"p\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws  = \"arn:aws:iam::123456789012:role/w\"\n  }}\n  not_before = \"2027-01-04T00:00:00Z\"\n  expires_at = \"2027-01-11T00:00:00Z\"\n}}\n"
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("d.hcl", Syntax::Hcl, text));
        let c = crate::analyze(sources);
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        c.model
    }

    fn aws_role(actions: &str, wildcards: bool) -> String {
        format!(
            "role \"r\" {{\n  allow_wildcards = {wildcards}\n  aws {{\n    actions   = {actions}\n    resources = [\"arn:aws:ec2:eu-west-1:123456789012:instance/*\"]\n  }}\n}}"
        )
    }

    /// A member added to a group the policy names widens approval power;
    /// one removed narrows it.
    #[test]
    fn group_membership_changes_are_changes_of_approval_power() {
        let doc = |members: &str| {
            let text = format!(
                "version = \"jit/v1\"\ngroup \"leads\" {{\n  members = [{members}]\n}}\n{}\npolicy \"p\" {{\n  approval {{\n    approvers = [\"group:leads\"]\n  }}\n}}\nbinding \"b\" {{\n  role   = \"r\"\n  policy = \"p\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws  = \"arn:aws:iam::123456789012:role/w\"\n  }}\n  not_before = \"2027-01-04T00:00:00Z\"\n  expires_at = \"2027-01-11T00:00:00Z\"\n}}\n",
                aws_role(r#"["ec2:DescribeInstances"]"#, false)
            );
            let mut sources = SourceMap::new();
            sources.add(SourceFile::new("d.hcl", Syntax::Hcl, text));
            let c = crate::analyze(sources);
            assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
            c.model
        };
        let (one, two) = (doc(r#""user:alice""#), doc(r#""user:alice", "user:Mallory""#));
        let widened = diff(&one, &two);
        assert_eq!(kinds(&widened), [("approver_group_changed", "all", Risk::High, true)]);
        assert_eq!(widened[0].detail, "group:leads gains user:mallory");
        let narrowed = diff(&two, &one);
        assert_eq!(kinds(&narrowed), [("approver_group_changed", "all", Risk::Low, false)]);
        assert!(diff(&two, &two).is_empty());
    }

    fn kinds(changes: &[Change]) -> Vec<(&'static str, &'static str, Risk, bool)> {
        changes.iter().map(|c| (c.kind.as_str(), scope_str(c.target), c.risk, c.widens)).collect()
    }

    #[test]
    fn a_service_wide_action_added_under_allow_wildcards_is_a_wildcard() {
        // The role already allows wildcards: adding `ec2:*` is still a
        // wildcard, by the same rule validation applies.
        let base = model(&aws_role(r#"["ec2:DescribeInstances"]"#, true));
        let head = model(&aws_role(r#"["ec2:DescribeInstances", "ec2:*"]"#, true));
        let changes = diff(&base, &head);
        assert_eq!(kinds(&changes), vec![("wildcard_introduced", "aws", Risk::High, true)], "{changes:#?}");
        assert!(changes[0].detail.contains("ec2:* on arn:aws:ec2:"), "{}", changes[0].detail);
    }

    #[test]
    fn a_narrow_action_is_permissions_added_and_a_covered_one_nothing() {
        let base = model(&aws_role(r#"["ec2:DescribeInstances"]"#, false));
        let head = model(&aws_role(r#"["ec2:DescribeInstances", "ec2:StartInstances"]"#, false));
        assert_eq!(kinds(&diff(&base, &head)), vec![("permissions_added", "aws", Risk::Medium, true)]);
        // `ec2:Describe*` covers what it replaces: only the gain is reported.
        let head = model(&aws_role(r#"["ec2:Describe*"]"#, false));
        assert_eq!(kinds(&diff(&base, &head)), vec![("permissions_added", "aws", Risk::Medium, true)]);
        assert_eq!(kinds(&diff(&head, &base)), vec![("permissions_removed", "aws", Risk::Low, false)]);
    }

    #[test]
    fn allowing_wildcards_alone_is_reported_once() {
        let base = model(&aws_role(r#"["ec2:DescribeInstances"]"#, false));
        let head = model(&aws_role(r#"["ec2:DescribeInstances"]"#, true));
        assert_eq!(kinds(&diff(&base, &head)), vec![("wildcard_introduced", "all", Risk::High, true)]);
    }

    fn http_role(paths: &str, wildcards: bool) -> String {
        format!(
            "role \"r\" {{\n  allow_wildcards = {wildcards}\n  aws {{\n    actions   = [\"s3:GetObject\"]\n    resources = [\"arn:aws:s3:::b/*\"]\n  }}\n  http {{\n    service = \"reports-api\"\n    methods = [\"GET\"]\n    paths   = {paths}\n  }}\n}}"
        )
    }

    #[test]
    fn mesh_paths_are_permissions_of_the_rego_target() {
        let base = model(&http_role(r#"["/v1/reports"]"#, false));
        let head = model(&http_role(r#"["/v1/reports", "/v1/exports/*"]"#, false));
        let changes = diff(&base, &head);
        assert_eq!(kinds(&changes), vec![("permissions_added", "rego", Risk::Medium, true)], "{changes:#?}");
        assert!(changes[0].detail.contains("GET on reports-api/v1/exports/*"), "{}", changes[0].detail);
        // A prefix covering what it replaces: only the gain.
        let head = model(&http_role(r#"["/v1/*"]"#, false));
        assert_eq!(kinds(&diff(&head, &base)), vec![("permissions_removed", "rego", Risk::Low, false)]);
        // Every path of the service is a wildcard.
        let head = model(&http_role(r#"["/*"]"#, true));
        let kinds_of = kinds(&diff(&base, &head));
        assert!(kinds_of.contains(&("wildcard_introduced", "rego", Risk::High, true)), "{kinds_of:?}");
    }

    #[test]
    fn kind_names_are_unique_snake_case() {
        let names: BTreeSet<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), Kind::ALL.len());
        assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }
}
