//! The typed IR: resolved names, parsed times, zones and networks.
//!
//! The IR knows no lowering target. [`is_active`] is the single definition
//! of when a binding grants access; every target's output is tested against
//! it.

mod grant;
pub mod http;
mod schedule;
mod window;

pub use grant::{is_wildcard, Block, Grant, Part};
pub use http::HttpRule;
pub use schedule::Schedule;
pub use window::{active_intervals, push_merged, DaySet, Window};

use crate::source::Span;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::Arc;

/// All resolved definitions of a set of documents, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// Approver groups (`group "NAME" { members }`), by name.
    pub groups: BTreeMap<String, Arc<Group>>,
    pub roles: BTreeMap<String, Arc<Role>>,
    pub policies: BTreeMap<String, Arc<Policy>>,
    pub bindings: Vec<Binding>,
}

/// An approver group: who may approve for `group:NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub span: Span,
    /// `user:LOGIN` members, each once, in the order given.
    pub members: Vec<(String, Span)>,
}

impl Group {
    /// The members as approvers compare them: `user:LOGIN`, lower-cased.
    pub fn logins(&self) -> std::collections::BTreeSet<String> {
        self.members.iter().map(|(m, _)| m.to_ascii_lowercase()).collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub allow_wildcards: bool,
    pub aws: Option<AwsPermissions>,
    pub gcp: Option<GcpPermissions>,
    pub azure: Option<AzurePermissions>,
    pub openbao: Option<Vec<PathRule>>,
    /// Mesh HTTP access (`http` blocks), in the order given.
    pub http: Vec<HttpRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwsPermissions {
    pub span: Span,
    /// Actions on resources, granted to the subject's own identity (both
    /// empty when the block only names a role to assume).
    pub actions: Vec<(String, Span)>,
    pub resources: Vec<(String, Span)>,
    /// Elevation: the ARN of a role the subject may assume (`assume_role`).
    pub assume_role: Option<(String, Span)>,
}

/// What the subject may call on a role it may assume.
pub const ASSUME_ROLE_ACTIONS: &[&str] = &["sts:AssumeRole", "sts:TagSession"];

#[derive(Debug, Clone, PartialEq)]
pub struct GcpPermissions {
    pub span: Span,
    pub role: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AzurePermissions {
    pub span: Span,
    pub role_definition_id: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PathRule {
    pub path: String,
    pub span: Span,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    /// Longest session, seconds.
    pub max_session: i64,
    /// Where `max_session` is set, when the policy sets it (not defaulted).
    pub max_session_span: Option<Span>,
    /// Longest grant, seconds.
    pub max_grant: i64,
    pub max_grant_span: Option<Span>,
    pub windows: Vec<Window>,
    pub require: Requirements,
    pub approval: Option<Approval>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Requirements {
    pub span: Option<Span>,
    pub mfa: bool,
    pub source_cidrs: Vec<Cidr>,
    pub principal_tags: BTreeMap<String, String>,
}

impl Requirements {
    pub fn is_empty(&self) -> bool {
        !self.mfa && self.source_cidrs.is_empty() && self.principal_tags.is_empty()
    }
}

/// A network in canonical text form (`10.0.0.0/8`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr(pub String);

#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub span: Span,
    pub approvers: Vec<String>,
    pub min_approvals: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SubjectKind {
    Workload,
    Human,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Workload => "workload",
            SubjectKind::Human => "human",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub span: Span,
    pub kind: SubjectKind,
    pub name: String,
    /// The subject's identities, keyed by their field in the subject block
    /// (`aws`, `gcp`, ...; the fields of format `Identity` in
    /// `ast::shape::SUBJECT`), in shape order.
    pub identities: Vec<(&'static str, String)>,
}

impl Subject {
    /// The identity given in the subject field `field`, if any.
    pub fn identity(&self, field: &str) -> Option<&str> {
        self.identities.iter().find(|(f, _)| *f == field).map(|(_, id)| id.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub name: String,
    pub span: Span,
    pub role: Arc<Role>,
    pub policy: Arc<Policy>,
    pub subject: Subject,
    pub not_before: Timestamp,
    pub expires_at: Timestamp,
    pub expires_span: Span,
    pub justification: Option<String>,
    pub ticket: Option<String>,
}

/// Whether `binding` grants access at `at`: `not_before <= at < expires_at`
/// and, when the policy has windows, `at` falls inside one of them in the
/// window's own time zone.
pub fn is_active(binding: &Binding, at: Timestamp) -> bool {
    schedule::in_force(binding.not_before, binding.expires_at, &binding.policy.windows, at)
}

impl Binding {
    /// The binding's time as a [`Schedule`]; its `is_active` is
    /// [`is_active`].
    pub fn schedule(&self) -> Schedule {
        Schedule { not_before: self.not_before, expires_at: self.expires_at, windows: self.policy.windows.clone() }
    }
}

/// Where a binding stands at an instant, as the provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Active,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Expired => "expired",
        }
    }
}

/// The grant's phase at `at` (windows aside: a binding inside its grant but
/// outside a window is still `active`; the clouds enforce the window).
pub fn status(binding: &Binding, at: Timestamp) -> Status {
    status_between(binding.not_before, binding.expires_at, at)
}

/// Where a grant from `not_before` until `expires_at` stands at `at`
/// (for callers that hold the dates, not the binding).
pub fn status_between(not_before: Timestamp, expires_at: Timestamp, at: Timestamp) -> Status {
    if at < not_before {
        Status::Pending
    } else if at < expires_at {
        Status::Active
    } else {
        Status::Expired
    }
}
