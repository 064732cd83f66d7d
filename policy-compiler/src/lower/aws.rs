//! AWS IAM: one Allow statement per active interval, time bounds on
//! `aws:CurrentTime` as literal UTC instants (AWS allows no variables there).
//! AWS has no weekday or hour key, so windows are unrolled: `expanded`.
//! The policy must fit AWS's size limits, measured as AWS measures them.

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::active_intervals;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// AWS inline role policy limit, characters without whitespace.
pub const INLINE_LIMIT: usize = 10_240;
/// AWS managed policy limit, characters without whitespace.
pub const MANAGED_LIMIT: usize = 6_144;
pub const SESSION_MIN: i64 = 3_600;
pub const SESSION_MAX: i64 = 43_200;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    #[serde(rename = "Sid")]
    pub sid: String,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Action")]
    pub action: Arc<[String]>,
    #[serde(rename = "Resource")]
    pub resource: Arc<[String]>,
    #[serde(rename = "Condition")]
    pub condition: Condition,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    #[serde(rename = "DateGreaterThanEquals")]
    pub from: CurrentTime,
    #[serde(rename = "DateLessThan")]
    pub until: CurrentTime,
    #[serde(rename = "IpAddress", skip_serializing_if = "Option::is_none")]
    pub ip: Option<SourceIp>,
    #[serde(rename = "Bool", skip_serializing_if = "Option::is_none")]
    pub mfa: Option<Mfa>,
    #[serde(rename = "StringEquals", skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentTime {
    #[serde(rename = "aws:CurrentTime")]
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceIp {
    #[serde(rename = "aws:SourceIp")]
    pub cidrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mfa {
    #[serde(rename = "aws:MultiFactorAuthPresent")]
    pub present: &'static str,
}

/// The AWS model of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsModel {
    pub policy: PolicyDocument,
    /// The role's MaxSessionDuration, seconds (3600..43200).
    pub max_session_duration: i64,
    /// Characters of the policy, whitespace not counted (as AWS counts).
    pub size: usize,
}

/// The AWS target.
#[derive(Debug, Clone, Copy)]
pub struct Aws;

impl Lowering for Aws {
    type Model = AwsModel;
    const ROLE_BLOCK: Option<&'static str> = Some("aws");
    const IDENTITY: Option<&'static str> = Some("aws");
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::Expanded, None),
        enforces(Feature::MaxSession, How::Bounded, Some(Code::SessionNotEnforced)),
        enforces(Feature::Mfa, How::Exact, None),
        enforces(Feature::SourceCidrs, How::Exact, None),
        enforces(Feature::PrincipalTags, How::Exact, None),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<AwsModel>> {
        let b = cx.binding;
        let perms = b.role.aws.as_ref()?;
        if let Some(span) = b.policy.max_session_span.filter(|_| b.policy.max_session < SESSION_MIN) {
            cx.report(
                Code::SessionNotEnforced,
                span,
                format!(
                    "a role's MaxSessionDuration is at least 1h, so max_session {} of binding `{}` is enforced as 1h",
                    crate::resolve::values::format_duration(b.policy.max_session),
                    b.name
                ),
                "callers can still ask for shorter sessions (AssumeRole DurationSeconds, 900 s at least); raise max_session to 1h to say what AWS enforces",
            );
        }
        let intervals = active_intervals(&b.policy.windows, b.not_before, b.expires_at);
        let req = &b.policy.require;
        let actions: Arc<[String]> = perms.actions.iter().map(|(a, _)| a.clone()).collect();
        let resources: Arc<[String]> = perms.resources.iter().map(|(r, _)| r.clone()).collect();
        let ip = (!req.source_cidrs.is_empty())
            .then(|| SourceIp { cidrs: req.source_cidrs.iter().map(|c| c.0.clone()).collect() });
        let tags: BTreeMap<String, String> =
            req.principal_tags.iter().map(|(k, v)| (format!("aws:PrincipalTag/{k}"), v.clone())).collect();
        let statement = intervals
            .iter()
            .enumerate()
            .map(|(i, (from, until))| Statement {
                sid: format!("Jit{}", i + 1),
                effect: "Allow",
                action: actions.clone(),
                resource: resources.clone(),
                condition: Condition {
                    from: CurrentTime { at: from.to_string() },
                    until: CurrentTime { at: until.to_string() },
                    ip: ip.clone(),
                    mfa: req.mfa.then_some(Mfa { present: "true" }),
                    tags: tags.clone(),
                },
            })
            .collect::<Vec<_>>();
        if statement.is_empty() {
            // Never active: reported by validation (JIT055).
            return None;
        }
        let policy = PolicyDocument { version: "2012-10-17", statement };
        let size = crate::measure::json_chars_without_whitespace(&policy);
        let n = intervals.len();
        if size > INLINE_LIMIT {
            cx.report(
                Code::AwsPolicyTooLarge,
                b.expires_span,
                format!(
                    "the policy for binding `{}` has {n} interval statement(s) and {size} characters, over the {INLINE_LIMIT}-character inline policy limit",
                    b.name
                ),
                format!(
                    "each statement is about {} characters: shorten the grant (`expires_at`) to about {} intervals, use fewer windows, or fewer actions and resources",
                    size / n.max(1),
                    (INLINE_LIMIT * n / size.max(1)).max(1)
                ),
            );
            return None;
        } else if size > MANAGED_LIMIT {
            cx.report(
                Code::AwsOverManagedLimit,
                b.expires_span,
                format!("the policy has {size} characters in {n} statement(s): over the {MANAGED_LIMIT}-character managed policy limit, so attach it as an inline role policy"),
                "shorten the grant or use fewer windows to fit a managed policy",
            );
        }
        let enforcement = if b.policy.windows.is_empty() { Enforcement::Exact } else { Enforcement::Expanded };
        let max_session_duration = b.policy.max_session.clamp(SESSION_MIN, SESSION_MAX);
        Some(Lowered { model: AwsModel { policy, max_session_duration, size }, enforcement })
    }
}
