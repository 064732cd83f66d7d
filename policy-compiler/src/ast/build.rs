//! Data tree -> AST, driven by the shape table.

use super::shape::{self, Shape, Ty};
use super::*;
use crate::diag::{did_you_mean, suggestion_help, Code, Diagnostic, Diagnostics};
use crate::source::Span;
use crate::syntax::{Entry, Node, Value};

/// Build the AST of one parsed document. Structural problems (unknown or
/// duplicate fields, wrong types, missing required fields) are reported and
/// the rest of the document is still read.
pub fn build_document(file: FileId, root: &Node, diags: &mut Diagnostics) -> Option<Document> {
    let doc = Obj::open(root, Span::new(file, 0..0), &shape::DOCUMENT, "document", diags)?;
    let version = doc.str("version", diags)?;
    let groups = doc
        .named("groups", diags)
        .into_iter()
        .map(|(name, node)| {
            let what = format!("group `{}`", name.value);
            let members =
                Obj::open(node, name.span, &shape::GROUP, &what, diags).and_then(|o| o.str_list("members", diags));
            GroupDecl { span: node.span, name, members }
        })
        .collect();
    let roles = doc.named("roles", diags).into_iter().map(|(n, node)| role(n, node, diags)).collect();
    let policies = doc.named("policies", diags).into_iter().map(|(n, node)| policy(n, node, diags)).collect();
    let bindings = doc.named("bindings", diags).into_iter().map(|(n, node)| binding(n, node, diags)).collect();
    Some(Document { file, version, groups, roles, policies, bindings })
}

fn role(name: Str, node: &Node, diags: &mut Diagnostics) -> RoleDecl {
    let what = format!("role `{}`", name.value);
    let mut decl = RoleDecl {
        name,
        span: node.span,
        description: None,
        allow_wildcards: None,
        aws: None,
        gcp: None,
        azure: None,
        openbao: None,
        http: Vec::new(),
    };
    let Some(o) = Obj::open(node, decl.name.span, &shape::ROLE, &what, diags) else {
        return decl;
    };
    decl.description = o.str("description", diags);
    decl.allow_wildcards = o.bool("allow_wildcards", diags);
    decl.aws = o.obj("aws", &shape::AWS, diags).map(|a| AwsDecl {
        span: a.node.span,
        actions: a.str_list("actions", diags),
        resources: a.str_list("resources", diags),
        assume_role: a.str("assume_role", diags),
    });
    decl.gcp = o.obj("gcp", &shape::GCP, diags).map(|g| GcpDecl {
        span: g.node.span,
        role: g.str("role", diags),
        resource: g.str("resource", diags),
    });
    decl.azure = o.obj("azure", &shape::AZURE, diags).map(|a| AzureDecl {
        span: a.node.span,
        role_definition_id: a.str("role_definition_id", diags),
        scope: a.str("scope", diags),
    });
    decl.openbao = o.obj("openbao", &shape::OPENBAO, diags).map(|b| {
        let mut seen: Vec<String> = Vec::new();
        let mut paths = Vec::new();
        for (path, pnode) in b.named("paths", diags) {
            if path.value.trim().is_empty() {
                diags.push(empty_key(&path, "an OpenBao path"));
                continue;
            }
            if seen.contains(&path.value) {
                diags.error(
                    Code::DuplicateField,
                    path.span,
                    format!("path `{}` is given twice", path.value),
                    "merge the capabilities into one `path` rule",
                );
                continue;
            }
            seen.push(path.value.clone());
            let what = format!("path `{}`", path.value);
            let capabilities =
                Obj::open(pnode, path.span, &shape::PATH, &what, diags).and_then(|p| p.str_list("capabilities", diags));
            paths.push(PathDecl { path, capabilities });
        }
        OpenbaoDecl { span: b.node.span, paths }
    });
    decl.http = o
        .list("http", &shape::HTTP, diags)
        .into_iter()
        .map(|h| HttpDecl {
            span: h.node.span,
            service: h.str("service", diags),
            methods: h.str_list("methods", diags),
            paths: h.str_list("paths", diags),
        })
        .collect();
    decl
}

