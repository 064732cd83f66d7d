//! Whether a change of the documents has the approval its policies declare
//! (`jitc approvals`).
//!
//! Every binding that [`diff`](crate::diff) says widens access needs the
//! quorum of its policy as HEAD declares it: `min_approvals` distinct
//! reviewers who approve, each an approver directly (`user:LOGIN`) or
//! through a group, never the pull request's author and never the binding's
//! subject. A binding moved to another policy, or whose approval itself
//! widened (quorum lowered or removed, an approver or group member added),
//! needs the quorum of BASE's policy as well. Narrowing and removals need
//! none.
//!
//! Approval power granted by a change does not count towards that change:
//! a group member added in HEAD counts for HEAD's quorum only when the
//! group did not exist in BASE. A change of an approval rule itself (a
//! group gaining members, a policy's approval lowered, removed or given to
//! a new approver) needs the quorum of the BASE policies it belongs to,
//! whether or not a binding uses them yet.
//!
//! Reviews come in the shape of GitHub's pull request reviews
//! (`user.login`, `state`, `submitted_at`); per reviewer the latest
//! `APPROVED`, `CHANGES_REQUESTED` or `DISMISSED` decides, `COMMENTED`
//! and `PENDING` change nothing. Logins compare without case. Given the
//! pull request's head commit, an approval of another commit is stale and
//! does not count (each review's `commit_id`).

use crate::diff::{Change, Kind};
use crate::ir::{Binding, Model, Policy};
use jiff::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A review's state, as the code host reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Approved,
    ChangesRequested,
    Dismissed,
    Commented,
    Pending,
    /// An approval of an earlier commit than the one checked (only with a
    /// head commit given): it stands as the reviewer's decision but does
    /// not approve, as GitHub's "dismiss stale approvals" would have it.
    StaleApproval,
}

impl State {
    fn parse(s: &str) -> Option<State> {
        Some(match s {
            "APPROVED" => State::Approved,
            "CHANGES_REQUESTED" => State::ChangesRequested,
            "DISMISSED" => State::Dismissed,
            "COMMENTED" => State::Commented,
            "PENDING" => State::Pending,
            _ => return None,
        })
    }

    /// Whether this state replaces the reviewer's earlier decision.
    fn decides(self) -> bool {
        matches!(self, State::Approved | State::ChangesRequested | State::Dismissed | State::StaleApproval)
    }
}

/// One review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub login: String,
    pub state: State,
    /// `None` for a pending review, which has not been submitted.
    pub submitted_at: Option<Timestamp>,
    /// The commit the review was given on, when the list says.
    pub commit_id: Option<String>,
}

/// Read a review list: a JSON array of objects with `user.login`, `state`
/// and `submitted_at`. Other fields are ignored. The error names the
/// offending entry.
pub fn parse_reviews(text: &str) -> Result<Vec<Review>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let items = value.as_array().ok_or("expected a JSON array of reviews (GitHub's pull request reviews)")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, r) in items.iter().enumerate() {
        let at = |field: &str, why: &str| format!("review [{i}]: `{field}` {why}");
        let login = r
            .pointer("/user/login")
            .and_then(|l| l.as_str())
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| at("user.login", "is missing or not a string"))?;
        let state = r.get("state").and_then(|s| s.as_str()).ok_or_else(|| at("state", "is missing"))?;
        let state = State::parse(state).ok_or_else(|| {
            at("state", &format!("is `{state}`, not APPROVED, CHANGES_REQUESTED, DISMISSED, COMMENTED or PENDING"))
        })?;
        let submitted_at = match r.get("submitted_at") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => {
                let s = v.as_str().ok_or_else(|| at("submitted_at", "is not a string"))?;
                Some(s.parse::<Timestamp>().map_err(|e| at("submitted_at", &format!("`{s}` is not RFC 3339 ({e})")))?)
            }
        };
        if submitted_at.is_none() && state != State::Pending {
            return Err(at("submitted_at", "is missing on a submitted review"));
        }
        let commit_id = r.get("commit_id").and_then(|c| c.as_str()).map(str::to_string);
        out.push(Review { login: login.to_string(), state, submitted_at, commit_id });
    }
    Ok(out)
}

