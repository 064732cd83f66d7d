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
    for p in model.policies.values() {
        let before = diags.errors().count();
        approver_groups(p, &model.groups, diags);
        if diags.errors().count() > before {
            failed.extend(model.bindings.iter().filter(|b| b.policy.name == p.name).map(|b| b.name.clone()));
        }
    }
    for b in &model.bindings {
        let before = diags.errors().count();
        binding(b, &model.groups, diags);
        if diags.errors().count() > before {
            failed.insert(b.name.clone());
        }
    }
    failed
}

/// `group:NAME` approvers name declared groups, once any group is declared.
fn approver_groups(p: &ir::Policy, groups: &GroupMap, diags: &mut Diagnostics) {
    let Some(approval) = p.approval.as_ref().filter(|_| !groups.is_empty()) else {
        return;
    };
    let names: Vec<&str> = groups.keys().map(String::as_str).collect();
    for a in &approval.approvers {
        let Some(g) = a.strip_prefix("group:") else { continue };
        if !groups.contains_key(g) {
            let help = match crate::diag::did_you_mean(g, names.iter().copied()) {
                Some(m) => format!("did you mean `group:{m}`? Declare the group (`group \"{g}\" {{ members = [...] }}`) or fix the name"),
                None => format!("declare it: `group \"{g}\" {{ members = [\"user:LOGIN\"] }}` (declared: {})", names.join(", ")),
            };
            diags.push(
                Diagnostic::at(
                    Code::UnknownGroup,
                    approval.span,
                    format!("approver `{a}` of policy `{}` names no declared group", p.name),
                )
                .with_help(help),
            );
        }
    }
}

type GroupMap = std::collections::BTreeMap<String, std::sync::Arc<ir::Group>>;

/// The people who may approve a binding under its policy: direct `user:`
/// approvers and members of the groups named, lower-cased, without the
/// binding's subject. `None` when a group is not declared (nothing to count).
pub fn possible_approvers(b: &Binding, groups: &GroupMap) -> Option<BTreeSet<String>> {
    let approval = b.policy.approval.as_ref()?;
    let me: BTreeSet<String> = identities(&b.subject).into_iter().map(|i| i.to_ascii_lowercase()).collect();
    let mut out = BTreeSet::new();
    for a in &approval.approvers {
        match a.strip_prefix("group:") {
            Some(g) => out.extend(groups.get(g)?.logins()),
            None => {
                out.insert(a.to_ascii_lowercase());
            }
        }
    }
    out.retain(|p| !me.contains(p));
    Some(out)
}

fn binding(b: &Binding, groups: &GroupMap, diags: &mut Diagnostics) {
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
    if let (Some(approval), Some(people)) = (&b.policy.approval, possible_approvers(b, groups)) {
        if (people.len() as u32) < approval.min_approvals {
            diags.push(
                Diagnostic::at(
                    Code::QuorumUnreachable,
                    b.subject.span,
                    format!(
                        "binding `{}` needs {} approval(s) under policy `{}`, but without its subject only {} person(s) may approve{}",
                        b.name,
                        approval.min_approvals,
                        b.policy.name,
                        people.len(),
                        if people.is_empty() { String::new() } else { format!(": {}", people.iter().cloned().collect::<Vec<_>>().join(", ")) }
                    ),
                )
                .with_help("separation of duties: add approvers or group members other than the subject, or lower min_approvals"),
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

/// The approver names that are the subject itself: `user:NAME` and every
/// identity, with and without `user:`.
pub(crate) fn identities(s: &ir::Subject) -> BTreeSet<String> {
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

#[cfg(test)]
mod group_tests {
    use crate::diag::Code;
    use crate::source::{SourceFile, SourceMap, Syntax};

    fn compile(min: u32, members: &str) -> crate::Compilation {
        let text = format!(
            r#"version = "jit/v1"
group "dba-leads" {{
  members = [{members}]
}}
role "r" {{
  aws {{
    actions   = ["rds:RebootDBInstance"]
    resources = ["arn:aws:rds:eu-west-1:123456789012:db:orders"]
  }}
}}
policy "p" {{
  approval {{
    approvers     = ["group:dba-leads", "user:dana"]
    min_approvals = {min}
  }}
}}
binding "b" {{
  role   = "r"
  policy = "p"
  subject {{
    kind = "human"
    name = "alice"
    aws  = "arn:aws:iam::123456789012:user/alice"
  }}
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "2027-01-05T00:00:00Z"
}}
"#
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("g.hcl", Syntax::Hcl, text));
        crate::compile(sources, &[crate::target::Target::Broker], &crate::lower::Options::default())
    }

    /// Group members count as approvers, the subject (any case) does not.
    #[test]
    fn a_quorum_counts_group_members_without_the_subject() {
        let members = r#""user:Alice", "user:bob", "user:carol""#;
        // bob, carol, dana: three may approve.
        assert!(!compile(3, members).has_errors(), "{:?}", compile(3, members).diagnostics.errors().next());
        let c = compile(4, members);
        let e = c.diagnostics.errors().next().expect("JIT057");
        assert_eq!(e.code, Code::QuorumUnreachable);
        assert!(e.message.contains("only 3 person(s) may approve: user:bob, user:carol, user:dana"), "{}", e.message);
        assert!(c.outputs.is_empty());
    }
}
