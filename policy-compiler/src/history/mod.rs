//! The audit ledger of a repository's history (`jitc history`): per
//! binding, every commit that changed it and, per target, the UTC
//! intervals in which it was in force.
//!
//! The caller (which reads git) feeds the revisions in first-parent order
//! with [`Ledger::push`]; a revision is in force from its commit's time
//! until the next one's (merge time is taken as apply time). Only the
//! previous revision's model is kept, so memory does not grow with the
//! length of the history.
//!
//! In force means what the target enforces: windows cut the intervals
//! where the target enforces them exactly; where it checks them only when
//! credentials are issued, each opening is extended by the policy's
//! `max_session` (a session issued at its last instant lasts that long).

mod html;

pub use html::html;

use crate::diff::{self, Change};
use crate::explain::subject_matches;
use crate::ir::{active_intervals, push_merged, Binding, Model};
use crate::target::{Feature, How, Target};
use jiff::{SignedDuration, Timestamp};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// One first-parent commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub hash: String,
    #[serde(serialize_with = "instant")]
    pub time: Timestamp,
    pub author: String,
    /// The values of the commit message's `Approved-by:` trailers.
    pub approved_by: Vec<String>,
    /// The first line of the message.
    pub summary: String,
}

fn instant<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_string())
}

/// The period asked about, and whose bindings.
#[derive(Debug, Clone)]
pub struct Period {
    pub since: Timestamp,
    pub until: Timestamp,
    /// Only bindings of this subject (name or any identity).
    pub subject: Option<String>,
}

/// A commit's changes to one binding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    #[serde(flatten)]
    pub commit: Commit,
    pub changes: Vec<Change>,
}

/// An interval in which a binding was in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interval {
    #[serde(serialize_with = "instant")]
    pub from: Timestamp,
    #[serde(serialize_with = "instant")]
    pub to: Timestamp,
    pub role: String,
    pub policy: String,
    /// The commit whose revision of the binding was in force.
    pub commit: String,
}

/// One binding's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub binding: String,
    pub subject: String,
    pub steps: Vec<Step>,
    /// When the binding granted access by its own schedule (bounds and
    /// windows), whatever the target.
    pub active: Vec<Interval>,
    /// When each target it reaches let it in.
    pub targets: BTreeMap<Target, Vec<Interval>>,
}

/// The ledger over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct History {
    #[serde(serialize_with = "instant")]
    pub since: Timestamp,
    #[serde(serialize_with = "instant")]
    pub until: Timestamp,
    /// First-parent commits that changed the documents.
    pub commits: usize,
    /// Commits whose documents did not compile: the revision before them
    /// stayed in force (an apply of them would have failed).
    pub invalid: Vec<Commit>,
    pub bindings: Vec<Entry>,
}

/// An open revision of one binding: in force since `from`.
#[derive(Debug)]
struct Open {
    from: Timestamp,
    binding: Binding,
    commit: String,
}

/// Builds a [`History`] from revisions pushed in order.
#[derive(Debug)]
pub struct Ledger {
    period: Period,
    model: Model,
    open: BTreeMap<String, Open>,
    entries: BTreeMap<String, Entry>,
    commits: usize,
    invalid: Vec<Commit>,
    last: Option<Timestamp>,
}

impl Ledger {
    pub fn new(period: Period) -> Ledger {
        Ledger {
            period,
            model: Model::default(),
            open: BTreeMap::new(),
            entries: BTreeMap::new(),
            commits: 0,
            invalid: Vec::new(),
            last: None,
        }
    }

    /// The revision of `commit`, whose documents compile to `model`.
    pub fn push(&mut self, commit: &Commit, model: Model) {
        self.commits += 1;
        // A commit older than the one before it takes effect with it.
        let at = self.last.map_or(commit.time, |l| l.max(commit.time));
        self.last = Some(at);
        let changes = diff::diff(&self.model, &model);
        let mut by_binding: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for c in changes {
            by_binding.entry(c.binding.clone()).or_default().push(c);
        }
        let now: BTreeMap<&str, &Binding> = model.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
        for (name, changes) in by_binding {
            if let Some(open) = self.open.remove(&name) {
                self.close(open, at);
            }
            let Some(b) = now.get(name.as_str()) else {
                self.step(&name, None, commit, changes);
                continue;
            };
            if !self.wanted(b) {
                continue;
            }
            self.step(&name, Some(b), commit, changes);
            self.open.insert(name, Open { from: at, binding: (*b).clone(), commit: commit.hash.clone() });
        }
        self.model = model;
    }

