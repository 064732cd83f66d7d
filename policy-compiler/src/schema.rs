//! Generated JSON Schemas: the YAML/JSON form of `jit/v1` (from the same
//! shape table the AST builder reads, so the two cannot disagree on
//! structure) and the broker rule. `jitc schema --out schemas/` writes them;
//! a test fails when the committed files differ.

use crate::ast::shape::{self, Format, Shape, Ty};
use serde_json::{json, Map, Value};

pub const POLICY_SCHEMA_FILE: &str = "jit-policy.v1.schema.json";
pub const BROKER_SCHEMA_FILE: &str = "broker-rule.v1.schema.json";

fn string_schema(f: Format) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("string"));
    if f != Format::Text {
        m.insert("minLength".into(), json!(1));
    }
    if let Some(p) = f.pattern() {
        m.insert("pattern".into(), json!(p));
    }
    if let Some(v) = f.values() {
        m.insert("enum".into(), json!(v));
    }
    Value::Object(m)
}

fn ty_schema(ty: Ty, field: &str) -> Value {
    match ty {
        Ty::Str(f) => string_schema(f),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int(min) => json!({"type": "integer", "minimum": min}),
        Ty::StrList(f, nonempty) => {
            let mut m = json!({"type": "array", "items": string_schema(f)});
            if nonempty {
                m["minItems"] = json!(1);
            }
            m
        }
        Ty::StrMap => {
            json!({"type": "object", "propertyNames": {"minLength": 1}, "additionalProperties": {"type": "string"}})
        }
        Ty::Obj(s) => json!({"$ref": format!("#/$defs/{}", s.name)}),
        Ty::Named(s) => {
            let mut m = json!({"type": "object", "additionalProperties": {"$ref": format!("#/$defs/{}", s.name)}});
            if matches!(field, "roles" | "policies" | "bindings") {
                m["propertyNames"] = json!({"pattern": shape::NAME_PATTERN});
            }
            m
        }
        Ty::List(s) => json!({"type": "array", "items": {"$ref": format!("#/$defs/{}", s.name)}}),
    }
}

fn object_schema(s: &Shape) -> Value {
    let mut props = Map::new();
    for f in s.fields {
        let mut v = ty_schema(f.ty, f.name);
        if let Value::Object(m) = &mut v {
            m.insert("description".into(), json!(f.doc));
        }
        props.insert(f.name.into(), v);
    }
    let required: Vec<&str> = s.fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    let mut m = json!({
        "type": "object",
        "description": s.doc,
        "properties": Value::Object(props),
        "additionalProperties": false,
    });
    if !required.is_empty() {
        m["required"] = json!(required);
    }
    if !s.one_of_required.is_empty() {
        m["anyOf"] = Value::Array(s.one_of_required.iter().map(|f| json!({"required": [f]})).collect());
    }
    m
}

/// The schema of the YAML/JSON form of a `jit/v1` document.
pub fn policy_schema() -> Value {
    // Every object shape reachable from the document, once, by walking the
    // shape table (so a new block cannot be left out).
    fn walk(s: &'static Shape, defs: &mut Map<String, Value>) {
        for f in s.fields {
            if let Ty::Obj(inner) | Ty::Named(inner) | Ty::List(inner) = f.ty {
                if !defs.contains_key(inner.name) {
                    defs.insert(inner.name.into(), object_schema(inner));
                    walk(inner, defs);
                }
            }
        }
    }
    let mut defs = Map::new();
    walk(&shape::DOCUMENT, &mut defs);
    let mut root = object_schema(&shape::DOCUMENT);
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$id"] = json!(format!("https://jit.dev/schemas/{POLICY_SCHEMA_FILE}"));
    root["title"] = json!("jit/v1 policy document (YAML / JSON form)");
    root["$defs"] = Value::Object(defs);
    root
}

/// The schema of a broker rule, derived from its typed model
/// (`lower::broker::Rule`).
pub fn broker_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut v =
        serde_json::to_value(generator.into_root_schema_for::<crate::lower::broker::Rule>()).unwrap_or(Value::Null);
    // Optional fields are left out, never null.
    drop_null_alternatives(&mut v);
    let mut root = Map::new();
    root.insert("$schema".into(), v["$schema"].take());
    root.insert("$id".into(), json!(format!("https://jit.dev/schemas/{BROKER_SCHEMA_FILE}")));
    root.insert("title".into(), json!("jit broker rule v1"));
    if let Value::Object(m) = v {
        root.extend(m.into_iter().filter(|(k, _)| !matches!(k.as_str(), "$schema" | "title")));
    }
    Value::Object(root)
}

/// Replace `anyOf: [X, {"type": "null"}]` by X and `type: [T, "null"]` by T;
/// descriptions (doc comments) on one line.
fn drop_null_alternatives(v: &mut Value) {
    let null = json!({"type": "null"});
    if let Value::Object(m) = v {
        if let Some(Value::String(d)) = m.get_mut("description") {
            *d = d.replace('\n', " ");
        }
        if let Some(Value::Array(alts)) = m.get("anyOf") {
            if alts.len() == 2 && alts[1] == null {
                let keep = alts[0].clone();
                m.remove("anyOf");
                if let Value::Object(k) = keep {
                    m.extend(k);
                }
            }
        }
        if let Some(Value::Array(types)) = m.get("type") {
            let rest: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
            if rest.len() == 1 {
                m.insert("type".into(), rest[0].clone());
            }
        }
    }
    match v {
        Value::Object(m) => m.values_mut().for_each(drop_null_alternatives),
        Value::Array(a) => a.iter_mut().for_each(drop_null_alternatives),
        _ => {}
    }
}

/// Both schemas as (file name, pretty JSON text).
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        (POLICY_SCHEMA_FILE, crate::render::pretty(&policy_schema())),
        (BROKER_SCHEMA_FILE, crate::render::pretty(&broker_schema())),
    ]
}
