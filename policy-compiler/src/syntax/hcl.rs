//! HCL front end (hcl-edit, which keeps byte spans).
//!
//! Documents are data: literals, lists and objects only. Variables,
//! function calls, interpolation and operators are rejected with a span.

use super::{Entry, Node, Value};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl_edit::structure::{BlockLabel, Body, Structure};
use hcl_edit::template::{Element, Template};

use crate::ast::shape::{hcl_blocks, hcl_fold as fold_of, Fold};

pub(super) fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let source = crate::source::SourceFile::new("", crate::source::Syntax::Hcl, text);
        let start = source.offset_of(loc.line(), loc.column().saturating_sub(1));
        let start = start.min(text.len());
        if e.message().contains("redefined attribute") || e.message().contains("unique object key") {
            return Diagnostic::at(Code::DuplicateField, Span::new(file, start..start), "attribute or key is given twice")
                .with_help("keep one of them (HCL allows each attribute once per block or map)");
        }
        Diagnostic::at(
            Code::HclSyntax,
            Span::new(file, start..start),
            format!("HCL syntax error: {}", e.message().trim()),
        )
        .with_help("fix the HCL syntax at this position (documents are plain HCL: attributes, blocks, strings, numbers, lists and maps)")
    })?;
    let span = Span::new(file, 0..text.len());
    body_to_node(file, &body, span)
}

fn span_of(file: FileId, s: &dyn hcl_edit::Span, fallback: Span) -> Span {
    s.span().map(|r| Span::new(file, r)).unwrap_or(fallback)
}

fn body_to_node(file: FileId, body: &Body, span: Span) -> Result<Node, Diagnostic> {
    let mut entries: Vec<Entry> = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key_span = span_of(file, &attr.key, span);
                entries.push(Entry {
                    key: attr.key.as_str().to_string(),
                    key_span,
                    value: expr_to_node(file, &attr.value, key_span)?,
                });
            }
            Structure::Block(block) => {
                let ident = block.ident.as_str();
                let block_span = span_of(file, block, span);
                let ident_span = span_of(file, &block.ident, block_span);
                let inner = body_to_node(file, &block.body, block_span)?;
                match (fold_of(ident), block.labels.as_slice()) {
                    (Some(Fold::Named(group)), [label]) => {
                        let (name, label_span) = label_text(file, label, ident_span);
                        let group_entry = group_entry(&mut entries, group, ident_span, Value::Map(Vec::new()));
                        if let Value::Map(items) = &mut group_entry.value.value {
                            items.push(Entry { key: name, key_span: label_span, value: inner });
                        }
                    }
                    (Some(Fold::Named(_)), labels) => {
                        return Err(Diagnostic::at(
                            Code::HclSyntax,
                            ident_span,
                            format!("block `{ident}` takes exactly one label (its name), found {}", labels.len()),
                        )
                        .with_help(format!("write `{ident} \"name\" {{ ... }}`")));
                    }
                    (Some(Fold::Listed(group)), []) => {
                        let group_entry = group_entry(&mut entries, group, ident_span, Value::List(Vec::new()));
                        if let Value::List(items) = &mut group_entry.value.value {
                            items.push(inner);
                        }
                    }
                    (None, []) => entries.push(Entry { key: ident.to_string(), key_span: ident_span, value: inner }),
                    (None, labels) => {
                        let blocks: Vec<&str> = hcl_blocks().iter().map(|(b, _)| *b).collect();
                        return Err(Diagnostic::at(
                            Code::UnknownField,
                            ident_span,
                            format!("unknown block `{ident}` with {} label(s)", labels.len()),
                        )
                        .with_help(crate::diag::suggestion_help(ident, &blocks, "block")));
                    }
                    (_, labels) => {
                        return Err(Diagnostic::at(
                            Code::HclSyntax,
                            ident_span,
                            format!("block `{ident}` takes no labels, found {}", labels.len()),
                        )
                        .with_help(format!("write `{ident} {{ ... }}`")));
                    }
                }
            }
        }
    }
    Ok(Node::new(Value::Map(entries), span))
}

