//! Terraform schemas and configuration writers derived from the language's
//! shape table (`jit_policy::ast::shape`), the one description of a role,
//! a policy, a binding and a subject. A field added to the language reaches
//! `jit_role`, `jit_policy`, `jit_binding` and `jit_document` without an
//! edit here.
//!
//! Spelling, as in HCL documents: a [`Ty::Obj`] field is a single nested
//! block named after the field; a [`Ty::List`] field is a list of blocks
//! named after its shape (`window`); a [`Ty::Named`] field is a list of
//! blocks named after its shape whose attribute of the same name holds the
//! entry's key (`path { path = "kv/*" capabilities = [...] }`).

use super::DocBuilder;
use crate::convert::value::{Type, Value};
use crate::diag::Step;
use crate::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use jit_policy::ast::shape::{Field, Shape, Ty};

/// The Terraform name of a field: the field, or its repeated block.
pub fn tf_name(f: &Field) -> &'static str {
    match f.ty {
        Ty::List(s) | Ty::Named(s) => s.name,
        _ => f.name,
    }
}

/// A description as Terraform docs show it: capitalised, with a full stop.
fn sentence(doc: &'static str) -> String {
    let mut s: String = doc.chars().take(1).flat_map(char::to_uppercase).chain(doc.chars().skip(1)).collect();
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

fn scalar(ty: Ty) -> Option<Type> {
    match ty {
        Ty::Str(_) => Some(Type::String),
        Ty::Bool => Some(Type::Bool),
        Ty::Int(_) => Some(Type::Number),
        Ty::StrList(..) => Some(Type::list_of(Type::String)),
        Ty::StrMap => Some(Type::map_of(Type::String)),
        Ty::Obj(_) | Ty::List(_) | Ty::Named(_) => None,
    }
}

/// The Terraform block of `shape`, without the fields in `skip`.
pub fn block(shape: &'static Shape, skip: &[&str]) -> Block {
    let mut attributes = Vec::new();
    let mut blocks = Vec::new();
    for f in shape.fields.iter().filter(|f| !skip.contains(&f.name)) {
        if let Some(ty) = scalar(f.ty) {
            let mode = if f.required { Mode::Required } else { Mode::Optional };
            attributes.push(Attribute { name: f.name, ty, mode, description: sentence(f.doc), sensitive: false });
            continue;
        }
        let (inner, nesting) = match f.ty {
            Ty::Obj(s) => (s, Nesting::Single),
            Ty::List(s) | Ty::Named(s) => (s, Nesting::List),
            _ => continue,
        };
        let mut b = block(inner, &[]);
        if let Ty::Named(s) = f.ty {
            let key = format!("The {} (the entry's key in the document's `{}`).", s.name, f.name);
            b.attributes.insert(0, crate::schema::attr(s.name, Type::String, Mode::Required, key));
        }
        let n = i64::from(f.required && nesting == Nesting::Single);
        blocks.push(NestedBlock { name: tf_name(f), nesting, block: b, min_items: n, max_items: n });
    }
    Block { description: sentence(shape.doc), attributes, blocks }
}

/// Write the fields of `shape` that `v` sets into `doc`, as the language's
/// YAML/JSON form, each marked with its attribute path.
pub fn write(doc: &mut DocBuilder, shape: &'static Shape, v: &Value, path: &[Step], skip: &[&str]) {
    for f in shape.fields.iter().filter(|f| !skip.contains(&f.name)) {
        match f.ty {
            Ty::Str(_) => doc.string_attr(v, f.name, path),
            Ty::Bool => doc.bool_attr(v, f.name, path),
            Ty::Int(_) => doc.number_attr(v, f.name, path),
            Ty::StrList(..) => doc.list_attr(v, f.name, path),
            Ty::StrMap => doc.map_attr(v, f.name, path),
            Ty::Obj(s) => {
                let inner = v.get(f.name);
                if inner.is_null() {
                    continue;
                }
                let p = super::with(path, Step::Attr(f.name.into()));
                doc.key(f.name, p.clone());
                doc.raw("{");
                write(doc, s, inner, &p, &[]);
                doc.raw("}");
            }
            Ty::List(s) => {
                let Some(items) = v.get(s.name).as_list().filter(|l| !l.is_empty()) else { continue };
                let p = super::with(path, Step::Attr(s.name.into()));
                doc.key(f.name, p.clone());
                doc.raw("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        doc.raw(",");
                    }
                    doc.raw("{");
                    write(doc, s, item, &super::with(&p, Step::Index(i as i64)), &[]);
                    doc.raw("}");
                }
                doc.raw("]");
            }
            Ty::Named(s) => {
                let Some(items) = v.get(s.name).as_list() else { continue };
                let p = super::with(path, Step::Attr(s.name.into()));
                doc.key(f.name, p.clone());
                doc.raw("{");
                for (i, item) in items.iter().enumerate() {
                    let at = super::with(&p, Step::Index(i as i64));
                    doc.key(item.get(s.name).as_str().unwrap_or(""), super::with(&at, Step::Attr(s.name.into())));
                    doc.raw("{");
                    write(doc, s, item, &at, &[]);
                    doc.raw("}");
                }
                doc.raw("}");
            }
        }
    }
}

/// Whether `v` sets any field of `shape` (an empty repeated block counts as
/// unset): the first one's Terraform name.
pub fn first_set(shape: &'static Shape, v: &Value, skip: &[&str]) -> Option<&'static str> {
    shape.fields.iter().filter(|f| !skip.contains(&f.name)).map(tf_name).find(|k| match v.get(k) {
        Value::Null => false,
        Value::List(l) => !l.is_empty(),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jit_policy::ast::shape;

    #[test]
    fn every_field_of_a_role_and_a_policy_is_in_the_schema() {
        for s in [&shape::ROLE, &shape::POLICY] {
            let b = block(s, &[]);
            for f in s.fields {
                let name = tf_name(f);
                assert!(
                    b.attribute(name).is_some() || b.blocks.iter().any(|nb| nb.name == name),
                    "`{}` has no `{name}`",
                    s.name
                );
            }
        }
        let p = block(&shape::POLICY, &[]);
        let window = p.blocks.iter().find(|b| b.name == "window").expect("window block");
        assert_eq!(window.nesting, Nesting::List);
        let r = block(&shape::ROLE, &[]);
        let openbao = r.blocks.iter().find(|b| b.name == "openbao").expect("openbao block");
        let path = openbao.block.blocks.iter().find(|b| b.name == "path").expect("path blocks");
        assert!(path.block.attribute("path").is_some() && path.block.attribute("capabilities").is_some());
    }
}
