//! GCP IAM Conditions: one conditional binding with a CEL expression on
//! `request.time`. Windows use `getDayOfWeek(tz)` (0 = Sunday),
//! `getHours(tz)` and `getMinutes(tz)`, so time is `exact`. GCP allows at
//! most 12 logical operators per condition.

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::{Binding, Window};
use jiff::Timestamp;
use std::sync::Arc;

pub const MAX_LOGICAL_OPERATORS: usize = 12;
/// Conditional role bindings need IAM policy version 3.
pub const POLICY_VERSION: u32 = 3;

/// A CEL expression tree of the subset we emit (rendered by `render::gcp`).
#[derive(Debug, Clone, PartialEq)]
pub enum Cel {
    And(Vec<Cel>),
    Or(Vec<Cel>),
    /// `lhs op rhs`.
    Cmp(Term, Op, Term),
    /// `lhs in [a, b, ...]`.
    In(Term, Vec<u8>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Lt,
}

/// An operand: the request time, a part of it in a time zone (IANA name),
/// or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// `request.time`
    RequestTime,
    /// `timestamp("...")`
    Timestamp(Timestamp),
    /// `request.time.getDayOfWeek(tz)`, 0 = Sunday.
    DayOfWeek(Arc<str>),
    /// `request.time.getHours(tz)`
    Hours(Arc<str>),
    /// `request.time.getHours(tz) * 60 + request.time.getMinutes(tz)`
    MinuteOfDay(Arc<str>),
    Int(u16),
}

impl Cel {
    /// `&&` and `||` in the rendered expression (`in` does not count).
    pub fn logical_operators(&self) -> usize {
        match self {
            Cel::And(v) | Cel::Or(v) => v.len().saturating_sub(1) + v.iter().map(Cel::logical_operators).sum::<usize>(),
            Cel::Cmp(..) | Cel::In(..) => 0,
        }
    }
}

/// The IAM condition: a title, a description and the CEL expression as a
/// tree (rendered to text by `render::gcp`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub title: String,
    pub description: String,
    pub expression: Cel,
}

/// The GCP model of one binding: a conditional IAM binding.
#[derive(Debug, Clone, PartialEq)]
pub struct GcpModel {
    pub role: String,
    pub members: Vec<String>,
    pub condition: Condition,
    /// The resource whose IAM policy receives the binding.
    pub resource: String,
    pub logical_operators: usize,
}

const BASIC_ROLES: &[&str] = &["roles/owner", "roles/editor", "roles/viewer"];

/// The GCP target.
#[derive(Debug, Clone, Copy)]
pub struct Gcp;

