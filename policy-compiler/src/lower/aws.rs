//! AWS IAM: one Allow statement per active interval, time bounds on
//! `aws:CurrentTime` as literal UTC instants (AWS allows no variables there).
//! AWS has no weekday or hour key, so windows are unrolled: `expanded`.
//! The policy must fit AWS's size limits, measured as AWS measures them;
//! when the whole grant does not, a reference instant (`Options::as_of`)
//! gives a rolling horizon of whole weeks from the start of its UTC week:
//! `rolling`, with `valid_until` its end (nothing is allowed after it).

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::{active_intervals, Window};
use jiff::Timestamp;
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// AWS inline role policy limit, characters without whitespace.
pub const INLINE_LIMIT: usize = 10_240;
/// AWS managed policy limit, characters without whitespace.
pub const MANAGED_LIMIT: usize = 6_144;
pub const SESSION_MIN: i64 = 3_600;
pub const SESSION_MAX: i64 = 43_200;

/// A role's MaxSessionDuration for a policy's `max_session`, seconds: IAM
/// takes 1h to 12h.
pub fn session_duration(max_session: i64) -> i64 {
    max_session.clamp(SESSION_MIN, SESSION_MAX)
}

/// An IAM policy document: per interval, one Allow statement per shape
/// (actions on resources, and `sts:AssumeRole` on a role to assume), alike
/// but for their Sid and their `aws:CurrentTime` bounds. Kept as the shapes
/// and the intervals, and written out statement by statement.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    pub statements: Vec<StatementShape>,
    /// Half-open UTC intervals, in order: the statements of interval `i`
    /// (Sids `Jit{i*k+1}` to `Jit{i*k+k}` for `k` shapes) allow from the
    /// first instant until before the second.
    pub intervals: Vec<(Timestamp, Timestamp)>,
}

/// What every statement of a binding's policy shares.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementShape {
    pub action: Arc<[String]>,
    pub resource: Arc<[String]>,
    pub require: Require,
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

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = s.serialize_struct("PolicyDocument", 2)?;
        doc.serialize_field("Version", "2012-10-17")?;
        doc.serialize_field("Statement", &Statements(self))?;
        doc.end()
    }
}

struct Statements<'a>(&'a PolicyDocument);

impl Serialize for Statements<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let shapes = &self.0.statements;
        let k = shapes.len();
        s.collect_seq(self.0.intervals.iter().enumerate().flat_map(|(i, &(from, until))| {
            shapes.iter().enumerate().map(move |(j, shape)| Statement { i: i * k + j, shape, from, until })
        }))
    }
}

/// Statement `i` of a policy.
struct Statement<'a> {
    i: usize,
    shape: &'a StatementShape,
    from: Timestamp,
    until: Timestamp,
}

impl Serialize for Statement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Statement", 5)?;
        st.serialize_field("Sid", &Sid(self.i))?;
        st.serialize_field("Effect", "Allow")?;
        st.serialize_field("Action", &self.shape.action)?;
        st.serialize_field("Resource", &self.shape.resource)?;
        st.serialize_field("Condition", &Condition(self))?;
        st.end()
    }
}

struct Sid(usize);

impl Serialize for Sid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `Jit` and the number, written without the formatting machinery:
        // a policy has hundreds of thousands of them in a large compile.
        let mut buf = [0u8; 3 + 20];
        buf[..3].copy_from_slice(b"Jit");
        let (mut n, mut end) = (self.0 + 1, buf.len());
        loop {
            end -= 1;
            buf[end] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let digits = buf.len() - end;
        buf.copy_within(end.., 3);
        s.serialize_str(std::str::from_utf8(&buf[..3 + digits]).unwrap_or("Jit"))
    }
}

struct Condition<'a>(&'a Statement<'a>);

impl Serialize for Condition<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Statement { shape, from, until, .. } = self.0;
        Conditions { require: &shape.require, from: *from, until: *until }.serialize(s)
    }
}

/// What a statement requires of the caller besides the time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Require {
    pub ip: Option<SourceIp>,
    pub mfa: Option<Mfa>,
    pub tags: BTreeMap<String, String>,
}

impl Require {
    pub fn of(req: &crate::ir::Requirements) -> Require {
        Require {
            ip: (!req.source_cidrs.is_empty())
                .then(|| SourceIp { cidrs: req.source_cidrs.iter().map(|c| c.0.clone()).collect() }),
            mfa: req.mfa.then_some(Mfa { present: "true" }),
            tags: req.principal_tags.iter().map(|(k, v)| (format!("aws:PrincipalTag/{k}"), v.clone())).collect(),
        }
    }
}

