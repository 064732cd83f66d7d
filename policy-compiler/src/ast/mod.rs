//! The versioned surface AST of `jit/v1`.
//!
//! Both syntaxes build exactly these types (see `build`), and every field
//! keeps the span it was read from. Values are still text here: durations,
//! timestamps, zones and CIDRs are interpreted by `crate::resolve`.
//! Required fields are `Option` so that one missing field does not hide the
//! rest of the document's errors.

mod build;
pub mod shape;

pub use build::build_document;

use crate::source::{FileId, Span, Spanned};

pub type Str = Spanned<String>;

/// A list with the span of the whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub items: Vec<Str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    pub version: Str,
    pub groups: Vec<GroupDecl>,
    pub roles: Vec<RoleDecl>,
    pub policies: Vec<PolicyDecl>,
    pub bindings: Vec<BindingDecl>,
}

/// `group "NAME" { members = [...] }`.
#[derive(Debug, Clone)]
pub struct GroupDecl {
    pub name: Str,
    pub span: Span,
    pub members: Option<List>,
}

#[derive(Debug, Clone)]
pub struct RoleDecl {
    pub name: Str,
    pub span: Span,
    pub description: Option<Str>,
    pub allow_wildcards: Option<Spanned<bool>>,
    pub aws: Option<AwsDecl>,
    pub gcp: Option<GcpDecl>,
    pub azure: Option<AzureDecl>,
    pub openbao: Option<OpenbaoDecl>,
    pub http: Vec<HttpDecl>,
}

#[derive(Debug, Clone)]
pub struct AwsDecl {
    pub span: Span,
    pub actions: Option<List>,
    pub resources: Option<List>,
    pub assume_role: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct GcpDecl {
    pub span: Span,
    pub role: Option<Str>,
    pub resource: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct AzureDecl {
    pub span: Span,
    pub role_definition_id: Option<Str>,
    pub scope: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct OpenbaoDecl {
    pub span: Span,
    pub paths: Vec<PathDecl>,
}

#[derive(Debug, Clone)]
pub struct PathDecl {
    pub path: Str,
    pub capabilities: Option<List>,
}

#[derive(Debug, Clone)]
pub struct HttpDecl {
    pub span: Span,
    pub service: Option<Str>,
    pub methods: Option<List>,
    pub paths: Option<List>,
}

#[derive(Debug, Clone)]
pub struct PolicyDecl {
    pub name: Str,
    pub span: Span,
    pub description: Option<Str>,
    pub max_session: Option<Str>,
    pub max_grant: Option<Str>,
    pub windows: Vec<WindowDecl>,
    pub require: Option<RequireDecl>,
    pub approval: Option<ApprovalDecl>,
}

#[derive(Debug, Clone)]
pub struct WindowDecl {
    pub span: Span,
    pub days: Option<List>,
    pub start: Option<Str>,
    pub end: Option<Str>,
    pub timezone: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct RequireDecl {
    pub span: Span,
    pub mfa: Option<Spanned<bool>>,
    pub source_cidrs: Option<List>,
    pub principal_tags: Vec<(Str, Str)>,
}

#[derive(Debug, Clone)]
pub struct ApprovalDecl {
    pub span: Span,
    pub approvers: Option<List>,
    pub min_approvals: Option<Spanned<i64>>,
}

#[derive(Debug, Clone)]
pub struct BindingDecl {
    pub name: Str,
    pub span: Span,
    pub role: Option<Str>,
    pub policy: Option<Str>,
    pub subject: Option<SubjectDecl>,
    pub not_before: Option<Str>,
    pub expires_at: Option<Str>,
    pub justification: Option<Str>,
    pub ticket: Option<Str>,
}

#[derive(Debug, Clone)]
pub struct SubjectDecl {
    pub span: Span,
    pub kind: Option<Str>,
    pub name: Option<Str>,
    /// Identity fields given (`aws`, `gcp`, ...: the fields of format
    /// `Identity` in `shape::SUBJECT`), in shape order.
    pub identities: Vec<(&'static str, Str)>,
}