fn policy(name: Str, node: &Node, diags: &mut Diagnostics) -> PolicyDecl {
    let what = format!("policy `{}`", name.value);
    let mut decl = PolicyDecl {
        name,
        span: node.span,
        description: None,
        max_session: None,
        max_grant: None,
        windows: Vec::new(),
        require: None,
        approval: None,
    };
    let Some(o) = Obj::open(node, decl.name.span, &shape::POLICY, &what, diags) else {
        return decl;
    };
    decl.description = o.str("description", diags);
    decl.max_session = o.str("max_session", diags);
    decl.max_grant = o.str("max_grant", diags);
    decl.windows = o
        .list("windows", &shape::WINDOW, diags)
        .into_iter()
        .map(|w| WindowDecl {
            span: w.node.span,
            days: w.str_list("days", diags),
            start: w.str("start", diags),
            end: w.str("end", diags),
            timezone: w.str("timezone", diags),
        })
        .collect();
    decl.require = o.obj("require", &shape::REQUIRE, diags).map(|r| RequireDecl {
        span: r.node.span,
        mfa: r.bool("mfa", diags),
        source_cidrs: r.str_list("source_cidrs", diags),
        principal_tags: r.str_map("principal_tags", diags),
    });
    decl.approval = o.obj("approval", &shape::APPROVAL, diags).map(|a| ApprovalDecl {
        span: a.node.span,
        approvers: a.str_list("approvers", diags),
        min_approvals: a.int("min_approvals", diags),
    });
    decl
}

fn binding(name: Str, node: &Node, diags: &mut Diagnostics) -> BindingDecl {
    let what = format!("binding `{}`", name.value);
    let mut decl = BindingDecl {
        name,
        span: node.span,
        role: None,
        policy: None,
        subject: None,
        not_before: None,
        expires_at: None,
        justification: None,
        ticket: None,
    };
    let Some(o) = Obj::open(node, decl.name.span, &shape::BINDING, &what, diags) else {
        return decl;
    };
    decl.role = o.str("role", diags);
    decl.policy = o.str("policy", diags);
    decl.subject = o.obj("subject", &shape::SUBJECT, diags).map(|s| SubjectDecl {
        span: s.node.span,
        kind: s.str("kind", diags),
        name: s.str("name", diags),
        identities: shape::SUBJECT.identity_fields().filter_map(|f| Some((f, s.str(f, diags)?))).collect(),
    });
    decl.not_before = o.str("not_before", diags);
    decl.expires_at = o.str("expires_at", diags);
    decl.justification = o.str("justification", diags);
    decl.ticket = o.str("ticket", diags);
    decl
}

/// An object node checked against its shape.
struct Obj<'n> {
    node: &'n Node,
    shape: &'static Shape,
    entries: Vec<&'n Entry>,
}

fn type_name(ty: Ty) -> &'static str {
    match ty {
        Ty::Str(_) => "a string",
        Ty::Bool => "a boolean",
        Ty::Int(_) => "a whole number",
        Ty::StrList(..) => "a list of strings",
        Ty::StrMap => "a map of strings",
        Ty::Obj(_) => "a block / map",
        Ty::Named(_) => "a map of named entries",
        Ty::List(_) => "a list of blocks / maps",
    }
}

fn empty_key(key: &Str, what: &str) -> Diagnostic {
    Diagnostic::at(Code::EmptyList, key.span, format!("{what} must not be empty"))
        .with_help("write the path, e.g. `kv/data/team/*`")
}

fn empty(node: &Node, what: &str) -> Diagnostic {
    let what = if what.starts_with('`') || what.starts_with("items") { what.to_string() } else { format!("`{what}`") };
    Diagnostic::at(Code::EmptyList, node.span, format!("{what} must not be empty"))
        .with_help("give a value, or remove the field")
}

