//! AWS elevation: the statements of the trust policy of a role the subject
//! may assume (`aws { assume_role = ARN }`). One Allow statement per active
//! interval, naming the subject as principal, for `sts:AssumeRole` and
//! `sts:TagSession`, bounded on `aws:CurrentTime` as the AWS target's
//! identity statements are (windows unrolled, rolling horizons when they
//! do not fit).
//!
//! A trust policy is checked when the role is assumed, not at the requests
//! the session makes afterwards: a session started inside the grant lasts
//! up to the role's `MaxSessionDuration`, past a window's end or
//! `expires_at`. The enforcement table says "at issuance" for those, with
//! warning `JIT110`.
//!
//! Size: a role has one trust policy, limited as a whole (2,048 characters
//! by default, 4,096 at most), and every binding assuming the role shares
//! it. Each binding gets an equal share ([`super::Peers::assuming`]), so
//! the merged policy fits by construction and each binding's statements do
//! not depend on how the others' are laid out.

use super::aws::{session_duration, unroll, Conditions, Require, Unrolled, POLICY_OVERHEAD};
use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::ASSUME_ROLE_ACTIONS;
use jiff::Timestamp;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;

/// The role trust policy length quota's default, characters without
/// whitespace.
pub const TRUST_LIMIT_DEFAULT: usize = 2_048;
/// The most the quota can be raised to.
pub const TRUST_LIMIT_MAX: usize = 4_096;

/// One binding's part of the trust policy of the role it may assume.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustModel {
    /// The assumed role's ARN.
    pub role_arn: String,
    /// The subject's IAM ARN (`Principal.AWS`).
    pub principal: String,
    pub require: Require,
    /// Half-open UTC intervals, one statement each.
    pub intervals: Vec<(Timestamp, Timestamp)>,
    /// What the binding asks of the role's MaxSessionDuration, seconds.
    pub max_session_duration: i64,
    /// Rolling: the end of the horizon covered (nothing is allowed after
    /// it); `None` when the statements cover the whole grant.
    pub valid_until: Option<Timestamp>,
}

impl TrustModel {
    /// The binding's statements, in interval order.
    pub fn statements(&self) -> impl Iterator<Item = TrustStatement<'_>> + '_ {
        self.intervals.iter().map(move |&(from, until)| TrustStatement { model: self, from, until })
    }
}

/// A trust policy document of the statements of some bindings, in order.
#[derive(Debug, Clone)]
pub struct TrustPolicy<'a>(pub Vec<&'a TrustModel>);

impl Serialize for TrustPolicy<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = s.serialize_struct("TrustPolicy", 2)?;
        doc.serialize_field("Version", "2012-10-17")?;
        doc.serialize_field("Statement", &Statements(&self.0))?;
        doc.end()
    }
}

struct Statements<'a>(&'a [&'a TrustModel]);

impl Serialize for Statements<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().flat_map(|m| m.statements()))
    }
}

#[derive(Debug)]
/// One statement: no `Sid`, so the statements of several bindings merge
/// without clashes (and every statement of a binding has the same length).
pub struct TrustStatement<'a> {
    model: &'a TrustModel,
    from: Timestamp,
    until: Timestamp,
}

impl Serialize for TrustStatement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Statement", 4)?;
        st.serialize_field("Effect", "Allow")?;
        st.serialize_field("Principal", &Principal(&self.model.principal))?;
        st.serialize_field("Action", ASSUME_ROLE_ACTIONS)?;
        let require = &self.model.require;
        st.serialize_field("Condition", &Conditions { require, from: self.from, until: self.until })?;
        st.end()
    }
}

struct Principal<'a>(&'a str);

impl Serialize for Principal<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("AWS", self.0)?;
        m.end()
    }
}

/// The AWS elevation target.
#[derive(Debug, Clone, Copy)]
pub struct AwsTrust;

