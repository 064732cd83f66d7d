//! Interpreting text values: durations, timestamps, times of day, days,
//! zones, networks and identities.

use crate::ast::shape::{DAYS, HTTP_METHODS};
use crate::ast::Str;
use crate::diag::{did_you_mean, Code, Diagnostic};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::net::IpAddr;

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// `90m`, `1h30m`, `30d`, `2w` -> seconds.
pub fn duration(s: &Str, field: &str) -> Result<i64, Diagnostic> {
    let bad = || {
        Diagnostic::at(Code::BadDuration, s.span, format!("`{}` is not a valid duration for `{field}`", s.value))
            .with_help("write a whole number followed by a unit: s, m, h, d or w, e.g. \"15m\", \"1h30m\", \"30d\"")
    };
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in s.value.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => MINUTE,
            'h' => HOUR,
            'd' => DAY,
            'w' => 7 * DAY,
            _ => return Err(bad()),
        };
        if digits.is_empty() || digits.len() > 9 {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        total = total.checked_add(n.checked_mul(unit).ok_or_else(bad)?).ok_or_else(bad)?;
        digits.clear();
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    if total == 0 {
        return Err(Diagnostic::at(Code::BadDuration, s.span, format!("`{field}` must be longer than zero"))
            .with_help("give a positive duration"));
    }
    Ok(total)
}

/// Render seconds in the largest exact units, e.g. `1h30m`.
pub fn format_duration(mut secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, name) in [(DAY, "d"), (HOUR, "h"), (MINUTE, "m"), (1, "s")] {
        if secs >= unit {
            out.push_str(&format!("{}{name}", secs / unit));
            secs %= unit;
        }
    }
    out
}

/// An RFC 3339 instant: `YYYY-MM-DDTHH:MM:SS` then `Z` or `+HH:MM`,
/// without fractions or leap seconds (AWS takes whole seconds).
pub fn timestamp(s: &Str, field: &str) -> Result<Timestamp, Diagnostic> {
    let bad = |why: &str| {
        Diagnostic::at(Code::BadTimestamp, s.span, format!("`{}` is not a valid RFC 3339 time for `{field}`{why}", s.value))
            .with_help("write date, time with seconds, and an offset, e.g. \"2026-12-01T00:00:00Z\" or \"2026-12-01T09:00:00+01:00\"")
    };
    let v = s.value.as_str();
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| v.get(r).and_then(|d| d.parse::<u32>().ok()).unwrap_or(99);
    if b.len() < 11 || b.get(10) != Some(&b'T') {
        return Err(bad(": it needs a time after `T`"));
    }
    let shape_ok = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape_ok {
        return Err(bad(": write the time as HH:MM:SS"));
    }
    let offset = &v[19..];
    if offset.starts_with('.') || offset.starts_with(',') {
        return Err(bad(": fractions of a second are not allowed (AWS conditions take whole seconds)"));
    }
    let offset_ok = offset == "Z"
        || (offset.len() == 6
            && matches!(offset.as_bytes()[0], b'+' | b'-')
            && digits(20..22)
            && offset.as_bytes()[3] == b':'
            && digits(23..25)
            && num(20..22) <= 23
            && num(23..25) <= 59);
    if !offset_ok {
        return Err(bad(": it needs `Z` or an offset from -23:59 to +23:59 such as `+01:00`"));
    }
    if num(11..13) > 23 || num(14..16) > 59 || num(17..19) > 59 {
        return Err(bad(": hours are 00..23, minutes and seconds 00..59 (no leap seconds)"));
    }
    v.parse::<Timestamp>().map_err(|_| bad(": no such date"))
}

/// `HH:MM` -> minutes after midnight.
pub fn time_of_day(s: &Str, field: &str) -> Result<u16, Diagnostic> {
    let bad = || {
        Diagnostic::at(Code::BadTimeOfDay, s.span, format!("`{}` is not a valid time of day for `{field}`", s.value))
            .with_help("write 24-hour `HH:MM`, from \"00:00\" to \"23:59\"")
    };
    let b = s.value.as_bytes();
    if b.len() != 5 || b[2] != b':' || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
        return Err(bad());
    }
    let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// `mon` -> 1 (Sunday = 0). Only the three-letter lowercase names are
/// accepted (as the JSON Schema says); near misses get a suggestion.
pub fn day(s: &Str) -> Result<u8, Diagnostic> {
    if let Some(i) = DAYS.iter().position(|d| *d == s.value) {
        return Ok(i as u8);
    }
    let lower = s.value.to_ascii_lowercase();
    let key = lower.get(..3).unwrap_or(&lower);
    let help = match DAYS.iter().position(|d| *d == key) {
        Some(i) => format!("did you mean `{}`?", DAYS[i]),
        None => "days are sun, mon, tue, wed, thu, fri, sat".to_string(),
    };
    Err(Diagnostic::at(Code::BadDay, s.span, format!("`{}` is not a day of the week", s.value)).with_help(help))
}