fn wrong_type(node: &Node, field: &str, ty: Ty) -> Diagnostic {
    Diagnostic::at(Code::WrongType, node.span, format!("`{field}` must be {}, found {}", type_name(ty), node.kind()))
        .with_help(format!("write `{field}` as {}", type_name(ty)))
}

impl<'n> Obj<'n> {
    fn open(node: &'n Node, at: Span, shape: &'static Shape, what: &str, diags: &mut Diagnostics) -> Option<Obj<'n>> {
        let Value::Map(all) = &node.value else {
            diags.push(
                Diagnostic::at(
                    Code::WrongType,
                    node.span,
                    format!("{what} must be a map / block, found {}", node.kind()),
                )
                .with_help(format!("write {what} as a block of fields: {}", shape.field_names().join(", "))),
            );
            return None;
        };
        let mut entries: Vec<&Entry> = Vec::new();
        let names = shape.field_names();
        // Fields an unknown key probably meant: not also reported as missing.
        let mut meant: Vec<&str> = Vec::new();
        for e in all {
            if shape.field(&e.key).is_none() {
                meant.extend(did_you_mean(&e.key, names.iter().copied()));
                let help = suggestion_help(&e.key, &names, "field");
                diags.push(
                    Diagnostic::at(Code::UnknownField, e.key_span, format!("unknown field `{}` in {what}", e.key))
                        .with_help(help),
                );
            } else if entries.iter().any(|p| p.key == e.key) {
                diags.push(
                    Diagnostic::at(Code::DuplicateField, e.key_span, format!("`{}` is given twice in {what}", e.key))
                        .with_help("keep one of them"),
                );
            } else {
                entries.push(e);
            }
        }
        for f in shape.fields.iter().filter(|f| f.required && !meant.contains(&f.name)) {
            if !entries.iter().any(|e| e.key == f.name) {
                let help = if f.missing == Code::MissingExpiry {
                    "every grant must end: add `expires_at` (RFC 3339, e.g. \"2026-12-31T00:00:00Z\") within the policy's max_grant".to_string()
                } else {
                    format!("add `{}`: {}", f.name, f.doc)
                };
                diags.push(Diagnostic::at(f.missing, at, format!("{what} is missing `{}`", f.name)).with_help(help));
            }
        }
        if !shape.one_of_required.is_empty()
            && !entries.iter().any(|e| shape.one_of_required.contains(&e.key.as_str()))
            && !meant.iter().any(|m| shape.one_of_required.contains(m))
        {
            diags.push(
                Diagnostic::at(Code::EmptyRole, at, format!("{what} grants nothing"))
                    .with_help(format!("add at least one of: {}", shape.one_of_required.join(", "))),
            );
        }
        Some(Obj { node, shape, entries })
    }

    fn get(&self, name: &str) -> Option<&'n Entry> {
        debug_assert!(self.shape.field(name).is_some(), "field `{name}` not in shape `{}`", self.shape.name);
        self.entries.iter().copied().find(|e| e.key == name)
    }

    fn ty(&self, name: &str) -> Ty {
        self.shape.field(name).map(|f| f.ty).unwrap_or(Ty::Str(shape::Format::Any))
    }

    fn str(&self, name: &str, diags: &mut Diagnostics) -> Option<Str> {
        let e = self.get(name)?;
        match &e.value.value {
            Value::Str(s) if s.trim().is_empty() && !matches!(self.ty(name), Ty::Str(shape::Format::Text)) => {
                diags.push(empty(&e.value, name));
                None
            }
            Value::Str(s) => Some(Spanned::new(s.clone(), e.value.span)),
            _ => {
                diags.push(wrong_type(&e.value, name, self.ty(name)));
                None
            }
        }
    }

    fn bool(&self, name: &str, diags: &mut Diagnostics) -> Option<Spanned<bool>> {
        let e = self.get(name)?;
        match &e.value.value {
            Value::Bool(b) => Some(Spanned::new(*b, e.value.span)),
            _ => {
                diags.push(wrong_type(&e.value, name, self.ty(name)));
                None
            }
        }
    }

    fn int(&self, name: &str, diags: &mut Diagnostics) -> Option<Spanned<i64>> {
        let e = self.get(name)?;
        match &e.value.value {
            Value::Int(i) => Some(Spanned::new(*i, e.value.span)),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(Spanned::new(*f as i64, e.value.span)),
            _ => {
                diags.push(wrong_type(&e.value, name, self.ty(name)));
                None
            }
        }
    }

    fn str_list(&self, name: &str, diags: &mut Diagnostics) -> Option<List> {
        let e = self.get(name)?;
        let Value::List(items) = &e.value.value else {
            diags.push(wrong_type(&e.value, name, self.ty(name)));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match &item.value {
                Value::Str(s) if s.trim().is_empty() => diags.push(empty(item, &format!("items of `{name}`"))),
                Value::Str(s) => out.push(Spanned::new(s.clone(), item.span)),
                _ => diags.push(
                    Diagnostic::at(
                        Code::WrongType,
                        item.span,
                        format!("items of `{name}` must be strings, found {}", item.kind()),
                    )
                    .with_help("quote the value"),
                ),
            }
        }
        if out.is_empty() && items.is_empty() {
            if let Ty::StrList(_, true) = self.ty(name) {
                diags.push(
                    Diagnostic::at(Code::EmptyList, e.value.span, format!("`{name}` must not be empty"))
                        .with_help(format!("list at least one value in `{name}`, or remove it")),
                );
                return None;
            }
        }
        Some(List { items: out, span: e.value.span })
    }

    fn str_map(&self, name: &str, diags: &mut Diagnostics) -> Vec<(Str, Str)> {
        let Some(e) = self.get(name) else {
            return Vec::new();
        };
        let Value::Map(entries) = &e.value.value else {
            diags.push(wrong_type(&e.value, name, self.ty(name)));
            return Vec::new();
        };
        let mut out: Vec<(Str, Str)> = Vec::new();
        for kv in entries {
            if out.iter().any(|(k, _)| k.value == kv.key) {
                diags.push(
                    Diagnostic::at(
                        Code::DuplicateField,
                        kv.key_span,
                        format!("`{}` is given twice in `{name}`", kv.key),
                    )
                    .with_help("keep one of them"),
                );
                continue;
            }
            match &kv.value.value {
                Value::Str(s) => {
                    out.push((Spanned::new(kv.key.clone(), kv.key_span), Spanned::new(s.clone(), kv.value.span)))
                }
                _ => diags.push(
                    Diagnostic::at(
                        Code::WrongType,
                        kv.value.span,
                        format!("values of `{name}` must be strings, found {}", kv.value.kind()),
                    )
                    .with_help("quote the value"),
                ),
            }
        }
        out
    }

    fn obj(&self, name: &str, shape: &'static Shape, diags: &mut Diagnostics) -> Option<Obj<'n>> {
        let e = self.get(name)?;
        Obj::open(&e.value, e.key_span, shape, &format!("`{name}`"), diags)
    }

    fn list(&self, name: &str, shape: &'static Shape, diags: &mut Diagnostics) -> Vec<Obj<'n>> {
        let Some(e) = self.get(name) else {
            return Vec::new();
        };
        let Value::List(items) = &e.value.value else {
            diags.push(wrong_type(&e.value, name, self.ty(name)));
            return Vec::new();
        };
        items.iter().filter_map(|item| Obj::open(item, item.span, shape, &format!("`{}`", shape.name), diags)).collect()
    }

    fn named(&self, name: &str, diags: &mut Diagnostics) -> Vec<(Str, &'n Node)> {
        let Some(e) = self.get(name) else {
            return Vec::new();
        };
        let Value::Map(entries) = &e.value.value else {
            diags.push(wrong_type(&e.value, name, self.ty(name)));
            return Vec::new();
        };
        entries.iter().map(|kv| (Spanned::new(kv.key.clone(), kv.key_span), &kv.value)).collect()
    }
}
