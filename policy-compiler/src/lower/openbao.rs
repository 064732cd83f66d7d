//! OpenBao / Vault: an ACL policy and an AppRole role named
//! `<prefix><binding>`. ACLs have no clock: the provider creates the objects
//! while the binding is active and removes them after (`convergence`).

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::PathRule;
use serde::{Deserialize, Serialize};

/// The prefix of the objects' names unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "jit-";

/// The name of a binding's ACL policy and AppRole role.
pub fn object_name(prefix: &str, binding: &str) -> String {
    format!("{prefix}{binding}")
}

/// AppRole role parameters under OpenBao's own API names: what is POSTed to
/// `auth/<mount>/role/<name>`, and what is read back from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AppRole {
    pub token_policies: Vec<String>,
    pub token_ttl: i64,
    pub token_max_ttl: i64,
    pub token_explicit_max_ttl: i64,
    pub token_type: String,
    pub token_num_uses: i64,
    pub token_bound_cidrs: Vec<String>,
    pub bind_secret_id: bool,
    pub secret_id_ttl: i64,
    pub secret_id_num_uses: i64,
    pub secret_id_bound_cidrs: Vec<String>,
}

/// The OpenBao model of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenbaoModel {
    pub policy_name: String,
    pub rules: Vec<PathRule>,
    /// When OpenBao removes the policy by itself: the binding's `expires_at`.
    pub policy_expiration: jiff::Timestamp,
    pub role_name: String,
    pub role: AppRole,
    /// Header comment lines of the policy text.
    pub header: Vec<String>,
}

/// The OpenBao target.
#[derive(Debug, Clone, Copy)]
pub struct Openbao;

impl Lowering for Openbao {
    type Model = OpenbaoModel;
    const ROLE_BLOCK: Option<&'static str> = Some("openbao");
    const IDENTITY: Option<&'static str> = Some("openbao");
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::AtApply, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::AtIssuance, Some(Code::WindowsAtIssuance)),
        enforces(Feature::MaxSession, How::Exact, None),
        enforces(Feature::Mfa, How::NotAtAll, Some(Code::OpenbaoRequirementNotEnforced)),
        enforces(Feature::SourceCidrs, How::Exact, None),
        enforces(Feature::PrincipalTags, How::NotAtAll, Some(Code::OpenbaoRequirementNotEnforced)),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<OpenbaoModel>> {
        let b = cx.binding;
        let rules = b.role.openbao.as_ref()?;
        let req = &b.policy.require;
        if req.mfa || !req.principal_tags.is_empty() {
            cx.report(
                Code::OpenbaoRequirementNotEnforced,
                req.span.unwrap_or(b.policy.span),
                "ACL policies carry no MFA or tag condition; only source_cidrs are enforced (as token and secret-id bound CIDRs)",
                "configure login MFA on the AppRole mount, or rely on the broker rule",
            );
        }
        if let Some(w) = b.policy.windows.first() {
            cx.report(
                Code::WindowsAtIssuance,
                w.span,
                format!(
                    "ACL policies have no clock: the objects of binding `{}` exist for its whole grant, and its windows hold only for credentials issued through `jit_credential`",
                    b.name
                ),
                "issue credentials with `ephemeral \"jit_credential\"`, which refuses outside the windows and ends tokens with the window; or bind under a policy without windows",
            );
        }
        let name = object_name(&cx.options.openbao_prefix, &b.name);
        let cidrs: Vec<String> = req.source_cidrs.iter().map(|c| c.0.clone()).collect();
        let ttl = b.policy.max_session;
        let model = OpenbaoModel {
            policy_name: name.clone(),
            rules: rules.clone(),
            policy_expiration: b.expires_at,
            role_name: name.clone(),
            role: AppRole {
                token_policies: vec![name],
                token_ttl: ttl,
                token_max_ttl: ttl,
                token_explicit_max_ttl: ttl,
                token_type: "service".into(),
                token_num_uses: 0,
                token_bound_cidrs: cidrs.clone(),
                bind_secret_id: true,
                secret_id_ttl: ttl,
                secret_id_num_uses: 1,
                secret_id_bound_cidrs: cidrs,
            },
            header: vec![
                format!("jit binding {}: role {} for {}", b.name, b.role.name, b.subject.name),
                format!("valid {} to {}; managed by jit, do not edit", b.not_before, b.expires_at),
            ],
        };
        let enforcement = if b.policy.windows.is_empty() { Enforcement::Convergence } else { Enforcement::Issuance };
        Some(Lowered { model, enforcement })
    }
}