/// A statement's `Condition`: the interval on `aws:CurrentTime` and the
/// requirements.
pub(crate) struct Conditions<'a> {
    pub require: &'a Require,
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Serialize for Conditions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.require;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("DateGreaterThanEquals", &CurrentTime(self.from))?;
        m.serialize_entry("DateLessThan", &CurrentTime(self.until))?;
        if let Some(ip) = &r.ip {
            m.serialize_entry("IpAddress", ip)?;
        }
        if let Some(mfa) = &r.mfa {
            m.serialize_entry("Bool", mfa)?;
        }
        if !r.tags.is_empty() {
            m.serialize_entry("StringEquals", &r.tags)?;
        }
        m.end()
    }
}

/// `{"aws:CurrentTime": "<RFC 3339, UTC, whole seconds>"}`.
pub(crate) struct CurrentTime(Timestamp);

impl Serialize for CurrentTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("aws:CurrentTime", &Instant(self.0))?;
        m.end()
    }
}

struct Instant(Timestamp);

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match utc_seconds(self.0) {
            Some(buf) => s.serialize_str(std::str::from_utf8(&buf).unwrap_or_default()),
            None => s.collect_str(&self.0),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for an instant in whole seconds of years
/// 0000-9999 (what [`Timestamp`]'s `Display` writes for those), by civil
/// arithmetic on the proleptic Gregorian calendar; `None` otherwise.
fn utc_seconds(t: Timestamp) -> Option<[u8; 20]> {
    if t.subsec_nanosecond() != 0 {
        return None;
    }
    let secs = t.as_second();
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 0000-03-01, split into 400-year eras of 146,097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let mut buf = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, sod / 3_600);
    put(14, 2, sod / 60 % 60);
    put(17, 2, sod % 60);
    Some(buf)
}

/// The AWS model of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsModel {
    pub policy: PolicyDocument,
    /// The role's MaxSessionDuration, seconds (3600..43200).
    pub max_session_duration: i64,
    /// Characters of the policy, whitespace not counted (as AWS counts).
    pub size: usize,
    /// Rolling: the end of the horizon the policy covers (nothing is allowed
    /// after it); `None` when it covers the whole grant.
    pub valid_until: Option<Timestamp>,
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
        let require = Require::of(&b.policy.require);
        // The actions on their resources; and, for elevation, the caller's
        // side of assuming the role (needed across accounts, harmless within
        // one), under the same conditions as the role's trust statement.
        let mut shapes = Vec::with_capacity(2);
        if !perms.actions.is_empty() {
            shapes.push(StatementShape {
                action: perms.actions.iter().map(|(a, _)| a.clone()).collect(),
                resource: perms.resources.iter().map(|(r, _)| r.clone()).collect(),
                require: require.clone(),
            });
        }
        if let Some((arn, _)) = &perms.assume_role {
            shapes.push(StatementShape {
                action: crate::ir::ASSUME_ROLE_ACTIONS.iter().map(|a| a.to_string()).collect(),
                resource: vec![arn.clone()].into(),
                require,
            });
        }
        if shapes.is_empty() {
            return None; // nothing granted (an empty list, reported)
        }
        let sizer = Sizer::new(&shapes);
        let fit = sizer.max_statements(INLINE_LIMIT);
        let windows = &b.policy.windows;
        // The whole grant, unrolled, if it fits; else a horizon from the
        // reference instant (`as_of`), or an error naming `--as-of`.
        let (intervals, valid_until) = match unroll(windows, b.not_before, b.expires_at, cx.options.as_of, fit) {
            Unrolled::Whole(all) => (all, None),
            Unrolled::Rolling(intervals, until) => (intervals, Some(until)),
            Unrolled::WeekTooLarge(n) => {
                too_large(
                    cx,
                    fit,
                    n,
                    "even one week of its windows does not fit",
                    "use fewer windows, or fewer actions and resources",
                );
                return None;
            }
            Unrolled::TooLarge(n) => {
                too_large(
                    cx,
                    fit,
                    n,
                    "the whole grant unrolled does not fit",
                    "compile with a reference instant (`jitc compile --as-of RFC3339`; the provider uses its last refresh) to cover a rolling horizon of whole weeks, or shorten the grant, use fewer windows, or fewer actions and resources",
                );
                return None;
            }
        };
        if intervals.is_empty() {
            // Never active (reported by validation, JIT055), or no window
            // left before expires_at: nothing to allow.
            return None;
        }
        let n = intervals.len();
        let size = sizer.size(n);
        if size > MANAGED_LIMIT {
            cx.report(
                Code::AwsOverManagedLimit,
                b.expires_span,
                format!("the policy has {size} characters in {n} statement(s): over the {MANAGED_LIMIT}-character managed policy limit, so attach it as an inline role policy"),
                "shorten the grant or use fewer windows to fit a managed policy",
            );
        }
        let max_session_duration = session_duration(b.policy.max_session);
        let enforcement = match (windows.is_empty(), valid_until) {
            (_, Some(_)) => Enforcement::Rolling,
            (true, None) => Enforcement::Exact,
            (false, None) => Enforcement::Expanded,
        };
        let policy = PolicyDocument { statements: shapes, intervals };
        Some(Lowered { model: AwsModel { policy, max_session_duration, size, valid_until }, enforcement })
    }
}