/// The entry collecting folded blocks of one kind, created at the first block.
fn group_entry<'a>(entries: &'a mut Vec<Entry>, group: &str, span: Span, empty: Value) -> &'a mut Entry {
    // A folded group is marked by sharing its key span with the first block's
    // identifier; an attribute of the same name stays separate and is later
    // reported as given twice.
    let pos = entries.iter().position(|e| {
        e.key == group
            && matches!((&e.value.value, &empty), (Value::Map(_), Value::Map(_)) | (Value::List(_), Value::List(_)))
            && e.value.span == e.key_span
    });
    let idx = match pos {
        Some(i) => i,
        None => {
            entries.push(Entry { key: group.to_string(), key_span: span, value: Node::new(empty, span) });
            entries.len() - 1
        }
    };
    &mut entries[idx]
}

fn label_text(file: FileId, label: &BlockLabel, fallback: Span) -> (String, Span) {
    match label {
        BlockLabel::Ident(i) => (i.as_str().to_string(), span_of(file, i, fallback)),
        BlockLabel::String(s) => (s.value().clone(), span_of(file, s, fallback)),
    }
}

fn literal_template(t: &Template) -> Option<String> {
    let mut out = String::new();
    for el in t.iter() {
        match el {
            Element::Literal(s) => out.push_str(s.value()),
            _ => return None,
        }
    }
    Some(out)
}

fn not_data(span: Span, what: &str) -> Diagnostic {
    Diagnostic::at(
        Code::UnsupportedExpression,
        span,
        format!("{what} is not allowed in a policy document"),
    )
    .with_help("policy documents are data: write literal strings, numbers, booleans, lists and maps (use Terraform variables in the provider's resources instead)")
}

fn expr_to_node(file: FileId, expr: &Expression, fallback: Span) -> Result<Node, Diagnostic> {
    let span = span_of(file, expr, fallback);
    let value = match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => number_value(n.value()),
        Expression::String(s) => Value::Str(s.value().clone()),
        Expression::Array(items) => {
            Value::List(items.iter().map(|e| expr_to_node(file, e, span)).collect::<Result<_, _>>()?)
        }
        Expression::Object(obj) => {
            let mut entries = Vec::new();
            for (key, value) in obj.iter() {
                let key_span = span_of(file, key, span);
                let key = match key {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                    ObjectKey::Expression(e) => {
                        return Err(not_data(span_of(file, e, key_span), "a computed map key"));
                    }
                };
                entries.push(Entry { key, key_span, value: expr_to_node(file, value.expr(), key_span)? });
            }
            Value::Map(entries)
        }
        Expression::StringTemplate(t) => match literal_template(t) {
            Some(s) => Value::Str(s),
            None => return Err(not_data(span, "string interpolation (`${...}` or `%{...}`)")),
        },
        Expression::HeredocTemplate(h) => match literal_template(&h.template) {
            Some(s) => Value::Str(strip_indent(&s, h.indent())),
            None => return Err(not_data(span, "heredoc interpolation")),
        },
        Expression::Parenthesis(p) => return expr_to_node(file, p.inner(), span),
        Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => match &op.expr {
            Expression::Number(n) => match number_value(n.value()) {
                Value::Int(i) => Value::Int(i.saturating_neg()),
                Value::Float(f) => Value::Float(-f),
                other => other,
            },
            _ => return Err(not_data(span, "an operator")),
        },
        Expression::Variable(v) => return Err(not_data(span, &format!("the variable `{}`", v.as_str()))),
        Expression::FuncCall(_) => return Err(not_data(span, "a function call")),
        Expression::Traversal(_) => return Err(not_data(span, "a reference")),
        Expression::Conditional(_) => return Err(not_data(span, "a conditional expression")),
        Expression::ForExpr(_) => return Err(not_data(span, "a `for` expression")),
        Expression::UnaryOp(_) | Expression::BinaryOp(_) => return Err(not_data(span, "an operator")),
    };
    Ok(Node::new(value, span))
}

fn number_value(n: &hcl_edit::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::Int(i),
        None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn strip_indent(s: &str, indent: Option<usize>) -> String {
    match indent {
        None | Some(0) => s.to_string(),
        Some(n) => s
            .split_inclusive('\n')
            .map(|line| {
                let cut = line.len() - line.trim_start_matches(' ').len();
                &line[cut.min(n)..]
            })
            .collect(),
    }
}