    /// A commit whose documents do not compile.
    pub fn skip(&mut self, commit: &Commit) {
        self.commits += 1;
        self.invalid.push(commit.clone());
    }

    /// The history, with the revisions still in force closed at the end of
    /// the period.
    pub fn finish(mut self) -> History {
        let until = self.period.until;
        for (_, open) in std::mem::take(&mut self.open) {
            self.close(open, until);
        }
        let (since, until) = (self.period.since, self.period.until);
        let bindings = self
            .entries
            .into_values()
            .filter_map(|mut e| {
                e.steps.retain(|s| s.commit.time <= until);
                let touched = e.steps.iter().any(|s| s.commit.time >= since);
                (touched || !e.active.is_empty() || e.targets.values().any(|v| !v.is_empty())).then_some(e)
            })
            .collect();
        History { since, until, commits: self.commits, invalid: self.invalid, bindings }
    }

    fn wanted(&self, b: &Binding) -> bool {
        self.period.subject.as_deref().is_none_or(|s| subject_matches(b, s))
    }

    fn step(&mut self, name: &str, b: Option<&Binding>, commit: &Commit, changes: Vec<Change>) {
        let subject = match b {
            Some(b) => b.subject.name.clone(),
            None => match self.entries.get(name) {
                Some(e) => e.subject.clone(),
                // Removed, never seen: another subject's, or before the filter.
                None => return,
            },
        };
        let e = self.entries.entry(name.to_string()).or_insert_with(|| Entry {
            binding: name.to_string(),
            subject: subject.clone(),
            steps: Vec::new(),
            active: Vec::new(),
            targets: BTreeMap::new(),
        });
        e.subject = subject;
        e.steps.push(Step { commit: commit.clone(), changes });
    }

    /// Record the intervals of a revision in force from `open.from` to `to`.
    fn close(&mut self, open: Open, to: Timestamp) {
        let b = &open.binding;
        let from = open.from.max(self.period.since);
        let to = to.min(self.period.until);
        let Some(e) = self.entries.get_mut(&b.name) else { return };
        let interval = |(a, z): (Timestamp, Timestamp)| Interval {
            from: a,
            to: z,
            role: b.role.name.clone(),
            policy: b.policy.name.clone(),
            commit: open.commit.clone(),
        };
        e.active.extend(scheduled(b, from, to, How::Exact, How::Exact).into_iter().map(interval));
        for t in Target::ALL.iter().copied().filter(|t| reaches(*t, b)) {
            let how = |f: Feature| t.enforces().iter().find(|r| r.feature == f).map_or(How::Exact, |r| r.how);
            let spans = scheduled(b, from, to, how(Feature::Windows), how(Feature::ExpiresAt));
            e.targets.entry(t).or_default().extend(spans.into_iter().map(interval));
        }
    }
}

/// Whether target `t` grants anything for `b`: its role has the block the
/// target lowers and the subject has the identity it grants to (an assumed
/// role's trust policy names the subject's AWS identity).
pub fn reaches(t: Target, b: &Binding) -> bool {
    let Some(block) = t.role_block() else { return false };
    if !b.role.has_block(block) {
        return false;
    }
    match t {
        Target::AwsTrust => {
            b.role.aws.as_ref().is_some_and(|a| a.assume_role.is_some()) && b.subject.identity("aws").is_some()
        }
        _ => t.identity().is_none_or(|f| b.subject.identity(f).is_some()),
    }
}

