//! Native <-> `tfplugin6` conversions.

use super::value::{self, Type, Value};
use crate::diag::{Diag, Severity, Step};
use crate::proto::tfplugin6 as pb;
use crate::schema::{Block, Mode, Nesting, Schema};

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block(&s.block)) }
}

fn block(b: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: b
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.to_string(),
                r#type: a.ty.to_json().into_bytes(),
                description: a.description.clone(),
                required: a.mode == Mode::Required,
                optional: matches!(a.mode, Mode::Optional | Mode::OptionalComputed),
                computed: matches!(a.mode, Mode::Computed | Mode::OptionalComputed),
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                nested_type: None,
                write_only: false,
            })
            .collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.name.to_string(),
                block: Some(block(&nb.block)),
                nesting: match nb.nesting {
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single as i32,
                    Nesting::List => pb::schema::nested_block::NestingMode::List as i32,
                },
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: false,
    }
}

pub fn diagnostics(d: &[Diag]) -> Vec<pb::Diagnostic> {
    d.iter().map(diagnostic).collect()
}

pub fn diagnostic(d: &Diag) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error as i32,
            Severity::Warning => pb::diagnostic::Severity::Warning as i32,
        },
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: (!d.path.is_empty()).then(|| attribute_path(&d.path)),
    }
}

pub fn attribute_path(path: &[Step]) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attr(a) => Selector::AttributeName(a.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// Decode a DynamicValue (msgpack, or JSON) for a type. Absent is null.
pub fn decode(dv: Option<&pb::DynamicValue>, t: &Type) -> Result<Value, Diag> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let v = if !dv.msgpack.is_empty() {
        value::from_msgpack(&dv.msgpack).map(|v| value::conform(v, t))
    } else {
        value::from_json(&dv.json, t)
    };
    v.map_err(|e| Diag::error("cannot decode a value from Terraform", e.to_string()))
}

pub fn encode(v: &Value, t: &Type) -> pb::DynamicValue {
    pb::DynamicValue { msgpack: value::to_msgpack(v, t), json: Vec::new() }
}