/// Characters of `{"Version":"2012-10-17","Statement":[]}`.
pub(crate) const POLICY_OVERHEAD: usize = 39;

/// The size of a policy, whitespace not counted (as AWS counts), from its
/// number of intervals: the statements of an interval differ from those of
/// another only in the digits of their Sids, since every instant is written
/// in whole UTC seconds (20 characters).
struct Sizer {
    /// Characters of one interval's statements, their Sids' digits and the
    /// commas between them not counted.
    base: usize,
    /// Statements per interval.
    per: usize,
}

impl Sizer {
    fn new(shapes: &[StatementShape]) -> Sizer {
        let t = Timestamp::UNIX_EPOCH;
        let one = PolicyDocument { statements: shapes.to_vec(), intervals: vec![(t, t)] };
        let per = shapes.len().max(1);
        // Sids Jit1..Jit{per}: one digit each while per < 10.
        let digits: usize = (1..=per).map(|i| i.to_string().len()).sum();
        let base = crate::measure::json_chars_without_whitespace(&one) - POLICY_OVERHEAD - digits - (per - 1);
        Sizer { base, per }
    }

    /// Characters of a policy of `n` intervals.
    fn size(&self, n: usize) -> usize {
        let statements = n * self.per;
        // Sid digits: 9 of one digit, 90 of two, ...
        let (mut digits, mut width, mut below) = (0, 1, 1usize);
        while below <= statements {
            let upto = statements.min(below * 10 - 1);
            digits += (upto - below + 1) * width;
            (width, below) = (width + 1, below * 10);
        }
        POLICY_OVERHEAD + n * self.base + digits + statements.saturating_sub(1)
    }

    /// How many intervals fit in `limit` characters.
    fn max_statements(&self, limit: usize) -> usize {
        // Bounded: every statement is at least `base` characters.
        let mut n = 0;
        while n < limit && self.size(n + 1) <= limit {
            n += 1;
        }
        n
    }
}

/// The grant's intervals from `from`, computed four weeks at a time until
/// `until` or until there are more than `max`; the flag says whether they
/// reached `until` (then they are all of them).
fn intervals_upto(
    windows: &[Window],
    from: Timestamp,
    until: Timestamp,
    max: usize,
) -> (Vec<(Timestamp, Timestamp)>, bool) {
    let mut out: Vec<(Timestamp, Timestamp)> = Vec::new();
    let mut start = from;
    while start < until {
        if out.len() > max {
            return (out, false);
        }
        let end = Timestamp::from_second(start.as_second().saturating_add(4 * WEEK)).unwrap_or(until).min(until);
        for (a, z) in active_intervals(windows, start, end) {
            // Merge an interval cut at a chunk boundary.
            match out.last_mut() {
                Some(last) if last.1 == a => last.1 = z,
                _ => out.push((a, z)),
            }
        }
        start = end;
    }
    let whole = out.len() <= max;
    (out, whole)
}

const WEEK: i64 = 7 * 86_400;

/// Monday 00:00 UTC of the week containing `t`.
pub fn week_start(t: Timestamp) -> Timestamp {
    let days_since_monday = (t.as_second().div_euclid(86_400) + 3).rem_euclid(7); // 1970-01-01 was a Thursday
    Timestamp::from_second(t.as_second().div_euclid(86_400) * 86_400 - days_since_monday * 86_400).unwrap_or(t)
}

