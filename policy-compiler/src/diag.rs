//! Diagnostics: stable codes, messages, spans and help lines.
//!
//! Every stage reports into a [`Diagnostics`] collection instead of stopping
//! at the first problem. Codes are a public contract (`jitc check --format
//! json`, SARIF rule ids): never renumber one, only add.

use crate::source::{SourceMap, Span};
use crate::target::Target;
use serde::Serialize;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant),* }

        impl Code {
            /// All codes, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `JIT010`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// Whether this code is an error or a warning.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }

            /// A short title, used as the SARIF rule description.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title),* }
            }
        }
    };
}

codes! {
    // Syntax and structure.
    HclSyntax = "JIT001", Error, "HCL syntax error";
    YamlSyntax = "JIT002", Error, "YAML syntax error";
    MissingVersion = "JIT003", Error, "missing `version`";
    UnknownVersion = "JIT004", Error, "unknown document version";
    UnknownField = "JIT005", Error, "unknown field";
    WrongType = "JIT006", Error, "value has the wrong type";
    MissingField = "JIT007", Error, "required field missing";
    DuplicateName = "JIT008", Error, "duplicate name";
    DuplicateField = "JIT009", Error, "field given twice";
    UnknownRole = "JIT010", Error, "unknown role";
    UnknownPolicy = "JIT011", Error, "unknown policy";
    InvalidName = "JIT012", Error, "invalid name";
    UnsupportedExpression = "JIT013", Error, "expression not allowed in a policy document";
    EmptyRole = "JIT014", Error, "role grants nothing";
    EmptyList = "JIT015", Error, "empty list or string";
    // Time.
    BadDuration = "JIT020", Error, "invalid duration";
    MaxSessionRange = "JIT021", Error, "max_session out of range";
    MaxGrantCeiling = "JIT022", Error, "max_grant above the 366d ceiling";
    GrantTooLong = "JIT023", Error, "grant longer than the policy allows";
    MissingExpiry = "JIT024", Error, "binding without expires_at";
    EmptyGrant = "JIT025", Error, "expires_at not after not_before";
    BadTimestamp = "JIT026", Error, "invalid timestamp";
    BadDay = "JIT030", Error, "invalid day of week";
    BadTimeOfDay = "JIT031", Error, "invalid time of day";
    EmptyWindow = "JIT032", Error, "window start equals end";
    UnknownTimeZone = "JIT033", Error, "unknown time zone";
    DuplicateDay = "JIT034", Error, "day listed twice";
    // Permissions and people.
    Wildcard = "JIT040", Error, "wildcard without allow_wildcards";
    SelfApproval = "JIT041", Error, "subject approves itself";
    MinApprovals = "JIT042", Error, "min_approvals out of range";
    BadCidr = "JIT043", Error, "invalid CIDR";
    BadSubjectKind = "JIT044", Error, "invalid subject kind";
    BadCapability = "JIT045", Error, "invalid OpenBao capability";
    BadIdentity = "JIT046", Error, "invalid subject identity";
    DuplicateApprover = "JIT047", Error, "approver listed twice";
    BadRoleArn = "JIT048", Error, "invalid IAM role ARN to assume";
    UnknownGroup = "JIT049", Error, "approver group not declared";
    // Target limits.
    AzureWindows = "JIT050", Error, "Azure PIM cannot express recurring windows";
    GcpTooManyOperators = "JIT051", Error, "GCP condition has more than 12 logical operators";
    AwsPolicyTooLarge = "JIT052", Error, "AWS policy over the inline policy size limit";
    GcpBasicRole = "JIT053", Error, "GCP basic roles cannot carry conditions";
    GcpPublicMember = "JIT054", Error, "GCP conditions cannot apply to allUsers";
    NeverActive = "JIT055", Error, "binding is never active";
    AwsTrustPolicyTooLarge = "JIT056", Error, "AWS trust policy over the role trust policy size limit";
    QuorumUnreachable = "JIT057", Error, "approval quorum unreachable without the subject";
    // Mesh access.
    BadSpiffeId = "JIT060", Error, "invalid SPIFFE ID";
    BadServiceName = "JIT061", Error, "invalid service name";
    BadHttpMethod = "JIT062", Error, "invalid HTTP method";
    BadHttpPath = "JIT063", Error, "invalid HTTP path pattern";
    // Warnings.
    TargetSkipped = "JIT100", Warning, "target skipped: no subject identity";
    GcpRequirementNotEnforced = "JIT101", Warning, "requirement not expressible in GCP IAM Conditions";
    AwsOverManagedLimit = "JIT102", Warning, "AWS policy over the managed policy size limit";
    MfaForWorkload = "JIT103", Warning, "MFA required of a workload";
    AzureRequirementNotEnforced = "JIT104", Warning, "requirement not expressible in an Azure PIM request";
    UnusedDefinition = "JIT105", Warning, "role or policy never bound";
    OpenbaoRequirementNotEnforced = "JIT106", Warning, "requirement not expressible in an OpenBao ACL policy";
    WindowsAtIssuance = "JIT107", Warning, "windows enforced only when credentials are issued";
    SessionNotEnforced = "JIT108", Warning, "max_session not enforced as declared";
    RegoRequirementNotEnforced = "JIT109", Warning, "requirement not checkable from an Envoy request";
    CheckedAtAssume = "JIT110", Warning, "checked only when the elevated role is assumed";
}