impl Lowering for Gcp {
    type Model = GcpModel;
    const ROLE_BLOCK: Option<&'static str> = Some("gcp");
    const IDENTITY: Option<&'static str> = Some("gcp");
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::Exact, None),
        enforces(Feature::MaxSession, How::NotAtAll, Some(Code::SessionNotEnforced)),
        enforces(Feature::Mfa, How::NotAtAll, Some(Code::GcpRequirementNotEnforced)),
        enforces(Feature::SourceCidrs, How::NotAtAll, Some(Code::GcpRequirementNotEnforced)),
        enforces(Feature::PrincipalTags, How::NotAtAll, Some(Code::GcpRequirementNotEnforced)),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<GcpModel>> {
        let b = cx.binding;
        let (perms, member) = (b.role.gcp.as_ref()?, cx.identity()?);
        let mut ok = true;
        if BASIC_ROLES.contains(&perms.role.as_str()) {
            cx.report(
                Code::GcpBasicRole,
                perms.span,
                format!("basic role `{}` cannot carry an IAM condition", perms.role),
                "use a predefined or custom role (e.g. `roles/cloudsql.client`); GCP rejects conditions on owner, editor and viewer",
            );
            ok = false;
        }
        if matches!(member, "allUsers" | "allAuthenticatedUsers") {
            cx.report(
                Code::GcpPublicMember,
                b.subject.span,
                format!("`{member}` cannot be granted a conditional binding"),
                "bind a user, group or service account",
            );
            ok = false;
        }
        let req = &b.policy.require;
        let mut dropped = Vec::new();
        if req.mfa {
            dropped.push("mfa");
        }
        if !req.source_cidrs.is_empty() {
            dropped.push("source_cidrs");
        }
        if !req.principal_tags.is_empty() {
            dropped.push("principal_tags");
        }
        if !dropped.is_empty() {
            cx.report(
                Code::GcpRequirementNotEnforced,
                req.span.unwrap_or(b.policy.span),
                format!(
                    "IAM Conditions have no attribute for {}; GCP will not enforce {}",
                    dropped.join(", "),
                    if dropped.len() == 1 { "it" } else { "them" }
                ),
                "enforce these through the broker rule, an access level (BeyondCorp / VPC Service Controls) or an organisation policy",
            );
        }
        if let Some(span) = b.policy.max_session_span {
            cx.report(
                Code::SessionNotEnforced,
                span,
                format!("IAM Conditions carry no session length: credentials under binding `{}` follow GCP's own lifetimes (access tokens 1h by default, up to 12h where an organisation allows it)", b.name),
                "keep max_session for the targets that enforce it, and limit token lifetimes in GCP (constraints/iam.allowServiceAccountCredentialLifetimeExtension)",
            );
        }
        let cel = expression(b);
        let ops = cel.logical_operators();
        if ops > MAX_LOGICAL_OPERATORS {
            cx.report(
                Code::GcpTooManyOperators,
                b.policy.windows.first().map(|w| w.span).unwrap_or(b.span),
                format!("the condition for binding `{}` has {ops} logical operators; GCP allows at most {MAX_LOGICAL_OPERATORS}", b.name),
                "use fewer windows (merge windows with the same hours into one with more days; each window costs 2, an overnight one 4, plus 1 to join it), or windows that do not cross midnight",
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        let mut title = format!("jit {}", b.name);
        title.truncate(100);
        let mut description = format!(
            "jit/v1 binding {}: role {} under policy {}, {} to {}",
            b.name, b.role.name, b.policy.name, b.not_before, b.expires_at
        );
        description.truncate(256);
        let model = GcpModel {
            role: perms.role.clone(),
            members: vec![member.to_string()],
            condition: Condition { title, description, expression: cel },
            resource: perms.resource.clone(),
            logical_operators: ops,
        };
        Some(Lowered { model, enforcement: Enforcement::Exact })
    }
}

/// The condition of a binding: the grant bounds, then any window.
pub fn expression(b: &Binding) -> Cel {
    let mut all = vec![
        Cel::Cmp(Term::RequestTime, Op::Ge, Term::Timestamp(b.not_before)),
        Cel::Cmp(Term::RequestTime, Op::Lt, Term::Timestamp(b.expires_at)),
    ];
    let windows: Vec<Cel> = b.policy.windows.iter().map(window).collect();
    match windows.len() {
        0 => {}
        1 => all.extend(windows),
        _ => all.push(Cel::Or(windows)),
    }
    flatten_and(Cel::And(all))
}

fn flatten_and(c: Cel) -> Cel {
    match c {
        Cel::And(items) => Cel::And(
            items
                .into_iter()
                .flat_map(|i| match flatten_and(i) {
                    Cel::And(inner) => inner,
                    other => vec![other],
                })
                .collect(),
        ),
        other => other,
    }
}

/// `local minute-of-day op minute`, using hours alone on whole hours.
fn clock(tz: &Arc<str>, op: Op, minute: u16) -> Cel {
    if minute % 60 == 0 {
        Cel::Cmp(Term::Hours(tz.clone()), op, Term::Int(minute / 60))
    } else {
        Cel::Cmp(Term::MinuteOfDay(tz.clone()), op, Term::Int(minute))
    }
}

fn window(w: &Window) -> Cel {
    let tz = &w.zone_name;
    let days = |set: crate::ir::DaySet| -> Option<Cel> {
        (!set.is_all()).then(|| Cel::In(Term::DayOfWeek(tz.clone()), set.iter().collect()))
    };
    if w.is_overnight() {
        let evening = Cel::And(days(w.days).into_iter().chain([clock(tz, Op::Ge, w.start)]).collect());
        if w.end == 0 {
            // Until midnight: nothing of the window falls on the next day.
            return single(evening);
        }
        let morning = Cel::And(days(w.days.next_days()).into_iter().chain([clock(tz, Op::Lt, w.end)]).collect());
        Cel::Or(vec![single(evening), single(morning)])
    } else {
        let mut parts: Vec<Cel> = days(w.days).into_iter().collect();
        if w.start > 0 {
            parts.push(clock(tz, Op::Ge, w.start));
        }
        parts.push(clock(tz, Op::Lt, w.end));
        single(Cel::And(parts))
    }
}

/// Unwrap a one-element conjunction.
fn single(c: Cel) -> Cel {
    match c {
        Cel::And(mut v) if v.len() == 1 => v.remove(0),
        other => other,
    }
}