/// A grant's intervals as its AWS policy covers them.
pub(crate) enum Unrolled {
    /// All of them: they fit.
    Whole(Vec<(Timestamp, Timestamp)>),
    /// A rolling horizon: the intervals before its end (the instant).
    Rolling(Vec<(Timestamp, Timestamp)>, Timestamp),
    /// Too many, and no reference instant: how many there are.
    TooLarge(usize),
    /// Not even the reference week fits: how many intervals it has.
    WeekTooLarge(usize),
}

/// The intervals of a grant from `from` to `until` that fit in `max`
/// statements. All of them if they fit; else, given a reference instant,
/// a rolling horizon: from Monday 00:00 UTC of the week containing it (kept
/// inside the grant), as many whole weeks as fit, never past `until`, with
/// intervals cut at both ends so that nothing is allowed outside it.
pub(crate) fn unroll(
    windows: &[Window],
    from: Timestamp,
    until: Timestamp,
    as_of: Option<Timestamp>,
    max: usize,
) -> Unrolled {
    let Some(as_of) = as_of else {
        let (all, whole) = intervals_upto(windows, from, until, max);
        return if whole {
            Unrolled::Whole(all)
        } else {
            Unrolled::TooLarge(active_intervals(windows, from, until).len())
        };
    };
    let last = Timestamp::from_second(until.as_second() - 1).unwrap_or(until);
    let start = week_start(as_of.max(from).min(last));
    let (mut kept, rest_fits) = intervals_upto(windows, start.max(from), until, max);
    if rest_fits {
        // The rest of the grant fits; the whole of it may too.
        if start <= from {
            return Unrolled::Whole(kept);
        }
        return match intervals_upto(windows, from, until, max) {
            (all, true) => Unrolled::Whole(all),
            _ => Unrolled::Rolling(kept, until),
        };
    }
    // The whole grant has at least as many intervals as its rest: it does
    // not fit either. The horizon ends at the last week boundary before
    // interval `max`, the first that does not fit.
    let first_out = kept[max].0;
    let weeks = (first_out.as_second() - start.as_second()) / WEEK;
    let end = Timestamp::from_second(start.as_second() + weeks * WEEK).unwrap_or(start);
    if weeks == 0 {
        let next = Timestamp::from_second(start.as_second() + WEEK).unwrap_or(until);
        return Unrolled::WeekTooLarge(kept.iter().take_while(|(a, _)| *a < next).count());
    }
    kept.retain(|(a, _)| *a < end);
    if let Some(last) = kept.last_mut() {
        last.1 = last.1.min(end);
    }
    Unrolled::Rolling(kept, end)
}