/// An IANA zone from the bundled tz database.
pub fn zone(s: &Str) -> Result<TimeZone, Diagnostic> {
    let exact = jiff::tz::db().get(&s.value).ok().filter(|tz| tz.iana_name() == Some(s.value.as_str()));
    if let Some(tz) = exact {
        if s.value != "UTC" && !s.value.contains('/') && !matches!(s.value.as_str(), "GMT" | "Etc/UTC") {
            // Abbreviations like `CET` or `EST` are in the database but are
            // fixed-offset or ambiguous legacy names.
            return Err(Diagnostic::at(
                Code::UnknownTimeZone,
                s.span,
                format!("`{}` is a legacy zone abbreviation, not an IANA location", s.value),
            )
            .with_help(
                "use a location such as \"Europe/Paris\" or \"America/New_York\" so daylight saving time is followed",
            ));
        }
        return Ok(tz);
    }
    let names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_string()).collect();
    let lower = s.value.to_ascii_lowercase();
    let exact_ci = names.iter().find(|n| n.to_ascii_lowercase() == lower).cloned();
    let hint = exact_ci.or_else(|| did_you_mean(&s.value, names.iter().map(String::as_str)).map(str::to_string));
    let help = match hint {
        Some(h) => format!("did you mean `{h}`?"),
        None => "use an IANA time zone name such as \"Europe/Paris\" or \"UTC\"".to_string(),
    };
    Err(Diagnostic::at(Code::UnknownTimeZone, s.span, format!("unknown time zone `{}`", s.value)).with_help(help))
}

/// An IPv4 or IPv6 network without host bits, in canonical form.
pub fn cidr(s: &Str) -> Result<String, Diagnostic> {
    let bad = |why: String, help: String| Diagnostic::at(Code::BadCidr, s.span, why).with_help(help);
    let generic =
        || format!("write an address and a prefix length, e.g. \"10.0.0.0/8\" or \"2001:db8::/32\" (`{}`)", s.value);
    let Some((addr, len)) = s.value.split_once('/') else {
        return Err(if s.value.parse::<IpAddr>().is_ok() {
            bad(
                format!("`{}` is an address, not a CIDR block", s.value),
                format!("add the prefix length, e.g. `{}/32` for one host", s.value),
            )
        } else {
            bad(format!("`{}` is not a CIDR block", s.value), generic())
        });
    };
    let addr: IpAddr =
        addr.parse().map_err(|_| bad(format!("`{}` is not a CIDR block: bad address", s.value), generic()))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u32 = len
        .parse()
        .ok()
        .filter(|l| *l <= max && !len.starts_with('+'))
        .ok_or_else(|| bad(format!("`{}` is not a CIDR block: the prefix must be 0..{max}", s.value), generic()))?;
    let network = match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            IpAddr::V6((bits & mask).into())
        }
    };
    if network != addr {
        return Err(bad(
            format!("`{}` has host bits set after the /{len} prefix", s.value),
            format!("did you mean `{network}/{len}`?"),
        ));
    }
    Ok(format!("{network}/{len}"))
}

/// A name of a role, policy or binding.
pub fn name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

/// A GUID as Azure prints object ids.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An IAM role ARN, for `aws.assume_role`: `arn:PARTITION:iam::ACCOUNT:role/`
/// then an optional path and the role's name (1 to 64 of `A-Za-z0-9+=,.@_-`).
pub fn role_arn(s: &Str) -> Result<String, Diagnostic> {
    let v = &s.value;
    match role_arn_problem(v) {
        None => Ok(v.clone()),
        Some(problem) => {
            Err(Diagnostic::at(Code::BadRoleArn, s.span, format!("`{v}` is not an IAM role ARN: {problem}"))
                .with_help("write the ARN of the role to assume, e.g. `arn:aws:iam::123456789012:role/backup-admin`"))
        }
    }
}

/// Why `v` is not an IAM role ARN, if it is not.
pub fn role_arn_problem(v: &str) -> Option<&'static str> {
    let parts: Vec<&str> = v.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return Some("an ARN has six `:`-separated parts");
    };
    if arn != "arn" || !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
        return Some("it must start with `arn:aws:` (or `arn:aws-cn:`, `arn:aws-us-gov:`)");
    }
    if service != "iam" || !region.is_empty() {
        return Some("the service is `iam` and the region is empty: `arn:aws:iam::`");
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Some("the account is 12 digits");
    }
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Some("the resource is `role/NAME` (a user or an assumed-role session cannot be assumed)");
    };
    let (path, name) = path_and_name.rsplit_once('/').unwrap_or(("", path_and_name));
    if !path.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Some("the role's path has a character IAM does not allow");
    }
    let name_ok = |b: u8| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b);
    if name.is_empty() || name.len() > 64 || !name.bytes().all(name_ok) {
        return Some("the role name is 1 to 64 of letters, digits and `+=,.@_-` (no wildcard)");
    }
    None
}

