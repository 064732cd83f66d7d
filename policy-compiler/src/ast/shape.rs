//! The shape of a `jit/v1` document as data.
//!
//! One table drives the AST builder (unknown fields, types, required
//! fields), the HCL front end's block folding, the generated JSON Schema
//! (`schemas/jit-policy.v1.schema.json`) and the Terraform provider's
//! `jit_role`, `jit_policy`, `jit_binding` and `jit_document` schemas, so
//! none of them can accept a structure the others do not.
//!
//! Spelling: a field of type [`Ty::Obj`] is a block named after the field
//! (`aws { ... }`); [`Ty::List`] and [`Ty::Named`] fields are repeated blocks
//! named after their shape (`window { ... }`, `path "P" { ... }`), the
//! latter labelled with the entry's key.

use crate::diag::Code;

/// The type of a field.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str(Format),
    Bool,
    /// An integer, at least the given minimum.
    Int(i64),
    /// A list of strings; `true` when the list must not be empty.
    StrList(Format, bool),
    /// A map of string to string.
    StrMap,
    Obj(&'static Shape),
    /// A map from names to objects (`roles`, `paths`, ...).
    Named(&'static Shape),
    /// A list of objects (`windows`).
    List(&'static Shape),
}

/// Structural format of a string, mirrored as a JSON Schema pattern or enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Any non-empty string.
    Any,
    /// Free text, may be empty.
    Text,
    Version,
    Name,
    Duration,
    TimeOfDay,
    Timestamp,
    Day,
    SubjectKind,
    Capability,
    /// An HTTP method (upper case).
    HttpMethod,
    /// A mesh service: a DNS-1123 label.
    ServiceName,
    /// An HTTP path, exact or a prefix ending in `/*`.
    HttpPath,
    /// A subject's identity on a target (checked per field by `resolve`).
    Identity,
    /// An IAM role ARN (`arn:aws:iam::123456789012:role/NAME`).
    RoleArn,
}

impl Format {
    /// The JSON Schema pattern for this format, if any.
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Format::Name => Some(NAME_PATTERN),
            Format::ServiceName => Some(SERVICE_PATTERN),
            Format::HttpPath => Some(r"^/[^?#\s]*$"),
            Format::RoleArn => Some(ROLE_ARN_PATTERN),
            Format::Duration => Some(r"^([0-9]+(s|m|h|d|w))+$"),
            Format::TimeOfDay => Some(TIME_OF_DAY_PATTERN),
            Format::Timestamp => {
                Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})$")
            }
            _ => None,
        }
    }

    /// The allowed values of an enumerated format.
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            Format::Version => Some(crate::syntax::SUPPORTED_VERSIONS),
            Format::Day => Some(DAYS),
            Format::SubjectKind => Some(SUBJECT_KINDS),
            Format::Capability => Some(CAPABILITIES),
            Format::HttpMethod => Some(HTTP_METHODS),
            _ => None,
        }
    }
}

/// Names of roles, policies and bindings: lowercase, digits, `-` and `_`;
/// they become OpenBao policy names, which OpenBao lower-cases.
pub const NAME_PATTERN: &str = r"^[a-z0-9][a-z0-9_-]{0,62}$";
pub const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
pub const TIME_OF_DAY_PATTERN: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]$";
pub const SUBJECT_KINDS: &[&str] = &["workload", "human"];
/// A mesh service name: a DNS-1123 label (the first label of the host a
/// request is sent to).
/// An IAM role ARN: partition, 12-digit account, optional path, name.
pub const ROLE_ARN_PATTERN: &str = r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([!-~]*/)?[A-Za-z0-9+=,.@_-]{1,64}$";
pub const SERVICE_PATTERN: &str = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
/// The HTTP methods a role may grant (RFC 9110 and PATCH), upper case as
/// Envoy reports them.
pub const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];
pub const CAPABILITIES: &[&str] = &["create", "read", "update", "patch", "delete", "list", "sudo", "deny"];

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    /// The code reported when a required field is missing.
    pub missing: Code,
    pub doc: &'static str,
}

/// An object type.
#[derive(Debug)]
pub struct Shape {
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
    /// At least one of these fields must be present.
    pub one_of_required: &'static [&'static str],
}

impl Shape {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
    /// Names of the fields of format `Identity`.
    pub fn identity_fields(&self) -> impl Iterator<Item = &'static str> {
        self.fields.iter().filter(|f| matches!(f.ty, Ty::Str(Format::Identity))).map(|f| f.name)
    }
}

const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, required: false, missing: Code::MissingField, doc }
}
const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, required: true, missing: Code::MissingField, doc }
}

const S: Ty = Ty::Str(Format::Any);
const ID: Ty = Ty::Str(Format::Identity);

