//! Provider diagnostics with attribute paths, so Terraform can point at the
//! user's configuration line.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Attr(String),
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Vec<Step>,
}

impl Diag {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diag { severity: Severity::Error, summary: summary.into(), detail: detail.into(), path: Vec::new() }
    }
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diag { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: Vec::new() }
    }
    #[must_use]
    pub fn at(mut self, path: Vec<Step>) -> Self {
        self.path = path;
        self
    }
}

pub fn has_errors(d: &[Diag]) -> bool {
    d.iter().any(|d| d.severity == Severity::Error)
}

/// `attr("a")` path helper.
pub fn path(attrs: &[&str]) -> Vec<Step> {
    attrs.iter().map(|a| Step::Attr((*a).to_string())).collect()
}