/// A mesh service name: a DNS-1123 label.
pub fn service(s: &Str) -> Result<String, Diagnostic> {
    let v = &s.value;
    let b = v.as_bytes();
    let label = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let ok = !b.is_empty()
        && b.len() <= 63
        && label(&b[0])
        && label(&b[b.len() - 1])
        && b.iter().all(|c| label(c) || *c == b'-');
    if ok {
        return Ok(v.clone());
    }
    let lower = v.to_ascii_lowercase();
    let help = if v.contains('.') {
        format!("write the first label of the service's host only, e.g. `{}`", v.split('.').next().unwrap_or_default())
    } else if lower != *v && lower.bytes().all(|c| label(&c) || c == b'-') {
        format!("service names are lower case: `{lower}`")
    } else {
        "write a DNS-1123 label: 1 to 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"
            .to_string()
    };
    Err(Diagnostic::at(Code::BadServiceName, s.span, format!("`{v}` is not a service name (a DNS-1123 label)"))
        .with_help(help))
}

/// An HTTP method, upper case.
pub fn http_method(s: &Str) -> Result<String, Diagnostic> {
    let v = &s.value;
    if HTTP_METHODS.contains(&v.as_str()) {
        return Ok(v.clone());
    }
    let upper = v.to_ascii_uppercase();
    let help = if HTTP_METHODS.contains(&upper.as_str()) {
        format!("methods are upper case, as Envoy reports them: `{upper}`")
    } else {
        format!("write one of {}", HTTP_METHODS.join(", "))
    };
    Err(Diagnostic::at(Code::BadHttpMethod, s.span, format!("`{v}` is not an HTTP method")).with_help(help))
}

/// An HTTP path pattern: an exact path, or a prefix ending in `/*`.
pub fn http_path(s: &Str) -> Result<String, Diagnostic> {
    let v = &s.value;
    let bad = |why: &str, help: String| {
        Err(Diagnostic::at(Code::BadHttpPath, s.span, format!("`{v}` is not a path pattern: {why}")).with_help(help))
    };
    if !v.starts_with('/') {
        return bad(
            "it does not start with `/`",
            format!("write an absolute path, e.g. `/{}`", v.trim_start_matches('/')),
        );
    }
    if let Some(i) = v.find(['?', '#']) {
        return bad(
            "queries and fragments are not part of the path Envoy matches",
            format!("write the path only: `{}`", &v[..i]),
        );
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it contains white space", "percent-encode it as the request carries it, e.g. `%20`".into());
    }
    if let Some(star) = v.find('*') {
        if star != v.len() - 1 || !v.ends_with("/*") {
            let fix = format!("{}/*", v[..star].trim_end_matches('/'));
            return bad(
                "`*` may only end a prefix, as `/prefix/*`",
                format!("write `{fix}` for everything under the prefix, or list the paths"),
            );
        }
    }
    Ok(v.clone())
}

