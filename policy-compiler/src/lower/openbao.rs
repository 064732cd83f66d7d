//! OpenBao / Vault: an ACL policy and an AppRole role named
//! `<prefix><binding>`. ACLs have no clock: the provider creates the objects
//! while the binding is active and removes them after (`convergence`).

use super::{Options, Target};
use crate::diag::{Code, Diagnostics};
use crate::ir::{Binding, PathRule};
use serde::Serialize;

/// AppRole role parameters under OpenBao's own API names, ready to POST to
/// `auth/<mount>/role/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppRole {
    pub token_policies: Vec<String>,
    pub token_ttl: i64,
    pub token_max_ttl: i64,
    pub token_explicit_max_ttl: i64,
    pub token_type: &'static str,
    pub token_num_uses: i64,
    pub token_bound_cidrs: Vec<String>,
    pub bind_secret_id: bool,
    pub secret_id_ttl: i64,
    pub secret_id_num_uses: i64,
    pub secret_id_bound_cidrs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenbaoOutput {
    pub policy_name: String,
    pub rules: Vec<PathRule>,
    pub role_name: String,
    pub role: AppRole,
    /// Header comment lines of the policy text.
    pub header: Vec<String>,
}

pub(super) fn lower(b: &Binding, rules: &[PathRule], opts: &Options, diags: &mut Diagnostics) -> OpenbaoOutput {
    let req = &b.policy.require;
    if req.mfa || !req.principal_tags.is_empty() {
        super::target_warning(
            diags,
            Code::OpenbaoRequirementNotEnforced,
            Target::Openbao,
            req.span.unwrap_or(b.policy.span),
            "ACL policies carry no MFA or tag condition; only source_cidrs are enforced (as token and secret-id bound CIDRs)".to_string(),
            "configure login MFA on the AppRole mount, or rely on the broker rule",
        );
    }
    let name = format!("{}{}", opts.openbao_prefix, b.name);
    let cidrs: Vec<String> = req.source_cidrs.iter().map(|c| c.0.clone()).collect();
    let ttl = b.policy.max_session;
    OpenbaoOutput {
        policy_name: name.clone(),
        rules: rules.to_vec(),
        role_name: name.clone(),
        role: AppRole {
            token_policies: vec![name],
            token_ttl: ttl,
            token_max_ttl: ttl,
            token_explicit_max_ttl: ttl,
            token_type: "service",
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
    }
}