impl Lowering for AwsTrust {
    type Model = TrustModel;
    const ROLE_BLOCK: Option<&'static str> = Some("aws");
    /// The subject's `aws` identity is the trust statements' principal; a
    /// subject without one is skipped here silently, since the `aws`
    /// target reports it (`JIT100`) for the same block.
    const IDENTITY: Option<&'static str> = None;
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::AtIssuance, Some(Code::CheckedAtAssume)),
        enforces(Feature::Windows, How::AtIssuance, Some(Code::CheckedAtAssume)),
        enforces(Feature::MaxSession, How::Bounded, Some(Code::SessionNotEnforced)),
        enforces(Feature::Mfa, How::Exact, None),
        enforces(Feature::SourceCidrs, How::AtIssuance, Some(Code::CheckedAtAssume)),
        enforces(Feature::PrincipalTags, How::AtIssuance, Some(Code::CheckedAtAssume)),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<TrustModel>> {
        let b = cx.binding;
        let (role_arn, arn_span) = b.role.aws.as_ref()?.assume_role.clone()?;
        let principal = b.subject.identity("aws")?.to_string();
        let p = &b.policy;
        let max_session_duration = session_duration(p.max_session);
        if let Some(span) = p.max_session_span.filter(|_| p.max_session != max_session_duration) {
            cx.report(
                Code::SessionNotEnforced,
                span,
                format!(
                    "max_session {} of binding `{}` is enforced as {} on `{role_arn}`: a role's MaxSessionDuration is 1h to 12h",
                    crate::resolve::values::format_duration(p.max_session),
                    b.name,
                    crate::resolve::values::format_duration(max_session_duration),
                ),
                "set max_session between 1h and 12h to say what AWS enforces",
            );
        }
        let require = Require::of(&p.require);
        let mut model =
            TrustModel { role_arn, principal, require, intervals: Vec::new(), max_session_duration, valid_until: None };
        // This binding's equal share of the role's trust policy.
        let limit = cx.options.aws_trust_policy_limit.clamp(POLICY_OVERHEAD + 1, TRUST_LIMIT_MAX);
        let sharing = cx.peers.assuming(&model.role_arn);
        let statement = statement_size(&model);
        let share = (limit - POLICY_OVERHEAD + 1) / sharing;
        let fit = share / (statement + 1);
        let too_large = |cx: &mut Cx<'_>, n: usize, why: &str, help: &str| {
            cx.report(
                Code::AwsTrustPolicyTooLarge,
                arn_span,
                format!(
                    "binding `{}` needs {n} trust statement(s) of {statement} characters on `{}`, over its share of the {limit}-character trust policy limit ({fit} fit; {sharing} binding(s) assume the role): {why}",
                    b.name, model.role_arn
                ),
                help.to_string(),
            );
        };
        let raise = "raise the account's role trust policy quota (at most 4,096 characters) and compile with `--aws-trust-policy-limit`, let fewer bindings assume the role, or use fewer windows";
        match unroll(&p.windows, b.not_before, b.expires_at, cx.options.as_of, fit) {
            Unrolled::Whole(all) => model.intervals = all,
            Unrolled::Rolling(intervals, until) => (model.intervals, model.valid_until) = (intervals, Some(until)),
            Unrolled::WeekTooLarge(n) => {
                too_large(cx, n, "even one week of its windows does not fit", raise);
                return None;
            }
            Unrolled::TooLarge(n) => {
                // Would a rolling horizon help? Not if one week does not fit.
                if let Unrolled::WeekTooLarge(w) =
                    unroll(&p.windows, b.not_before, b.expires_at, Some(b.not_before), fit)
                {
                    too_large(cx, w, "even one week of its windows does not fit", raise);
                    return None;
                }
                too_large(
                    cx,
                    n,
                    "the whole grant unrolled does not fit",
                    "compile with a reference instant (`jitc compile --as-of RFC3339`; the provider uses its last refresh) to cover a rolling horizon of whole weeks; or raise the trust policy quota and `--aws-trust-policy-limit`",
                );
                return None;
            }
        }
        if model.intervals.is_empty() {
            return None;
        }
        // What the trust policy checks only when the role is assumed.
        let mut late = vec!["expires_at"];
        if !p.windows.is_empty() {
            late.push("its windows");
        }
        if !p.require.source_cidrs.is_empty() {
            late.push("source_cidrs");
        }
        if !p.require.principal_tags.is_empty() {
            late.push("principal_tags");
        }
        cx.report(
            Code::CheckedAtAssume,
            b.expires_span,
            format!(
                "binding `{}` elevates to `{}`, whose trust policy checks {} only when the role is assumed: a session started inside the grant lasts up to MaxSessionDuration ({}) after it ends",
                b.name,
                model.role_arn,
                join(&late),
                crate::resolve::values::format_duration(max_session_duration),
            ),
            "keep max_session short on policies for elevation; the assumed role's MaxSessionDuration bounds the overrun",
        );
        let enforcement = if model.valid_until.is_some() { Enforcement::Rolling } else { Enforcement::Issuance };
        Some(Lowered { model, enforcement })
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Characters of one statement of `m`, whitespace not counted: every
/// statement of a binding has the same length (instants are 20 characters).
fn statement_size(m: &TrustModel) -> usize {
    let t = Timestamp::UNIX_EPOCH;
    let one = TrustModel { intervals: vec![(t, t)], ..m.clone() };
    crate::measure::json_chars_without_whitespace(&TrustPolicy(vec![&one])) - POLICY_OVERHEAD
}

