//! The neutral broker rule (`schemas/broker-rule.v1.schema.json`): the whole
//! grant, windows and zones included, for a broker or gateway that decides
//! at request time. Its digest is the SHA-256 of the rule without the
//! digest, rendered compactly, and serves as the binding's content digest.

use super::{Cx, Enforcement, Lowered, Lowering};
use crate::ir::Binding;
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: &str = "jit.broker-rule/v1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub schema: &'static str,
    pub binding: String,
    pub role: String,
    pub policy: String,
    pub subject: Subject,
    pub permissions: Permissions,
    pub not_before: String,
    pub expires_at: String,
    pub windows: Vec<Window>,
    pub max_session_seconds: i64,
    pub requirements: Requirements,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    pub kind: &'static str,
    pub name: String,
    pub identities: BTreeMap<&'static str, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsPermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp: Option<GcpPermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<AzurePermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openbao: Option<Vec<PathPermission>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AwsPermissions {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcpPermissions {
    pub role: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AzurePermissions {
    pub role_definition_id: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathPermission {
    pub path: String,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// Days the window starts on, `sun`..`sat`.
    pub days: Vec<&'static str>,
    pub start: String,
    pub end: String,
    pub timezone: String,
    pub overnight: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirements {
    pub mfa: bool,
    pub source_cidrs: Vec<String>,
    pub principal_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub approvers: Vec<String>,
    pub min_approvals: u32,
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The broker target: every binding has a rule.
#[derive(Debug, Clone, Copy)]
pub struct Broker;

impl Lowering for Broker {
    type Model = Rule;
    const ROLE_BLOCK: Option<&'static str> = None;
    const IDENTITY: Option<&'static str> = None;

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<Rule>> {
        let model = cx.rule.take().unwrap_or_else(|| rule(cx.binding));
        Some(Lowered { model, enforcement: Enforcement::Exact })
    }
}

/// The rule of a binding, with its digest.
pub(super) fn rule(b: &Binding) -> Rule {
    let s = &b.subject;
    let identities = s.identities.clone();
    let role = &b.role;
    let mut rule = Rule {
        schema: SCHEMA,
        binding: b.name.clone(),
        role: role.name.clone(),
        policy: b.policy.name.clone(),
        subject: Subject { kind: s.kind.as_str(), name: s.name.clone(), identities },
        permissions: Permissions {
            aws: role.aws.as_ref().map(|a| AwsPermissions {
                actions: a.actions.iter().map(|x| x.0.clone()).collect(),
                resources: a.resources.iter().map(|x| x.0.clone()).collect(),
            }),
            gcp: role.gcp.as_ref().map(|g| GcpPermissions { role: g.role.clone(), resource: g.resource.clone() }),
            azure: role
                .azure
                .as_ref()
                .map(|a| AzurePermissions { role_definition_id: a.role_definition_id.clone(), scope: a.scope.clone() }),
            openbao: role.openbao.as_ref().map(|rules| {
                rules
                    .iter()
                    .map(|r| PathPermission { path: r.path.clone(), capabilities: r.capabilities.clone() })
                    .collect()
            }),
        },
        not_before: b.not_before.to_string(),
        expires_at: b.expires_at.to_string(),
        windows: b
            .policy
            .windows
            .iter()
            .map(|w| Window {
                days: w.days.iter().map(|d| crate::ast::shape::DAYS[d as usize]).collect(),
                start: hhmm(w.start),
                end: hhmm(w.end),
                timezone: w.zone_name.clone(),
                overnight: w.is_overnight(),
            })
            .collect(),
        max_session_seconds: b.policy.max_session,
        requirements: Requirements {
            mfa: b.policy.require.mfa,
            source_cidrs: b.policy.require.source_cidrs.iter().map(|c| c.0.clone()).collect(),
            principal_tags: b.policy.require.principal_tags.clone(),
        },
        approval: b
            .policy
            .approval
            .as_ref()
            .map(|a| Approval { approvers: a.approvers.clone(), min_approvals: a.min_approvals }),
        justification: b.justification.clone(),
        ticket: b.ticket.clone(),
        digest: String::new(),
    };
    rule.digest = crate::measure::json_digest(&rule);
    rule
}