/// Why `v` is not a SPIFFE ID usable as a workload identity, if it is not
/// (`spiffe://` trust domain, then a path; no query, fragment, port or
/// user; segments of letters, digits, `.`, `-` and `_`).
pub fn spiffe_problem(v: &str) -> Option<String> {
    let Some(rest) = v.strip_prefix("spiffe://") else {
        return Some(match v.split_once("://") {
            Some((scheme, _)) => format!("the scheme is `{scheme}`, not `spiffe`"),
            None => "it does not start with `spiffe://`".into(),
        });
    };
    if v.len() > 2048 {
        return Some("it is longer than 2048 bytes".into());
    }
    if rest.contains(['?', '#']) {
        return Some("a SPIFFE ID has no query or fragment".into());
    }
    let (domain, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if domain.is_empty() {
        return Some("the trust domain is empty".into());
    }
    if domain.contains(':') {
        return Some("the trust domain has a port".into());
    }
    if domain.contains('@') {
        return Some("the trust domain has a user part".into());
    }
    if !domain.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b".-_".contains(&c)) {
        return Some(format!(
            "the trust domain `{domain}` has characters other than lower-case letters, digits, `.`, `-` and `_`"
        ));
    }
    if path.is_empty() || path == "/" {
        return Some("a workload's SPIFFE ID has a path after the trust domain".into());
    }
    for seg in path[1..].split('/') {
        if seg.is_empty() {
            return Some("the path has an empty segment (`//` or a trailing `/`)".into());
        }
        if seg == "." || seg == ".." {
            return Some("the path has a `.` or `..` segment".into());
        }
        if !seg.bytes().all(|c| c.is_ascii_alphanumeric() || b".-_".contains(&c)) {
            return Some(format!(
                "the path segment `{seg}` has characters other than letters, digits, `.`, `-` and `_`"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Span, Spanned};

    #[test]
    fn spiffe_ids() {
        assert_eq!(spiffe_problem("spiffe://acme.example/ns/reporting/sa/bot"), None);
        for bad in [
            "acme.example/ns/a",
            "https://acme.example/ns/a",
            "spiffe://Acme.example/ns/a",
            "spiffe://acme.example:443/ns/a",
            "spiffe://acme.example",
            "spiffe://acme.example/",
            "spiffe://acme.example/ns//a",
            "spiffe://acme.example/ns/a/",
            "spiffe://acme.example/ns/a?x=1",
            "spiffe://acme.example/ns/a#f",
            "spiffe://acme.example/ns/../a",
            "spiffe://u@acme.example/ns/a",
        ] {
            assert!(spiffe_problem(bad).is_some(), "{bad} should be refused");
        }
    }

    #[test]
    fn mesh_values() {
        assert!(service(&s("payments-api")).is_ok());
        for bad in ["Payments", "payments.svc", "-a", "a-", ""] {
            assert_eq!(service(&s(bad)).unwrap_err().code, Code::BadServiceName, "{bad}");
        }
        assert!(http_method(&s("GET")).is_ok());
        assert!(http_method(&s("get")).unwrap_err().help.unwrap().contains("`GET`"));
        for ok in ["/", "/v1/reports", "/v1/reports/*", "/*"] {
            assert!(http_path(&s(ok)).is_ok(), "{ok}");
        }
        for bad in ["v1", "/v1?x", "/v1/re*", "/v1*", "/a b", "/*/x"] {
            assert_eq!(http_path(&s(bad)).unwrap_err().code, Code::BadHttpPath, "{bad}");
        }
    }

    fn s(v: &str) -> Str {
        Spanned::new(v.to_string(), Span::default())
    }

    #[test]
    fn durations() {
        assert_eq!(duration(&s("90m"), "x").ok(), Some(5400));
        assert_eq!(duration(&s("1h30m"), "x").ok(), Some(5400));
        assert_eq!(duration(&s("2w"), "x").ok(), Some(14 * DAY));
        for bad in ["", "1", "h", "1 hour", "10x", "0m", "-1h", "99999999999d"] {
            assert!(duration(&s(bad), "x").is_err(), "{bad}");
        }
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(30 * DAY), "30d");
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp(&s("2026-12-01T09:00:00+01:00"), "x").map(|t| t.to_string()).ok().as_deref(),
            Some("2026-12-01T08:00:00Z")
        );
        for bad in [
            "2026-12-01",
            "2026-12-01T00:00:00",
            "2026-12-01T00:00Z",
            "2026-12-01T00:00:00.5Z",
            "2026-12-01T00:00:60Z",
            "2026-02-30T00:00:00Z",
            "2026-12-01T00:00:00+24:00",
            "2026-12-01t00:00:00Z",
        ] {
            assert!(timestamp(&s(bad), "x").is_err(), "{bad}");
        }
        let fraction = timestamp(&s("2026-12-02T07:12:04.700398704Z"), "not_before").expect_err("fractions");
        assert!(fraction.message.contains("fractions of a second are not allowed"), "{}", fraction.message);
    }

    #[test]
    fn times_days_zones_cidrs() {
        assert_eq!(time_of_day(&s("23:59"), "x").ok(), Some(1439));
        assert!(time_of_day(&s("24:00"), "x").is_err() && time_of_day(&s("9:00"), "x").is_err());
        assert_eq!(day(&s("sun")).ok(), Some(0));
        assert!(day(&s("Mon")).is_err());
        assert!(zone(&s("Europe/Paris")).is_ok() && zone(&s("UTC")).is_ok());
        for bad in ["europe/paris", "CET", "Mars/Olympus"] {
            assert!(zone(&s(bad)).is_err(), "{bad}");
        }
        assert_eq!(cidr(&s("10.0.0.0/8")).ok().as_deref(), Some("10.0.0.0/8"));
        assert_eq!(cidr(&s("2001:db8::/32")).ok().as_deref(), Some("2001:db8::/32"));
        let e = cidr(&s("10.0.0.1/8")).expect_err("host bits");
        assert!(e.help.unwrap_or_default().contains("10.0.0.0/8"));
        for bad in ["10.0.0.0/33", "10.0.0.0", "x/8", "10.0.0.0/+8"] {
            assert!(cidr(&s(bad)).is_err(), "{bad}");
        }
        assert!(name_ok("db-reader_2") && !name_ok("Db") && !name_ok("-x") && !name_ok(""));
        assert!(is_guid("00000000-0000-0000-0000-000000000001") && !is_guid("alice"));
    }
}