/// Characters of a trust policy, whitespace not counted, as AWS counts.
pub fn size(policy: &TrustPolicy<'_>) -> usize {
    crate::measure::json_chars_without_whitespace(policy)
}

#[cfg(test)]
mod tests {
    use crate::diag::Code;
    use crate::source::{SourceFile, SourceMap, Syntax};

    const DOC: &str = r#"version = "jit/v1"
role "admin" {
  aws {
    assume_role = "arn:aws:iam::123456789012:role/admin"
  }
}
policy "nights" {
  max_session = "20m"
  window {
    days     = ["sun"]
    start    = "22:00"
    end      = "02:00"
    timezone = "Europe/Paris"
  }
  require {
    source_cidrs = ["10.0.0.0/8"]
  }
}
binding "job" {
  role   = "admin"
  policy = "nights"
  subject {
    kind = "workload"
    name = "job"
    aws  = "arn:aws:iam::123456789012:role/job"
  }
  not_before = "2027-01-01T00:00:00Z"
  expires_at = "2027-01-20T00:00:00Z"
}
"#;

    fn compile() -> crate::Compilation {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("e.hcl", Syntax::Hcl, DOC));
        crate::compile(sources, &[crate::target::Target::AwsTrust], &crate::lower::Options::default())
    }

    /// JIT110 at `expires_at`, naming what is checked only at assume time;
    /// JIT108 at `max_session`, raised to the role's 1h minimum.
    #[test]
    fn an_elevation_warns_at_its_lines_what_is_checked_at_assume_time() {
        let c = compile();
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        let located: Vec<_> = c.diagnostics.warnings().map(|d| d.locate(&c.sources)).collect();
        let at = located.iter().find(|l| l.code == Code::CheckedAtAssume.as_str()).expect("JIT110");
        assert_eq!(at.line, 28, "at expires_at");
        for word in ["expires_at", "its windows", "source_cidrs", "1h"] {
            assert!(at.message.contains(word), "{word}: {}", at.message);
        }
        let session = located.iter().find(|l| l.code == Code::SessionNotEnforced.as_str()).expect("JIT108");
        assert_eq!(session.line, 8, "at max_session");
        let text = crate::explain::explain(&c.model, None);
        assert!(text.contains("elevation:      may assume arn:aws:iam::123456789012:role/admin"), "{text}");
        assert!(text.contains("up to 1h past a window's end or expires_at"), "{text}");
    }

    /// Three Sunday nights fit one binding's whole 2,048 characters.
    #[test]
    fn a_short_grant_fits_whole() {
        let c = compile();
        let out = c.outputs[0].get(crate::target::Target::AwsTrust).expect("output");
        let m = out.model::<super::TrustModel>().expect("model");
        assert_eq!((m.valid_until, m.max_session_duration), (None, 3_600));
        assert_eq!(m.intervals.len(), 3, "{:?}", m.intervals);
        assert!(super::size(&super::TrustPolicy(vec![m])) <= super::TRUST_LIMIT_DEFAULT);
    }
}