/// The intervals within `[from, to)` in which `b` is in force on a target
/// enforcing its windows as `how` and its end as `end`.
fn scheduled(b: &Binding, from: Timestamp, to: Timestamp, how: How, end: How) -> Vec<(Timestamp, Timestamp)> {
    let (lo, hi) = (from.max(b.not_before), to.min(b.expires_at));
    let session = SignedDuration::from_secs(b.policy.max_session.max(0));
    // A session issued just before the end outlives it where the end is
    // checked only at issuance.
    let last = if matches!(end, How::AtIssuance) { b.expires_at.checked_add(session).ok() } else { None };
    let last = last.unwrap_or(b.expires_at);
    match how {
        How::NotAtAll => {
            if lo < hi {
                vec![(lo, hi)]
            } else {
                Vec::new()
            }
        }
        How::AtIssuance | How::Bounded => {
            // Openings from the grant's own start, each extended by a session.
            let open = active_intervals(&b.policy.windows, b.not_before, b.expires_at);
            let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
            for (a, z) in open {
                let z = z.checked_add(session).unwrap_or(z).min(last);
                push_merged(&mut out, a.max(from), z.min(to));
            }
            out
        }
        _ => active_intervals(&b.policy.windows, lo, hi),
    }
}

/// The ledger as Markdown: per binding its changes, then its intervals.
pub fn markdown(h: &History) -> String {
    let mut out = format!("## Access history: {} → {}\n\n", h.since, h.until);
    out.push_str(&format!("{} commit(s) changed the documents; {} binding(s) below.\n", h.commits, h.bindings.len()));
    for c in &h.invalid {
        out.push_str(&format!(
            "\n> ⚠️ `{}` ({}) did not compile; the revision before it stayed in force.\n",
            short(&c.hash),
            c.time
        ));
    }
    for e in &h.bindings {
        out.push_str(&format!("\n### `{}` (subject `{}`)\n\n", e.binding, e.subject));
        if !e.steps.is_empty() {
            out.push_str("| Commit | Time (UTC) | Author | Approved by | Changes |\n|---|---|---|---|---|\n");
            for s in &e.steps {
                let kinds: Vec<&str> = s.changes.iter().map(|c| c.kind.as_str()).collect();
                out.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} |\n",
                    short(&s.commit.hash),
                    s.commit.time,
                    cell(&s.commit.author),
                    if s.commit.approved_by.is_empty() {
                        "—".to_string()
                    } else {
                        cell(&s.commit.approved_by.join(", "))
                    },
                    kinds.join(", ")
                ));
            }
        }
        if e.targets.is_empty() {
            out.push_str("\nNo target reaches it.\n");
        }
        for (t, list) in &e.targets {
            out.push_str(&format!("\n**{}**: ", t.as_str()));
            if list.is_empty() {
                out.push_str("not in force in the period.\n");
                continue;
            }
            let shown: Vec<String> = list.iter().take(20).map(|i| format!("{} → {}", i.from, i.to)).collect();
            out.push_str(&shown.join("; "));
            if list.len() > 20 {
                out.push_str(&format!("; … {} interval(s) in all", list.len()));
            }
            out.push('\n');
        }
    }
    out
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The ledger as CSV, one row per interval and target, with the commit
/// whose revision was in force and who approved it.
pub fn csv(h: &History) -> String {
    let approvers: BTreeMap<&str, String> = h
        .bindings
        .iter()
        .flat_map(|e| e.steps.iter())
        .map(|s| (s.commit.hash.as_str(), s.commit.approved_by.join("; ")))
        .collect();
    let mut out = String::from("binding,subject,target,role,policy,from,to,commit,approved_by\n");
    for e in &h.bindings {
        for (t, list) in &e.targets {
            for i in list {
                let row = [
                    e.binding.as_str(),
                    e.subject.as_str(),
                    t.as_str(),
                    i.role.as_str(),
                    i.policy.as_str(),
                    &i.from.to_string(),
                    &i.to.to_string(),
                    i.commit.as_str(),
                    approvers.get(i.commit.as_str()).map_or("", String::as_str),
                ]
                .map(csv_field);
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
    }
    out
}

/// A CSV field, quoted when it must be (RFC 4180); a leading formula
/// character is escaped so spreadsheets show it as text.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap, Syntax};

    /// A model of one binding of `alice` on an OpenBao path under a policy
    /// with a weekday 09:00-17:00 UTC window and a 2h session.
    fn model(expires: &str) -> Model {
        let text = format!(
            r#"version = "jit/v1"
role "r" {{
  openbao {{
    path "kv/data/x" {{ capabilities = ["read"] }}
  }}
}}
policy "p" {{
  max_session = "2h"
  window {{
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:00"
    timezone = "UTC"
  }}
}}
binding "a" {{
  role   = "r"
  policy = "p"
  subject {{
    kind    = "human"
    name    = "alice"
    openbao = "alice"
  }}
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "{expires}"
}}
"#
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("d.hcl", Syntax::Hcl, text));
        let c = crate::analyze(sources);
        assert!(!c.has_errors(), "{:?}", c.diagnostics);
        c.model
    }

    fn commit(hash: &str, at: &str) -> Commit {
        Commit {
            hash: hash.into(),
            time: at.parse().unwrap_or_default(),
            author: "a".into(),
            approved_by: vec!["lead".into()],
            summary: String::new(),
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn revisions_cut_intervals_and_issuance_extends_openings() {
        let mut ledger =
            Ledger::new(Period { since: t("2027-01-01T00:00:00Z"), until: t("2027-02-01T00:00:00Z"), subject: None });
        ledger.push(&commit("c1", "2027-01-03T00:00:00Z"), model("2027-01-09T00:00:00Z"));
        // Shortened on Wednesday at noon, inside a window.
        ledger.push(&commit("c2", "2027-01-06T12:00:00Z"), model("2027-01-07T00:00:00Z"));
        let h = ledger.finish();
        assert_eq!(h.commits, 2);
        let e = &h.bindings[0];
        assert_eq!(e.steps.iter().map(|s| s.commit.hash.as_str()).collect::<Vec<_>>(), ["c1", "c2"]);
        let spans = |v: &[Interval]| {
            v.iter().map(|i| (i.from.to_string(), i.to.to_string(), i.commit.clone())).collect::<Vec<_>>()
        };
        let s = |a: &str, z: &str, c: &str| (a.to_string(), z.to_string(), c.to_string());
        // The schedule: Monday to Wednesday 09-17, Wednesday cut at the commit.
        assert_eq!(
            spans(&e.active),
            [
                s("2027-01-04T09:00:00Z", "2027-01-04T17:00:00Z", "c1"),
                s("2027-01-05T09:00:00Z", "2027-01-05T17:00:00Z", "c1"),
                s("2027-01-06T09:00:00Z", "2027-01-06T12:00:00Z", "c1"),
                s("2027-01-06T12:00:00Z", "2027-01-06T17:00:00Z", "c2"),
            ]
        );
        // OpenBao checks windows at issuance: each opening lasts a session
        // longer, and ends at expires_at, which it enforces exactly.
        assert_eq!(
            spans(&e.targets[&Target::Openbao]),
            [
                s("2027-01-04T09:00:00Z", "2027-01-04T19:00:00Z", "c1"),
                s("2027-01-05T09:00:00Z", "2027-01-05T19:00:00Z", "c1"),
                s("2027-01-06T09:00:00Z", "2027-01-06T12:00:00Z", "c1"),
                s("2027-01-06T12:00:00Z", "2027-01-06T19:00:00Z", "c2"),
            ]
        );
        assert!(!e.targets.contains_key(&Target::Aws), "no aws block, no aws identity");
    }

    #[test]
    fn a_skipped_revision_leaves_the_one_before_in_force_and_subjects_filter() {
        let period = |subject: Option<&str>| Period {
            since: t("2027-01-04T00:00:00Z"),
            until: t("2027-01-05T00:00:00Z"),
            subject: subject.map(String::from),
        };
        let mut ledger = Ledger::new(period(None));
        ledger.push(&commit("c1", "2027-01-03T00:00:00Z"), model("2027-01-09T00:00:00Z"));
        ledger.skip(&commit("bad", "2027-01-04T10:00:00Z"));
        let h = ledger.finish();
        assert_eq!((h.commits, h.invalid.len()), (2, 1));
        assert_eq!(h.bindings[0].active.len(), 1);
        let mut other = Ledger::new(period(Some("bob")));
        other.push(&commit("c1", "2027-01-03T00:00:00Z"), model("2027-01-09T00:00:00Z"));
        assert!(other.finish().bindings.is_empty());
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
    }
}