/// Each reviewer's standing decision, by lower-cased login: the latest
/// deciding review (submission time, then list order). With `head`, an
/// approval given on another commit is a [`State::StaleApproval`].
pub fn standing(reviews: &[Review], head: Option<&str>) -> BTreeMap<String, (String, State)> {
    let mut decided: Vec<(Timestamp, usize, &Review)> = reviews
        .iter()
        .enumerate()
        .filter(|(_, r)| r.state.decides())
        .filter_map(|(i, r)| Some((r.submitted_at?, i, r)))
        .collect();
    decided.sort_by_key(|(at, i, _)| (*at, *i));
    let mut out = BTreeMap::new();
    for (_, _, r) in decided {
        let stale = match (head, &r.commit_id) {
            (Some(h), Some(c)) => !same_commit(h, c),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let state = if r.state == State::Approved && stale { State::StaleApproval } else { r.state };
        out.insert(r.login.to_ascii_lowercase(), (r.login.clone(), state));
    }
    out
}

/// Whether two commit ids name the same commit (either may be abbreviated).
fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.len() >= 7 && b.len() >= 7 && (a.starts_with(&b) || b.starts_with(&a))
}

/// Which revision's declaration of a policy a quorum reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Revision {
    Base,
    Head,
}

/// A reviewer who approved but does not count towards a quorum, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCounted {
    pub login: String,
    pub reason: String,
}

/// One policy's quorum for one binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quorum {
    pub policy: String,
    pub revision: Revision,
    /// 0 when the policy declares no approval.
    pub min_approvals: u32,
    /// Reviewers whose approval counts, as they spelled their login.
    pub approved_by: Vec<String>,
    /// Approvals still needed.
    pub missing: u32,
    /// Approvers who have not approved and may (never the author or the
    /// subject), lower-cased.
    pub could_approve: Vec<String>,
    pub not_counted: Vec<NotCounted>,
    /// The policy is new in HEAD: its quorum is declared by the change it
    /// approves, which reviewers should know.
    pub new_policy: bool,
}

/// A changed binding that widens access, with the quorums it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Required {
    pub binding: String,
    pub subject: String,
    pub satisfied: bool,
    /// The widening changes that call for approval.
    pub changes: Vec<Change>,
    pub quorums: Vec<Quorum>,
}

/// A change of an approval rule itself: a group that gains members, or a
/// policy whose approval is lowered, removed or given to someone new.
/// Whoever could approve under the rule before must agree, by the quorum
/// of every BASE policy the rule belongs to, whether or not a binding uses
/// it yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChange {
    /// `group:NAME` or `policy:NAME`.
    pub rule: String,
    pub change: String,
    pub satisfied: bool,
    pub quorums: Vec<Quorum>,
}

/// The verdict over a whole change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub satisfied: bool,
    pub author: String,
    /// The commit approvals must have been given on, when checked.
    pub commit: Option<String>,
    /// Each reviewer's standing decision.
    pub reviews: Vec<Standing>,
    pub required: Vec<Required>,
    pub rules: Vec<RuleChange>,
    /// Bindings whose changes only narrow access or remove it.
    pub not_required: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub login: String,
    pub state: State,
}

/// The pull request a change comes from.
#[derive(Debug, Clone, Copy)]
pub struct PullRequest<'a> {
    pub author: &'a str,
    pub reviews: &'a [Review],
    /// Its head commit: approvals of other commits are stale. `None`
    /// counts approvals whatever commit they were given on.
    pub commit: Option<&'a str>,
}

/// Check `changes` (from [`crate::diff::diff`] of `base` and `head`)
/// against the reviews of the pull request `pr`.
pub fn check(changes: &[Change], base: &Model, head: &Model, pr: PullRequest<'_>) -> Report {
    let PullRequest { author, reviews, commit } = pr;
    let standing = standing(reviews, commit);
    let author_key = author.to_ascii_lowercase();
    let mut per_binding: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in changes {
        per_binding.entry(&c.binding).or_default().push(c);
    }
    let find = |m: &'_ Model, name: &str| m.bindings.iter().find(|b| b.name == name).cloned();
    let mut required = Vec::new();
    let mut not_required = Vec::new();
    for (name, list) in per_binding {
        let widening: Vec<Change> = list.iter().filter(|c| c.widens).map(|c| (*c).clone()).collect();
        let Some(now) = find(head, name).filter(|_| !widening.is_empty()) else {
            not_required.push(name.to_string());
            continue;
        };
        let before = find(base, name);
        let who = Who { subject: Some(&now), standing: &standing, author: &author_key };
        let mut quorums = vec![quorum(&now.policy, Revision::Head, head, Some(base), who)];
        if let Some(was) = before.filter(|was| was.policy.name != now.policy.name || approval_widened(&widening)) {
            quorums.push(quorum(&was.policy, Revision::Base, base, None, who));
        }
        required.push(Required {
            binding: name.to_string(),
            subject: now.subject.name.clone(),
            satisfied: quorums.iter().all(|q| q.missing == 0),
            changes: widening,
            quorums,
        });
    }
    let who = Who { subject: None, standing: &standing, author: &author_key };
    let rules: Vec<RuleChange> =
        group_changes(base, head, who).into_iter().chain(policy_changes(base, head, who)).collect();
    Report {
        satisfied: required.iter().all(|r| r.satisfied) && rules.iter().all(|g| g.satisfied),
        author: author.to_string(),
        commit: commit.map(str::to_string),
        reviews: standing.into_values().map(|(login, state)| Standing { login, state }).collect(),
        required,
        rules,
        not_required,
    }
}

