//! Target models -> text. Deterministic: struct field order, sorted maps,
//! bindings by name, two-space pretty JSON with a trailing newline.

pub mod spec;

use crate::lower::gcp::{self, Cel};
use crate::lower::openbao::OpenbaoOutput;
use crate::lower::{Lowered, Target};
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// CEL text of an expression; `||` inside `&&` is parenthesised, and so is
/// `&&` inside `||` (not needed for precedence, but easier to review).
pub fn cel(c: &Cel) -> String {
    fn go(c: &Cel, parent_is_op: bool, out: &mut String) {
        match c {
            Cel::And(v) | Cel::Or(v) => {
                let op = if matches!(c, Cel::And(_)) { " && " } else { " || " };
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

/// The OpenBao part of a binding's output.
#[derive(Serialize)]
struct OpenbaoView<'a> {
    policy_name: &'a str,
    policy_hcl: String,
    role_name: &'a str,
    role: &'a crate::lower::openbao::AppRole,
}

/// One binding's outputs as the `jitc compile --format json` object,
/// borrowing the models so rendering allocates little.
#[derive(Serialize)]
struct BindingView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    aws: Option<&'a crate::lower::aws::PolicyDocument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws_max_session_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gcp: Option<&'a gcp::IamBinding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gcp_resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gcp_policy_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure: Option<&'a crate::lower::azure::Request>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure_request_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    openbao: Option<OpenbaoView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broker: Option<&'a crate::lower::broker::Rule>,
    enforcement: BTreeMap<&'static str, &'static str>,
    digest: &'a str,
    warnings: &'a [crate::lower::OutputWarning],
}

impl<'a> BindingView<'a> {
    fn new(l: &'a Lowered) -> Self {
        BindingView {
            aws: l.aws.as_ref().map(|a| &a.policy),
            aws_max_session_duration: l.aws.as_ref().map(|a| a.max_session_duration),
            gcp: l.gcp.as_ref().map(|g| &g.binding),
            gcp_resource: l.gcp.as_ref().map(|g| g.resource.as_str()),
            gcp_policy_version: l.gcp.as_ref().map(|_| gcp::POLICY_VERSION),
            azure: l.azure.as_ref().map(|a| &a.request),
            azure_request_url: l.azure.as_ref().map(|a| a.url.as_str()),
            openbao: l.openbao.as_ref().map(|o| OpenbaoView {
                policy_name: &o.policy_name,
                policy_hcl: openbao_policy_hcl(o),
                role_name: &o.role_name,
                role: &o.role,
            }),
            broker: l.broker.as_ref(),
            enforcement: l.enforcement.iter().map(|(t, e)| (t.as_str(), e.as_str())).collect(),
            digest: &l.digest,
            warnings: &l.warnings,
        }
    }
}

/// One binding's outputs as a JSON value (for tests and `--out`).
pub fn binding_json(l: &Lowered) -> Value {
    to_value(&BindingView::new(l))
}

/// The bindings map, serialised lazily in name order.
struct Bindings<'a>(Vec<&'a Lowered>);

impl Serialize for Bindings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for l in &self.0 {
            m.serialize_entry(&l.binding, &BindingView::new(l))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct CompileOutput<'a> {
    bindings: Bindings<'a>,
}

/// Stream the `jitc compile --format json` document to `w` (pretty, with a
/// trailing newline), without building it in memory.
pub fn write_compile_json<W: std::io::Write>(mut w: W, outputs: &[Lowered]) -> std::io::Result<()> {
    let mut sorted: Vec<&Lowered> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.binding.cmp(&b.binding));
    serde_json::to_writer_pretty(&mut w, &CompileOutput { bindings: Bindings(sorted) })?;
    w.write_all(b"\n")
}

/// The whole `jitc compile --format json` document as a string.
pub fn compile_json(outputs: &[Lowered]) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_compile_json(&mut buf, outputs);
    String::from_utf8(buf).unwrap_or_default()
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
                    files.push((format!("{name}/openbao.role.json"), pretty(&to_value(&o.role))));
                }
            }
            Target::Aws => files.push((format!("{name}/aws.json"), pretty(item))),
            _ => files.push((format!("{name}/{}.json", t.as_str()), pretty(item))),
        }
    }
    files.push((format!("{name}/binding.json"), pretty(&v)));
    files
}