/// JIT052: the policy does not fit the inline policy limit.
/// `fit`: how many statements fit; `n`: how many there are.
fn too_large(cx: &mut Cx<'_>, fit: usize, n: usize, why: &str, help: &str) {
    let b = cx.binding;
    cx.report(
        Code::AwsPolicyTooLarge,
        b.expires_span,
        format!(
            "the policy for binding `{}` has {n} interval statement(s), over the {INLINE_LIMIT}-character inline policy limit ({fit} fit): {why}",
            b.name
        ),
        help.to_string(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap, Syntax};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_utc() {
        assert_eq!(week_start(ts("2027-03-10T12:00:00Z")), ts("2027-03-08T00:00:00Z"));
        assert_eq!(week_start(ts("2027-03-08T00:00:00Z")), ts("2027-03-08T00:00:00Z"));
        assert_eq!(week_start(ts("2027-03-07T23:59:59Z")), ts("2027-03-01T00:00:00Z"));
        assert_eq!(week_start(ts("1970-01-01T00:00:00Z")), ts("1969-12-29T00:00:00Z"));
    }

    /// A year of weekday windows (New York), three actions, two resources.
    fn year(as_of: Option<&str>) -> crate::Compilation {
        let text = r#"version = "jit/v1"
role "r" {
  aws {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
  }
}
policy "weekdays" {
  max_grant = "366d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:30"
    timezone = "America/New_York"
  }
}
binding "year" {
  role   = "r"
  policy = "weekdays"
  subject {
    kind = "workload"
    name = "w"
    aws  = "arn:aws:iam::123456789012:role/w"
  }
  not_before = "2027-01-06T12:00:00Z"
  expires_at = "2028-01-06T00:00:00Z"
}
"#;
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("year.hcl", Syntax::Hcl, text));
        let opts = crate::lower::Options { as_of: as_of.map(ts), ..Default::default() };
        crate::compile(sources, &[crate::target::Target::Aws], &opts)
    }

    fn model(c: &crate::Compilation) -> (AwsModel, Enforcement) {
        let out = c.outputs[0].get(crate::target::Target::Aws).expect("an aws output");
        (out.model::<AwsModel>().expect("the model").clone(), out.enforcement)
    }

    #[test]
    fn a_year_of_weekday_windows_needs_a_reference_instant() {
        let c = year(None);
        let e = c.diagnostics.errors().next().expect("JIT052");
        assert_eq!(e.code, Code::AwsPolicyTooLarge);
        assert!(e.help.as_deref().unwrap_or("").contains("--as-of"), "{e:?}");
    }

    #[test]
    fn a_rolling_horizon_covers_whole_weeks_from_the_reference_week_and_fits() {
        let c = year(Some("2027-03-10T12:00:00Z"));
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        let (m, e) = model(&c);
        assert_eq!(e, Enforcement::Rolling);
        assert!(m.size <= INLINE_LIMIT, "{} characters", m.size);
        let until = m.valid_until.expect("a horizon");
        assert_eq!(week_start(until), until, "the horizon ends on a Monday 00:00 UTC");
        let iv = &m.policy.intervals;
        assert_eq!(iv[0].0, ts("2027-03-08T14:00:00Z"), "from the reference week's Monday, 09:00 EST");
        // Fail closed: no statement reaches past the horizon.
        assert!(iv.iter().all(|(_, z)| *z <= until));
        // Across the DST change of 2027-03-14, 09:00 New York is 13:00Z.
        assert!(iv.iter().any(|(a, _)| *a == ts("2027-03-15T13:00:00Z")));
        // As many whole weeks as fit: one more would not.
        let json = serde_json::to_value(&m.policy).unwrap_or_default();
        assert_eq!(json["Statement"].as_array().map(Vec::len), Some(iv.len()));
        assert_eq!(
            json["Statement"][0]["Condition"]["DateGreaterThanEquals"]["aws:CurrentTime"],
            "2027-03-08T14:00:00Z"
        );
        let weeks = (until.as_second() - ts("2027-03-08T00:00:00Z").as_second()) / WEEK;
        assert_eq!(weeks as usize, iv.len() / 5, "five windows a week, none cut");
        assert!(Sizer::new(&m.policy.statements).size(iv.len() + 5) > INLINE_LIMIT, "a week more would not fit");
    }

    #[test]
    fn the_reference_instant_is_kept_inside_the_grant() {
        // Before the grant: from its first week. After it: its last week.
        let (before, _) = model(&year(Some("2020-01-01T00:00:00Z")));
        assert_eq!(before.policy.intervals[0].0, ts("2027-01-06T14:00:00Z"));
        let (after, _) = model(&year(Some("2030-01-01T00:00:00Z")));
        assert_eq!(after.valid_until, Some(ts("2028-01-06T00:00:00Z")), "capped at expires_at");
        assert!(after.policy.intervals.iter().all(|(a, _)| *a >= ts("2028-01-03T00:00:00Z")));
    }

    #[test]
    fn a_grant_that_fits_is_not_rolled_whatever_the_reference() {
        let text = year(None).sources.files().next().map(|(_, f)| f.text.clone()).unwrap();
        let short = text.replace("2028-01-06T00:00:00Z", "2027-01-20T00:00:00Z");
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("short.hcl", Syntax::Hcl, short));
        let opts = crate::lower::Options { as_of: Some(ts("2027-01-15T00:00:00Z")), ..Default::default() };
        let c = crate::compile(sources, &[crate::target::Target::Aws], &opts);
        let (m, e) = model(&c);
        assert_eq!((e, m.valid_until), (Enforcement::Expanded, None));
        assert_eq!(m.policy.intervals[0].0, ts("2027-01-06T14:00:00Z"));
    }

    #[test]
    fn a_week_that_does_not_fit_is_an_error_counting_its_intervals() {
        let actions: Vec<String> = (0..40).map(|i| format!("\"s3:GetObjectVersionTagging{i:04}\"")).collect();
        let window = |h: u8| {
            format!("  window {{\n    days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n    start = \"{h:02}:00\"\n    end = \"{h:02}:30\"\n    timezone = \"UTC\"\n  }}\n")
        };
        let text = format!(
            "version = \"jit/v1\"\nrole \"r\" {{\n  aws {{\n    actions = [{}]\n    resources = [\"arn:aws:s3:::reports\"]\n  }}\n}}\npolicy \"p\" {{\n  max_grant = \"30d\"\n{}{}{}}}\nbinding \"b\" {{\n  role = \"r\"\n  policy = \"p\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws = \"arn:aws:iam::123456789012:role/w\"\n  }}\n  not_before = \"2027-03-01T00:00:00Z\"\n  expires_at = \"2027-03-29T00:00:00Z\"\n}}\n",
            actions.join(", "),
            window(1),
            window(5),
            window(9)
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("wide.hcl", Syntax::Hcl, text));
        let opts = crate::lower::Options { as_of: Some(ts("2027-03-10T00:00:00Z")), ..Default::default() };
        let c = crate::compile(sources, &[crate::target::Target::Aws], &opts);
        let e = c.diagnostics.errors().next().expect("JIT052");
        assert_eq!(e.code, Code::AwsPolicyTooLarge);
        assert!(
            e.message.contains("has 21 interval statement(s)") && e.message.contains("even one week"),
            "{}",
            e.message
        );
    }

    /// The hand-written instants and Sids are what `Display` writes.
    #[test]
    fn instants_and_sids_are_written_as_display_writes_them() {
        let mut t = ts("0000-01-01T00:00:00Z").as_second();
        let end = Timestamp::MAX.as_second();
        // Every 9,999,991 seconds (a prime: hours, days and leap days all
        // vary), and the ends.
        while t <= end {
            let at = Timestamp::from_second(t).unwrap_or_default();
            assert_eq!(serde_json::to_string(&Instant(at)).unwrap_or_default(), format!("\"{at}\""));
            t += 9_999_991;
        }
        for at in [
            "9999-12-30T21:59:59Z",
            "2000-02-29T12:00:00Z",
            "2100-03-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2027-03-14T07:00:00Z",
        ] {
            assert_eq!(serde_json::to_string(&Instant(ts(at))).unwrap_or_default(), format!("\"{at}\""));
        }
        let frac = ts("2027-03-14T07:00:00.5Z");
        assert_eq!(serde_json::to_string(&Instant(frac)).unwrap_or_default(), format!("\"{frac}\""));
        for i in [0, 8, 9, 99, 12_344, usize::MAX - 1] {
            assert_eq!(serde_json::to_string(&Sid(i)).unwrap_or_default(), format!("\"Jit{}\"", i + 1));
        }
    }

    /// The size computed from the number of statements is the size of the
    /// document written out, whitespace not counted, across Sid widths.
    #[test]
    fn the_size_is_the_written_size() {
        let shape = StatementShape {
            action: vec!["s3:GetObject".to_string(), "s3:List\"Bucket".to_string()].into(),
            resource: vec!["arn:aws:s3:::b/*".to_string()].into(),
            require: Require {
                ip: Some(SourceIp { cidrs: vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()] }),
                mfa: Some(Mfa { present: "true" }),
                tags: [("aws:PrincipalTag/team".to_string(), "pay ments".to_string())].into(),
            },
        };
        let assume = StatementShape {
            action: vec!["sts:AssumeRole".to_string(), "sts:TagSession".to_string()].into(),
            resource: vec!["arn:aws:iam::123456789012:role/backup-admin".to_string()].into(),
            require: Require::default(),
        };
        let t = ts("2027-03-08T14:00:00Z");
        for shapes in [vec![shape.clone()], vec![shape, assume]] {
            let sizer = Sizer::new(&shapes);
            for n in [1, 2, 4, 5, 9, 10, 11, 49, 50, 51, 99, 100, 101, 150] {
                let doc = PolicyDocument { statements: shapes.clone(), intervals: vec![(t, t); n] };
                let k = shapes.len();
                assert_eq!(sizer.size(n), crate::measure::json_chars_without_whitespace(&doc), "{n} x {k} statements");
            }
            let fit = sizer.max_statements(INLINE_LIMIT);
            assert!(sizer.size(fit) <= INLINE_LIMIT && sizer.size(fit + 1) > INLINE_LIMIT);
        }
    }
}