fn rule(rule: String, change: String, policies: Vec<&Policy>, base: &Model, who: Who<'_>) -> RuleChange {
    let quorums: Vec<Quorum> = policies.into_iter().map(|p| quorum(p, Revision::Base, base, None, who)).collect();
    RuleChange { rule, change, satisfied: quorums.iter().all(|q| q.missing == 0), quorums }
}

/// Groups that gain members, each needing the quorum of every BASE
/// policy that names it (as BASE declares it).
fn group_changes(base: &Model, head: &Model, who: Who<'_>) -> Vec<RuleChange> {
    let mut out = Vec::new();
    for (name, g) in &head.groups {
        let was = base.groups.get(name).map(|g| g.logins()).unwrap_or_default();
        let now = g.logins();
        let added: Vec<&str> = now.difference(&was).map(|m| m.strip_prefix("user:").unwrap_or(m)).collect();
        let reference = format!("group:{name}");
        let policies: Vec<&Policy> = base
            .policies
            .values()
            .filter(|p| p.approval.as_ref().is_some_and(|a| a.approvers.contains(&reference)))
            .map(|p| p.as_ref())
            .collect();
        if added.is_empty() || policies.is_empty() {
            continue;
        }
        out.push(rule(reference, format!("gains {}", added.join(", ")), policies, base, who));
    }
    out
}

/// Policies whose approval widens: removed, a lower quorum, or a new
/// approver; each needs its own quorum as BASE declares it.
fn policy_changes(base: &Model, head: &Model, who: Who<'_>) -> Vec<RuleChange> {
    let mut out = Vec::new();
    for (name, was) in &base.policies {
        let (Some(x), Some(now)) = (&was.approval, head.policies.get(name)) else { continue };
        let change = match &now.approval {
            None => "approval removed".to_string(),
            Some(y) => {
                let new: Vec<&str> = y
                    .approvers
                    .iter()
                    .filter(|a| !x.approvers.iter().any(|o| o.eq_ignore_ascii_case(a)))
                    .map(String::as_str)
                    .collect();
                let mut what = Vec::new();
                if y.min_approvals < x.min_approvals {
                    what.push(format!("min_approvals {} → {}", x.min_approvals, y.min_approvals));
                }
                if !new.is_empty() {
                    what.push(format!("approvers added: {}", new.join(", ")));
                }
                if what.is_empty() {
                    continue;
                }
                what.join("; ")
            }
        };
        out.push(rule(format!("policy:{name}"), change, vec![was.as_ref()], base, who));
    }
    out
}

/// Whose approvals are weighed: the reviewers' standing decisions, the
/// author, and the binding's subject (none for a group's change).
#[derive(Clone, Copy)]
struct Who<'a> {
    subject: Option<&'a Binding>,
    standing: &'a BTreeMap<String, (String, State)>,
    author: &'a str,
}

/// Whether the approval itself widened: lowered, removed, or given to
/// someone new.
fn approval_widened(changes: &[Change]) -> bool {
    changes.iter().any(|c| {
        matches!(
            c.kind,
            Kind::ApprovalRemoved | Kind::ApprovalWeakened | Kind::ApprovalChanged | Kind::ApproverGroupChanged
        )
    })
}