pub static AWS: Shape = Shape {
    name: "aws",
    doc: "AWS IAM permissions",
    fields: &[
        opt("actions", Ty::StrList(Format::Any, true), "IAM actions, e.g. `rds-db:connect` (with `resources`)"),
        opt("resources", Ty::StrList(Format::Any, true), "resource ARNs (with `actions`)"),
        opt(
            "assume_role",
            Ty::Str(Format::RoleArn),
            "elevation: the ARN of an IAM role the subject may assume, `arn:aws:iam::123456789012:role/NAME`",
        ),
    ],
    one_of_required: &["actions", "assume_role"],
};

pub static GCP: Shape = Shape {
    name: "gcp",
    doc: "GCP IAM role on a resource",
    fields: &[
        req("role", S, "role name, e.g. `roles/cloudsql.client`"),
        req("resource", S, "the resource the binding is set on, e.g. `projects/acme-prod`"),
    ],
    one_of_required: &[],
};

pub static AZURE: Shape = Shape {
    name: "azure",
    doc: "Azure role definition at a scope",
    fields: &[req("role_definition_id", S, "full role definition id"), req("scope", S, "the scope of the assignment")],
    one_of_required: &[],
};

pub static PATH: Shape = Shape {
    name: "path",
    doc: "OpenBao ACL path rule",
    fields: &[req("capabilities", Ty::StrList(Format::Capability, true), "OpenBao capabilities")],
    one_of_required: &[],
};

pub static OPENBAO: Shape = Shape {
    name: "openbao",
    doc: "OpenBao / Vault ACL paths",
    fields: &[req("paths", Ty::Named(&PATH), "path rules keyed by path (HCL: `path \"p\" { ... }` blocks)")],
    one_of_required: &[],
};

pub static HTTP: Shape = Shape {
    name: "http",
    doc: "HTTP access to a mesh service, decided by OPA at each request",
    fields: &[
        req(
            "service",
            Ty::Str(Format::ServiceName),
            "the destination service (a DNS-1123 label: the host's first label)",
        ),
        req("methods", Ty::StrList(Format::HttpMethod, true), "upper-case HTTP methods"),
        req("paths", Ty::StrList(Format::HttpPath, true), "exact paths, or prefixes ending in `/*`"),
    ],
    one_of_required: &[],
};

pub static ROLE: Shape = Shape {
    name: "role",
    doc: "What may be done",
    fields: &[
        opt("description", Ty::Str(Format::Text), "free text"),
        opt("allow_wildcards", Ty::Bool, "allow `*` and service-wide actions"),
        opt("aws", Ty::Obj(&AWS), "AWS permissions"),
        opt("gcp", Ty::Obj(&GCP), "GCP permissions"),
        opt("azure", Ty::Obj(&AZURE), "Azure permissions"),
        opt("openbao", Ty::Obj(&OPENBAO), "OpenBao permissions"),
        opt("http", Ty::List(&HTTP), "mesh HTTP access (HCL: `http { ... }` blocks)"),
    ],
    one_of_required: &["aws", "gcp", "azure", "openbao", "http"],
};

pub static WINDOW: Shape = Shape {
    name: "window",
    doc: "A recurring weekly window",
    fields: &[
        req("days", Ty::StrList(Format::Day, true), "days the window starts on"),
        req("start", Ty::Str(Format::TimeOfDay), "HH:MM local start"),
        req("end", Ty::Str(Format::TimeOfDay), "HH:MM local end; before start means overnight"),
        opt("timezone", S, "IANA time zone, default UTC"),
    ],
    one_of_required: &[],
};

pub static REQUIRE: Shape = Shape {
    name: "require",
    doc: "Conditions on the request",
    fields: &[
        opt("mfa", Ty::Bool, "multi-factor authentication required"),
        opt("source_cidrs", Ty::StrList(Format::Any, true), "allowed source networks"),
        opt("principal_tags", Ty::StrMap, "required principal tags"),
    ],
    one_of_required: &[],
};

pub static APPROVAL: Shape = Shape {
    name: "approval",
    doc: "Who approves",
    fields: &[
        req("approvers", Ty::StrList(Format::Any, true), "`user:` or `group:` approvers"),
        opt("min_approvals", Ty::Int(1), "approvals needed, default 1"),
    ],
    one_of_required: &[],
};

pub static POLICY: Shape = Shape {
    name: "policy",
    doc: "For how long, when, under which conditions, with whose approval",
    fields: &[
        opt("description", Ty::Str(Format::Text), "free text"),
        opt("max_session", Ty::Str(Format::Duration), "longest session, 15m..12h, default 1h"),
        opt("max_grant", Ty::Str(Format::Duration), "longest binding, default 30d, at most 366d"),
        opt("windows", Ty::List(&WINDOW), "recurring windows (HCL: `window { ... }` blocks)"),
        opt("require", Ty::Obj(&REQUIRE), "request conditions"),
        opt("approval", Ty::Obj(&APPROVAL), "approval"),
    ],
    one_of_required: &[],
};

