//! OpenBao: the ACL policy text (HCL) and the AppRole role's parameters.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::openbao::{AppRole, OpenbaoModel};
use serde::ser::SerializeMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Openbao;

/// The `openbao` entry of a binding's JSON.
#[derive(Serialize)]
struct View<'a> {
    policy_name: &'a str,
    policy_hcl: String,
    policy_expiration: String,
    role_name: &'a str,
    role: &'a AppRole,
}

impl Rendering for Openbao {
    type Model = OpenbaoModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[
        FlatOutput { name: "openbao_policy_hcl", kind: FlatKind::Text, doc: "OpenBao ACL policy text." },
        FlatOutput { name: "openbao_role", kind: FlatKind::Text, doc: "OpenBao AppRole role parameters, JSON." },
    ];

    fn fields<M: SerializeMap>(&self, m: &OpenbaoModel, map: &mut M) -> Result<(), M::Error> {
        let view = View {
            policy_name: &m.policy_name,
            policy_hcl: policy_hcl(m),
            policy_expiration: m.policy_expiration.to_string(),
            role_name: &m.role_name,
            role: &m.role,
        };
        map.serialize_entry("openbao", &view)
    }

    fn files(&self, m: &OpenbaoModel) -> Vec<(String, String)> {
        vec![("openbao.policy.hcl".into(), policy_hcl(m)), ("openbao.role.json".into(), pretty(&m.role))]
    }

    fn flat_values(&self, m: &OpenbaoModel) -> Vec<FlatValue> {
        vec![FlatValue::Text(policy_hcl(m)), FlatValue::Text(compact(&m.role))]
    }
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

/// The ACL policy text.
pub fn policy_hcl(o: &OpenbaoModel) -> String {
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