/// Who may approve for `policy` as `model` declares it, lower-cased
/// `user:LOGIN`, with the group each came through (`None` when named
/// directly). With `before`, a member a group gained since `before` is
/// left out, with the group's name, in the second set.
fn approvers(policy: &Policy, model: &Model, before: Option<&Model>) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut people = BTreeSet::new();
    let mut added = BTreeMap::new();
    let Some(approval) = &policy.approval else { return (people, added) };
    for a in &approval.approvers {
        let Some(g) = a.strip_prefix("group:") else {
            people.insert(a.to_ascii_lowercase());
            continue;
        };
        let members = |m: &Model| m.groups.get(g).map(|g| g.logins());
        let now = members(model).unwrap_or_default();
        let then = before.and_then(members);
        for m in now {
            match &then {
                Some(old) if !old.contains(&m) => {
                    added.insert(m, g.to_string());
                }
                _ => {
                    people.insert(m);
                }
            }
        }
    }
    for p in &people {
        added.remove(p);
    }
    (people, added)
}

fn quorum(policy: &Policy, revision: Revision, model: &Model, before: Option<&Model>, who: Who<'_>) -> Quorum {
    let Who { subject: binding, standing, author } = who;
    let (eligible, added) = approvers(policy, model, before);
    let subject = binding.map(|b| crate::validate::identities(&b.subject)).unwrap_or_default();
    let is_subject = |user: &str| subject.iter().any(|s| s.eq_ignore_ascii_case(user));
    let min = policy.approval.as_ref().map_or(0, |a| a.min_approvals);
    let mut approved_by = Vec::new();
    let mut not_counted = Vec::new();
    for (key, (login, state)) in standing {
        if *state != State::Approved {
            continue;
        }
        let user = format!("user:{key}");
        let reason = if key == author {
            Some("author of the pull request".to_string())
        } else if let Some(b) = binding.filter(|_| is_subject(&user)) {
            Some(format!("subject of binding `{}`", b.name))
        } else if let Some(g) = added.get(&user) {
            Some(format!("added to group:{g} by this change"))
        } else if !eligible.contains(&user) {
            Some(format!("not an approver of policy `{}`", policy.name))
        } else {
            None
        };
        match reason {
            Some(reason) if policy.approval.is_some() => not_counted.push(NotCounted { login: login.clone(), reason }),
            Some(_) => {}
            None => approved_by.push(login.clone()),
        }
    }
    let counted = u32::try_from(approved_by.len()).unwrap_or(u32::MAX);
    let could_approve = eligible
        .iter()
        .filter_map(|u| u.strip_prefix("user:"))
        .filter(|u| *u != author && !is_subject(&format!("user:{u}")))
        .filter(|u| standing.get(*u).is_none_or(|(_, s)| *s != State::Approved))
        .map(str::to_string)
        .collect();
    Quorum {
        policy: policy.name.clone(),
        revision,
        min_approvals: min,
        approved_by,
        missing: min.saturating_sub(counted),
        could_approve,
        not_counted,
        new_policy: before.is_some_and(|b| !b.policies.contains_key(&policy.name)),
    }
}

/// The report as a pull request comment.
pub fn markdown(r: &Report, base: &str, head: &str) -> String {
    let mut out = String::new();
    let verdict = if r.satisfied { "✅ every change has its approval" } else { "❌ approval missing" };
    out.push_str(&format!("## Access approvals: {verdict}\n\n"));
    out.push_str(&format!("`{base}` → `{head}`, pull request by `{}`.\n\n", r.author));
    if r.required.is_empty() && r.rules.is_empty() {
        out.push_str("No change widens access, so none needs approval.\n");
    } else {
        out.push_str("| Binding | Subject | Policy | Needs | Approved by | Missing | Could still approve |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for req in &r.required {
            for q in &req.quorums {
                let list = |v: &[String]| if v.is_empty() { "—".to_string() } else { v.join(", ") };
                out.push_str(&format!(
                    "| `{}` | `{}` | `{}` ({}) | {} | {} | {} | {} |\n",
                    req.binding,
                    req.subject,
                    q.policy,
                    match q.revision {
                        Revision::Base => "base",
                        Revision::Head => "head",
                    },
                    q.min_approvals,
                    list(&q.approved_by),
                    if q.missing == 0 { "✅".to_string() } else { format!("❌ {}", q.missing) },
                    list(&q.could_approve)
                ));
            }
        }
        for req in &r.required {
            for q in req.quorums.iter().filter(|q| q.new_policy) {
                out.push_str(&format!(
                    "\n> ⚠️ Policy `{}` is new in this change: its quorum for `{}` is declared by the change it approves.\n",
                    q.policy, req.binding
                ));
            }
        }
        out.push_str("\n### Why\n");
        for req in &r.required {
            let kinds: Vec<&str> = req.changes.iter().map(|c| c.kind.as_str()).collect();
            out.push_str(&format!("\n- `{}`: {}", req.binding, kinds.join(", ")));
            for q in &req.quorums {
                for n in &q.not_counted {
                    out.push_str(&format!("; `{}` not counted for `{}` ({})", n.login, q.policy, n.reason));
                }
            }
            out.push('\n');
        }
    }
    for g in &r.rules {
        out.push_str(&format!("\n### `{}`: {}\n\n", g.rule, g.change));
        for q in &g.quorums {
            let missing = if q.missing == 0 { "✅".to_string() } else { format!("❌ {} missing", q.missing) };
            let could = if q.could_approve.is_empty() { "—".to_string() } else { q.could_approve.join(", ") };
            out.push_str(&format!(
                "- policy `{}` (base) needs {}: approved by {}; {missing}; could still approve: {could}\n",
                q.policy,
                q.min_approvals,
                if q.approved_by.is_empty() { "—".to_string() } else { q.approved_by.join(", ") }
            ));
        }
    }
    if !r.not_required.is_empty() {
        let names: Vec<String> = r.not_required.iter().map(|n| format!("`{n}`")).collect();
        out.push_str(&format!("\nNarrowed or removed, no approval needed: {}.\n", names.join(", ")));
    }
    out
}