pub static SUBJECT: Shape = Shape {
    name: "subject",
    doc: "Who receives the role",
    fields: &[
        req("kind", Ty::Str(Format::SubjectKind), "`workload` or `human`"),
        req("name", S, "the subject's name"),
        opt("aws", ID, "IAM role or user ARN"),
        opt("gcp", ID, "IAM member, e.g. `serviceAccount:...`"),
        opt("azure", ID, "Entra object id (GUID)"),
        opt("openbao", ID, "OpenBao entity or role-id label"),
        opt("spiffe", ID, "workload identity, a SPIFFE ID (`spiffe://trust.domain/path`)"),
    ],
    one_of_required: &[],
};

pub static BINDING: Shape = Shape {
    name: "binding",
    doc: "Who gets which role under which policy, from when until when",
    fields: &[
        req("role", Ty::Str(Format::Name), "role name"),
        req("policy", Ty::Str(Format::Name), "policy name"),
        req("subject", Ty::Obj(&SUBJECT), "the subject"),
        req("not_before", Ty::Str(Format::Timestamp), "RFC 3339 start"),
        Field {
            name: "expires_at",
            ty: Ty::Str(Format::Timestamp),
            required: true,
            missing: Code::MissingExpiry,
            doc: "RFC 3339 end (required: no standing privilege)",
        },
        opt("justification", Ty::Str(Format::Text), "why"),
        opt("ticket", S, "change ticket"),
    ],
    one_of_required: &[],
};

pub static GROUP: Shape = Shape {
    name: "group",
    doc: "An approver group: people who may approve for `group:NAME`",
    fields: &[req("members", Ty::StrList(Format::Any, true), "members, `user:LOGIN` (the code host's login)")],
    one_of_required: &[],
};

pub static DOCUMENT: Shape = Shape {
    name: "document",
    doc: "A jit/v1 policy document",
    fields: &[
        req("version", Ty::Str(Format::Version), "document version"),
        opt("groups", Ty::Named(&GROUP), "approver groups by name"),
        opt("roles", Ty::Named(&ROLE), "roles by name"),
        opt("policies", Ty::Named(&POLICY), "policies by name"),
        opt("bindings", Ty::Named(&BINDING), "bindings by name"),
    ],
    one_of_required: &[],
};

/// How a repeated HCL block folds into the document's data tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// `role "x" {..}` -> `roles: {x: {..}}`: the field and the block's label.
    Named(&'static str),
    /// `window {..}` -> an item of `windows: [..]`.
    Listed(&'static str),
}

/// Every repeated block of the language: (block identifier, fold), found by
/// walking the shapes from [`DOCUMENT`].
pub fn hcl_blocks() -> &'static [(&'static str, Fold)] {
    static BLOCKS: std::sync::OnceLock<Vec<(&'static str, Fold)>> = std::sync::OnceLock::new();
    BLOCKS.get_or_init(|| {
        fn walk(shape: &'static Shape, out: &mut Vec<(&'static str, Fold)>) {
            for f in shape.fields {
                let (inner, fold) = match f.ty {
                    Ty::Named(s) => (s, Some(Fold::Named(f.name))),
                    Ty::List(s) => (s, Some(Fold::Listed(f.name))),
                    Ty::Obj(s) => (s, None),
                    _ => continue,
                };
                if let Some(fold) = fold {
                    if !out.iter().any(|(b, _)| *b == inner.name) {
                        out.push((inner.name, fold));
                    }
                }
                walk(inner, out);
            }
        }
        let mut out = Vec::new();
        walk(&DOCUMENT, &mut out);
        out
    })
}

/// How the HCL block `ident` folds, if it is a repeated block.
pub fn hcl_fold(ident: &str) -> Option<Fold> {
    hcl_blocks().iter().find(|(b, _)| *b == ident).map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_blocks_come_from_the_shapes() {
        let blocks: Vec<&str> = hcl_blocks().iter().map(|(b, _)| *b).collect();
        assert_eq!(blocks, ["group", "role", "path", "http", "policy", "window", "binding"]);
        assert_eq!(hcl_fold("role"), Some(Fold::Named("roles")));
        assert_eq!(hcl_fold("path"), Some(Fold::Named("paths")));
        assert_eq!(hcl_fold("window"), Some(Fold::Listed("windows")));
        assert_eq!(hcl_fold("http"), Some(Fold::Listed("http")));
        assert_eq!(hcl_fold("subject"), None);
    }
}
