//! Semantic checks and lints on the IR.
//!
//! Target-independent rules live here; limits of one target (policy size,
//! CEL operator count, PIM recurrence) are checked by that target's lowering.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Binding, Model, Part, Role, SubjectKind};
use crate::resolve::values::format_duration;
use std::collections::BTreeSet;

/// Check the model. `referenced` holds the role and policy names that some
/// binding names (even a binding that failed to resolve), so unused-definition
/// lints do not fire because of another error.
///
/// Returns the names of bindings that failed a check: they are not lowered,
/// so one mistake is not reported again by every target.
pub fn validate(
    model: &Model,
    referenced: &(BTreeSet<String>, BTreeSet<String>),
    diags: &mut Diagnostics,
) -> BTreeSet<String> {
    // With errors elsewhere (a typo'd reference, say) "unused" would mislead.
    let lint_unused = !diags.has_errors();
    let mut failed = BTreeSet::new();
    for role in model.roles.values() {
        let before = diags.errors().count();
        wildcards(role, diags);
        if diags.errors().count() > before {
            failed.extend(model.bindings.iter().filter(|b| b.role.name == role.name).map(|b| b.name.clone()));
        }
    }
    if lint_unused {
        let roles = model.roles.values().map(|r| ("role", &r.name, r.span, &referenced.0));
        let policies = model.policies.values().map(|p| ("policy", &p.name, p.span, &referenced.1));
        for (kind, name, span, used) in roles.chain(policies) {
            if !used.contains(name) {
                diags.push(
                    Diagnostic::at(Code::UnusedDefinition, span, format!("{kind} `{name}` is not used by any binding"))
                        .with_help("bind it, or remove it if it is no longer needed"),
                );
            }
        }
    }
    for b in &model.bindings {
        let before = diags.errors().count();
        binding(b, diags);
        if diags.errors().count() > before {
            failed.insert(b.name.clone());
        }
    }
    failed
}

fn binding(b: &Binding, diags: &mut Diagnostics) {
    if b.expires_at <= b.not_before {
        diags.push(
            Diagnostic::at(
                Code::EmptyGrant,
                b.expires_span,
                format!(
                    "binding `{}` expires at {} which is not after not_before {}",
                    b.name, b.expires_at, b.not_before
                ),
            )
            .with_help("set `expires_at` later than `not_before`"),
        );
        return;
    }
    let length = b.expires_at.as_second() - b.not_before.as_second();
    if length > b.policy.max_grant {
        diags.push(
            Diagnostic::at(
                Code::GrantTooLong,
                b.expires_span,
                format!(
                    "binding `{}` lasts {} but policy `{}` allows at most {}",
                    b.name,
                    format_duration(length),
                    b.policy.name,
                    format_duration(b.policy.max_grant)
                ),
            )
            .with_help(format!(
                "move `expires_at` to {} or earlier, or raise the policy's `max_grant` (ceiling 366d)",
                jiff::Timestamp::from_second(b.not_before.as_second() + b.policy.max_grant)
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            )),
        );
    }
    if let Some(approval) = &b.policy.approval {
        let me = identities(&b.subject);
        if let Some(a) = approval.approvers.iter().find(|a| me.contains(a.as_str())) {
            diags.push(
                Diagnostic::at(
                    Code::SelfApproval,
                    b.subject.span,
                    format!("subject `{}` of binding `{}` is its own approver `{a}`", b.subject.name, b.name),
                )
                .with_help(format!(
                    "separation of duties: remove `{a}` from policy `{}`'s approvers or bind another subject",
                    b.policy.name
                )),
            );
        }
    }
    if b.policy.require.mfa && b.subject.kind == SubjectKind::Workload {
        diags.push(
            Diagnostic::at(Code::MfaForWorkload, b.subject.span, format!("policy `{}` requires MFA but subject `{}` is a workload", b.policy.name, b.subject.name))
                .with_help("workloads cannot present MFA, so the grant will never be usable; use a policy without `mfa` or a human subject"),
        );
    }
    // A window shorter than the grant's week might never be hit.
    if !b.policy.windows.is_empty()
        && length < 8 * 86_400
        && ir::active_intervals(&b.policy.windows, b.not_before, b.expires_at).is_empty()
    {
        diags.push(
            Diagnostic::at(
                Code::NeverActive,
                b.span,
                format!(
                    "binding `{}` is never active: no window of policy `{}` falls between not_before and expires_at",
                    b.name, b.policy.name
                ),
            )
            .with_help("widen the grant or pick a policy whose windows meet it"),
        );
    }
}

/// The ways an approver could name this subject.
fn identities(s: &ir::Subject) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    out.insert(format!("user:{}", s.name));
    for (_, id) in &s.identities {
        out.insert(id.clone());
        out.insert(format!("user:{id}"));
    }
    out
}

fn wildcards(role: &Role, diags: &mut Diagnostics) {
    if role.allow_wildcards {
        return;
    }
    for g in role.grants() {
        let sides = [(Part::Action, &g.actions, g.block.action), (Part::Resource, &g.resources, g.block.resource)];
        for (part, items, noun) in sides {
            for (value, span) in items.iter().filter(|(v, _)| ir::is_wildcard(g.block, part, v)) {
                diags.push(
                    Diagnostic::at(
                        Code::Wildcard,
                        *span,
                        format!("{} {noun} `{value}` in role `{}` grants everything", g.block.label, role.name),
                    )
                    .with_help(
                        "name the actions and resources (narrower globs such as `s3:Get*` are fine), or set `allow_wildcards = true` on the role if this is intended",
                    ),
                );
            }
        }
    }
}