/// `Approved-by:` trailers for the merge commit: the reviewers whose
/// approval counted, once each, in login order.
pub fn trailers(r: &Report) -> String {
    let people: BTreeSet<&str> = r
        .required
        .iter()
        .flat_map(|q| q.quorums.iter())
        .flat_map(|q| q.approved_by.iter())
        .map(String::as_str)
        .collect();
    people.into_iter().map(|p| format!("Approved-by: {p}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(login: &str, state: &str, at: &str) -> String {
        format!(r#"{{"user":{{"login":"{login}"}},"state":"{state}","submitted_at":"{at}"}}"#)
    }

    #[test]
    fn latest_deciding_review_stands() {
        let text = format!(
            "[{},{},{},{}]",
            review("Alice", "APPROVED", "2026-01-01T10:00:00Z"),
            review("alice", "COMMENTED", "2026-01-01T11:00:00Z"),
            review("bob", "APPROVED", "2026-01-01T12:00:00Z"),
            review("bob", "CHANGES_REQUESTED", "2026-01-01T12:30:00Z"),
        );
        let s = standing(&parse_reviews(&text).unwrap_or_default(), None);
        assert_eq!(s.get("alice").map(|x| x.1), Some(State::Approved));
        assert_eq!(s.get("bob").map(|x| x.1), Some(State::ChangesRequested));
    }

    #[test]
    fn approvals_of_another_commit_are_stale_when_the_head_is_given() {
        let r = |login: &str, commit: &str| {
            format!(
                r#"{{"user":{{"login":"{login}"}},"state":"APPROVED","submitted_at":"2026-01-01T10:00:00Z","commit_id":"{commit}"}}"#
            )
        };
        let text = format!("[{},{}]", r("alice", "0123456789abcdef"), r("bob", "fedcba9876543210"));
        let reviews = parse_reviews(&text).unwrap_or_default();
        let s = standing(&reviews, Some("0123456789ab"));
        assert_eq!(s.get("alice").map(|x| x.1), Some(State::Approved));
        assert_eq!(s.get("bob").map(|x| x.1), Some(State::StaleApproval));
        assert_eq!(standing(&reviews, None).get("bob").map(|x| x.1), Some(State::Approved));
    }

    #[test]
    fn bad_review_lists_name_the_entry() {
        assert!(parse_reviews("{}").unwrap_err().contains("array"));
        let e = parse_reviews(r#"[{"user":{"login":"a"},"state":"LGTM","submitted_at":"2026-01-01T00:00:00Z"}]"#);
        assert!(e.unwrap_err().contains("review [0]: `state` is `LGTM`"));
        let e = parse_reviews(r#"[{"user":{"login":"a"},"state":"APPROVED"}]"#);
        assert!(e.unwrap_err().contains("submitted_at"));
        let pending = parse_reviews(r#"[{"user":{"login":"a"},"state":"PENDING","submitted_at":null}]"#);
        assert!(standing(&pending.unwrap_or_default(), None).is_empty());
    }
}
