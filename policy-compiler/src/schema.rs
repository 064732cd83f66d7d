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
    let shapes: [&Shape; 11] = [
        &shape::ROLE,
        &shape::AWS,
        &shape::GCP,
        &shape::AZURE,
        &shape::OPENBAO,
        &shape::PATH,
        &shape::POLICY,
        &shape::WINDOW,
        &shape::REQUIRE,
        &shape::APPROVAL,
        &shape::BINDING,
    ];
    let mut defs = Map::new();
    for s in shapes {
        defs.insert(s.name.into(), object_schema(s));
    }
    defs.insert("subject".into(), object_schema(&shape::SUBJECT));
    let mut root = object_schema(&shape::DOCUMENT);
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$id"] = json!(format!("https://jit.dev/schemas/{POLICY_SCHEMA_FILE}"));
    root["title"] = json!("jit/v1 policy document (YAML / JSON form)");
    root["$defs"] = Value::Object(defs);
    root
}

/// The schema of a broker rule (`lower::broker::Rule`).
pub fn broker_schema() -> Value {
    let strings = json!({"type": "array", "items": {"type": "string"}});
    let ts = json!({"type": "string", "format": "date-time"});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://jit.dev/schemas/{BROKER_SCHEMA_FILE}"),
        "title": "jit broker rule v1",
        "description": "A time-bound grant for a broker or gateway to enforce at request time. Allow a request only when not_before <= now < expires_at, now falls in one of `windows` (if any) in the window's time zone, and every requirement holds.",
        "type": "object",
        "additionalProperties": false,
        "required": ["schema", "binding", "role", "policy", "subject", "permissions", "not_before", "expires_at", "windows", "max_session_seconds", "requirements", "digest"],
        "properties": {
            "schema": {"const": crate::lower::broker::SCHEMA},
            "binding": {"type": "string", "pattern": shape::NAME_PATTERN},
            "role": {"type": "string", "pattern": shape::NAME_PATTERN},
            "policy": {"type": "string", "pattern": shape::NAME_PATTERN},
            "subject": {
                "type": "object", "additionalProperties": false, "required": ["kind", "name", "identities"],
                "properties": {
                    "kind": {"enum": ["workload", "human"]},
                    "name": {"type": "string"},
                    "identities": {"type": "object", "additionalProperties": false, "properties": {
                        "aws": {"type": "string"}, "gcp": {"type": "string"}, "azure": {"type": "string"}, "openbao": {"type": "string"}
                    }}
                }
            },
            "permissions": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "aws": {"type": "object", "additionalProperties": false, "required": ["actions", "resources"], "properties": {"actions": strings, "resources": strings}},
                    "gcp": {"type": "object", "additionalProperties": false, "required": ["role", "resource"], "properties": {"role": {"type": "string"}, "resource": {"type": "string"}}},
                    "azure": {"type": "object", "additionalProperties": false, "required": ["role_definition_id", "scope"], "properties": {"role_definition_id": {"type": "string"}, "scope": {"type": "string"}}},
                    "openbao": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["path", "capabilities"], "properties": {
                        "path": {"type": "string"}, "capabilities": {"type": "array", "items": {"enum": shape::CAPABILITIES}}
                    }}}
                }
            },
            "not_before": ts,
            "expires_at": ts,
            "windows": {"type": "array", "items": {
                "type": "object", "additionalProperties": false, "required": ["days", "start", "end", "timezone", "overnight"],
                "properties": {
                    "days": {"type": "array", "items": {"enum": shape::DAYS}, "minItems": 1},
                    "start": {"type": "string", "pattern": Format::TimeOfDay.pattern()},
                    "end": {"type": "string", "pattern": Format::TimeOfDay.pattern()},
                    "timezone": {"type": "string", "description": "IANA time zone"},
                    "overnight": {"type": "boolean", "description": "end < start: the window ends on the next day"}
                }
            }},
            "max_session_seconds": {"type": "integer", "minimum": 900, "maximum": 43200},
            "requirements": {
                "type": "object", "additionalProperties": false, "required": ["mfa", "source_cidrs", "principal_tags"],
                "properties": {
                    "mfa": {"type": "boolean"},
                    "source_cidrs": strings,
                    "principal_tags": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
            "approval": {"type": "object", "additionalProperties": false, "required": ["approvers", "min_approvals"], "properties": {
                "approvers": strings, "min_approvals": {"type": "integer", "minimum": 1}
            }},
            "justification": {"type": "string"},
            "ticket": {"type": "string"},
            "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}
        }
    })
}

/// Both schemas as (file name, pretty JSON text).
pub fn files() -> Vec<(&'static str, String)> {
    vec![
        (POLICY_SCHEMA_FILE, crate::render::pretty(&policy_schema())),
        (BROKER_SCHEMA_FILE, crate::render::pretty(&broker_schema())),
    ]
}