/// One finding, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    /// The lowering target the finding is about (a limit of the target, or
    /// something it does not enforce); `None` for the language's own rules.
    pub target: Option<Target>,
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic { code, target: None, message: message.into(), span, help: None }
    }

    pub fn at(code: Code, span: Span, message: impl Into<String>) -> Self {
        Self::new(code, Some(span), message)
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn for_target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The message as shown to people: led by its target, if any
    /// (`gcp: IAM Conditions have no attribute for mfa; ...`).
    pub fn text(&self) -> String {
        match self.target {
            Some(t) => format!("{t}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// Resolve the span to file, line and column.
    pub fn locate(&self, sources: &SourceMap) -> Located {
        let (file, line, column) = match self.span.and_then(|s| sources.get(s.file).map(|f| (s, f))) {
            Some((span, f)) => {
                let lc = f.line_col(span.start);
                (f.name.clone(), lc.line, lc.column)
            }
            None => (String::new(), 0, 0),
        };
        Located {
            code: self.code.as_str(),
            severity: self.severity(),
            target: self.target,
            message: self.text(),
            file,
            line,
            column,
            help: self.help.clone().unwrap_or_default(),
        }
    }
}

/// A diagnostic resolved to a position: the `jitc check --format json` item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    pub code: &'static str,
    #[serde(skip)]
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub help: String,
}

/// Collected findings of one or more stages.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn error(&mut self, code: Code, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.items.push(Diagnostic::at(code, span, message).with_help(help));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity() == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity() == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity() == Severity::Warning)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sort by file, position and code so output is stable.
    pub fn sort(&mut self) {
        self.items.sort_by(|a, b| {
            let ka = a.span.map(|s| (s.file, s.start)).unwrap_or_default();
            let kb = b.span.map(|s| (s.file, s.start)).unwrap_or_default();
            ka.cmp(&kb)
                .then(a.code.cmp(&b.code))
                .then(a.target.map(Target::as_str).cmp(&b.target.map(Target::as_str)))
                .then(a.message.cmp(&b.message))
        });
        self.items.dedup();
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a small edit distance, if any.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates.into_iter().map(|c| (edit_distance(name, c), c)).filter(|(d, _)| *d <= limit).min().map(|(_, c)| c)
}

/// "did you mean `x`?" help, or a list of what is allowed.
pub fn suggestion_help(name: &str, candidates: &[&str], what: &str) -> String {
    match did_you_mean(name, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => format!("no {what} is defined"),
        None => {
            let list: Vec<String> = candidates.iter().take(12).map(|c| format!("`{c}`")).collect();
            format!("expected one of {}", list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_ordered() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
            assert!(c.as_str().starts_with("JIT") && c.as_str().len() == 6);
        }
    }

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../docs/language.md");
        for c in Code::ALL {
            assert!(doc.contains(&format!("| `{}` |", c.as_str())), "{} is missing from docs/language.md", c.as_str());
        }
    }

    #[test]
    fn suggestions_pick_the_closest_name() {
        assert_eq!(did_you_mean("db-raeder", ["db-reader", "db-writer"]), Some("db-reader"));
        assert_eq!(did_you_mean("completely-else", ["db-reader"]), None);
    }
}
