//! GCP: the conditional IAM binding, its CEL text, the resource whose IAM
//! policy receives it and the policy version conditions need.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::gcp::{Cel, GcpModel, POLICY_VERSION};
use serde::ser::SerializeMap;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Gcp;

/// The IAM binding, ready for an IAM policy's `bindings` list.
#[derive(Debug, Serialize)]
pub struct IamBinding<'a> {
    pub role: &'a str,
    pub members: &'a [String],
    pub condition: Condition<'a>,
}

#[derive(Debug, Serialize)]
pub struct Condition<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub expression: String,
}

/// The binding of a model, with the expression rendered.
pub fn iam_binding(m: &GcpModel) -> IamBinding<'_> {
    IamBinding {
        role: &m.role,
        members: &m.members,
        condition: Condition {
            title: &m.condition.title,
            description: &m.condition.description,
            expression: cel(&m.condition.expression),
        },
    }
}

impl Rendering for Gcp {
    type Model = GcpModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[FlatOutput {
        name: "gcp_binding",
        kind: FlatKind::Text,
        doc: "GCP IAM binding with its condition, JSON (needs IAM policy version 3).",
    }];

    fn fields<M: SerializeMap>(&self, m: &GcpModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("gcp", &iam_binding(m))?;
        map.serialize_entry("gcp_resource", &m.resource)?;
        map.serialize_entry("gcp_policy_version", &POLICY_VERSION)
    }

    fn files(&self, m: &GcpModel) -> Vec<(String, String)> {
        vec![("gcp.json".into(), pretty(&iam_binding(m)))]
    }

    fn flat_values(&self, m: &GcpModel) -> Vec<FlatValue> {
        vec![FlatValue::Text(compact(&iam_binding(m)))]
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_count_matches_the_rendered_text() {
        let c = Cel::And(vec![
            Cel::Cmp("a".into(), ">=", "1".into()),
            Cel::Or(vec![
                Cel::And(vec![Cel::In("d".into(), vec![1, 2]), Cel::Cmp("h".into(), "<", "9".into())]),
                Cel::Cmp("h".into(), ">=", "22".into()),
            ]),
        ]);
        let text = cel(&c);
        assert_eq!(text, "a >= 1 && ((d in [1, 2] && h < 9) || h >= 22)");
        assert_eq!(c.logical_operators(), text.matches("&&").count() + text.matches("||").count());
        assert_eq!(c.logical_operators(), 3);
    }
}
