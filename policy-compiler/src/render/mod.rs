//! Target models -> text. Deterministic: struct field order, sorted maps,
//! bindings by name, two-space pretty JSON with a trailing newline.

use crate::lower::gcp::{self, Cel};
use crate::lower::openbao::OpenbaoOutput;
use crate::lower::{Lowered, Target};
use serde_json::{json, Map, Value};

/// CEL text of an expression; `||` inside `&&` is parenthesised, and so is
/// `&&` inside `||` (not needed for precedence, but easier to review).
pub fn cel(c: &Cel) -> String {
    fn go(c: &Cel, parent_is_op: bool, out: &mut String) {
        match c {
            Cel::And(v) | Cel::Or(v) => {
                let op = if matches!(c, Cel::And(_)) {
                    " && "
                } else {
                    " || "
                };
                if parent_is_op {
                    out.push('(');
                }
                for (i, item) in v.iter().enumerate() {
                    if i > 0 {
                        out.push_str(op);
                    }
                    go(item, true, out);
                }
                if parent_is_op {
                    out.push(')');
                }
            }
            Cel::Cmp(l, op, r) => {
                out.push_str(l);
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                out.push_str(r);
            }
            Cel::In(l, days) => {
                out.push_str(l);
                out.push_str(" in [");
                let list: Vec<String> = days.iter().map(u8::to_string).collect();
                out.push_str(&list.join(", "));
                out.push(']');
            }
        }
    }
    let mut out = String::new();
    go(c, false, &mut out);
    out
}

fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '$' => out.push_str("$$"),
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The OpenBao ACL policy text.
pub fn openbao_policy_hcl(o: &OpenbaoOutput) -> String {
    let mut out = String::new();
    for line in &o.header {
        out.push_str("# ");
        out.push_str(&line.replace('\n', " "));
        out.push('\n');
    }
    for rule in &o.rules {
        out.push('\n');
        out.push_str(&format!("path {} {{\n", hcl_string(&rule.path)));
        let caps: Vec<String> = rule.capabilities.iter().map(|c| hcl_string(c)).collect();
        out.push_str(&format!("  capabilities = [{}]\n", caps.join(", ")));
        out.push_str("}\n");
    }
    out
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One binding's outputs as the `jitc compile --format json` object.
pub fn binding_json(l: &Lowered) -> Value {
    let mut m = Map::new();
    if let Some(a) = &l.aws {
        m.insert("aws".into(), to_value(&a.policy));
        m.insert(
            "aws_max_session_duration".into(),
            json!(a.max_session_duration),
        );
    }
    if let Some(g) = &l.gcp {
        m.insert("gcp".into(), to_value(&g.binding));
        m.insert("gcp_resource".into(), json!(g.resource));
        m.insert("gcp_policy_version".into(), json!(gcp::POLICY_VERSION));
    }
    if let Some(a) = &l.azure {
        m.insert("azure".into(), to_value(&a.request));
        m.insert("azure_request_url".into(), json!(a.url));
    }
    if let Some(o) = &l.openbao {
        m.insert(
            "openbao".into(),
            json!({
                "policy_name": o.policy_name,
                "policy_hcl": openbao_policy_hcl(o),
                "role_name": o.role_name,
                "role": to_value(&o.role),
            }),
        );
    }
    if let Some(b) = &l.broker {
        m.insert("broker".into(), to_value(b));
    }
    let enforcement: Map<String, Value> = l
        .enforcement
        .iter()
        .map(|(t, e)| (t.as_str().to_string(), json!(e.as_str())))
        .collect();
    m.insert("enforcement".into(), Value::Object(enforcement));
    m.insert("digest".into(), json!(l.digest));
    m.insert("warnings".into(), to_value(&l.warnings));
    Value::Object(m)
}

/// The whole `jitc compile --format json` document.
pub fn compile_json(outputs: &[Lowered]) -> String {
    let mut sorted: Vec<&Lowered> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.binding.cmp(&b.binding));
    let bindings: Map<String, Value> = sorted
        .into_iter()
        .map(|l| (l.binding.clone(), binding_json(l)))
        .collect();
    pretty(&json!({ "bindings": Value::Object(bindings) }))
}

/// Pretty JSON with a trailing newline.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The files `jitc compile --out DIR` writes for one binding: relative path
/// and content.
pub fn binding_files(l: &Lowered) -> Vec<(String, String)> {
    let v = binding_json(l);
    let mut files = Vec::new();
    let name = &l.binding;
    for t in Target::ALL {
        let Some(item) = v.get(t.as_str()) else {
            continue;
        };
        match t {
            Target::Openbao => {
                if let Some(o) = &l.openbao {
                    files.push((format!("{name}/openbao.policy.hcl"), openbao_policy_hcl(o)));
                    files.push((
                        format!("{name}/openbao.role.json"),
                        pretty(&to_value(&o.role)),
                    ));
                }
            }
            Target::Aws => files.push((format!("{name}/aws.json"), pretty(item))),
            _ => files.push((format!("{name}/{}.json", t.as_str()), pretty(item))),
        }
    }
    files.push((format!("{name}/binding.json"), pretty(&v)));
    files
}
