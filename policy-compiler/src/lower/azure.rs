//! Azure PIM: a `roleAssignmentScheduleRequests` body with an absolute
//! expiry (never `NoExpiration`). PIM has no recurrence, so a policy with
//! windows cannot be lowered to Azure.

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use serde::Serialize;

pub const API_VERSION: &str = "2020-10-01";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Properties {
    pub principal_id: String,
    pub role_definition_id: String,
    pub request_type: &'static str,
    pub schedule_info: ScheduleInfo,
    pub justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_info: Option<TicketInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleInfo {
    pub start_date_time: String,
    pub expiration: Expiration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Expiration {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub end_date_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketInfo {
    pub ticket_number: String,
    pub ticket_system: String,
}

/// The Azure model of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureModel {
    pub request: Request,
    /// Where to PUT the request: scope, deterministic request name, API version.
    pub url: String,
    /// The request's deterministic name (a GUID from the binding's name and bounds).
    pub name: String,
    pub scope: String,
}

/// The Azure target.
#[derive(Debug, Clone, Copy)]
pub struct Azure;

impl Lowering for Azure {
    type Model = AzureModel;
    const ROLE_BLOCK: Option<&'static str> = Some("azure");
    const IDENTITY: Option<&'static str> = Some("azure");
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::Refused, Some(Code::AzureWindows)),
        enforces(Feature::MaxSession, How::NotAtAll, Some(Code::SessionNotEnforced)),
        enforces(Feature::Mfa, How::NotAtAll, Some(Code::AzureRequirementNotEnforced)),
        enforces(Feature::SourceCidrs, How::NotAtAll, Some(Code::AzureRequirementNotEnforced)),
        enforces(Feature::PrincipalTags, How::NotAtAll, Some(Code::AzureRequirementNotEnforced)),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<AzureModel>> {
        let b = cx.binding;
        let (perms, principal) = (b.role.azure.as_ref()?, cx.identity()?);
        if let Some(w) = b.policy.windows.first() {
            cx.report(
                Code::AzureWindows,
                w.span,
                format!("policy `{}` has recurring windows, which Azure PIM schedules cannot express (binding `{}`)", b.policy.name, b.name),
                "bind this role under a policy without windows, or drop the `azure` block from the role; PIM supports one start and one end only",
            );
            return None;
        }
        if let Some(span) = b.policy.max_session_span {
            cx.report(
                Code::SessionNotEnforced,
                span,
                format!("a PIM assignment has no session length: sign-in sessions under binding `{}` follow Entra ID's token lifetimes", b.name),
                "keep max_session for the targets that enforce it, and limit sessions with Conditional Access sign-in frequency",
            );
        }
        let req = &b.policy.require;
        if !req.is_empty() {
            cx.report(
                Code::AzureRequirementNotEnforced,
                req.span.unwrap_or(b.policy.span),
                "a PIM assignment request carries no MFA, source network or tag condition; Azure will not enforce them",
                "enforce them with Conditional Access or PIM role settings (require MFA on activation)",
            );
        }
        let request_name = request_guid(&b.name, &b.not_before.to_string(), &b.expires_at.to_string());
        let url = format!(
            "{}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{request_name}?api-version={API_VERSION}",
            perms.scope.trim_end_matches('/')
        );
        let request = Request {
            properties: Properties {
                principal_id: principal.to_string(),
                role_definition_id: perms.role_definition_id.clone(),
                request_type: "AdminAssign",
                schedule_info: ScheduleInfo {
                    start_date_time: b.not_before.to_string(),
                    expiration: Expiration { kind: "AfterDateTime", end_date_time: b.expires_at.to_string() },
                },
                justification: b.justification.clone().unwrap_or_else(|| format!("jit binding {}", b.name)),
                ticket_info: b
                    .ticket
                    .as_ref()
                    .map(|t| TicketInfo { ticket_number: t.clone(), ticket_system: "jit".into() }),
            },
        };
        let model = AzureModel { request, url, name: request_name, scope: perms.scope.clone() };
        Some(Lowered { model, enforcement: Enforcement::Exact })
    }
}

/// A GUID derived from the binding's name and bounds, so the same binding
/// always PUTs to the same request name.
fn request_guid(name: &str, from: &str, until: &str) -> String {
    let h = crate::measure::sha256(format!("{name}\n{from}\n{until}").as_bytes());
    let x = h.trim_start_matches("sha256:");
    format!("{}-{}-4{}-8{}-{}", &x[0..8], &x[8..12], &x[13..16], &x[17..20], &x[20..32])
}
