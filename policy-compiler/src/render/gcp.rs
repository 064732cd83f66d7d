//! GCP: the conditional IAM binding, its CEL text, the resource whose IAM
//! policy receives it and the policy version conditions need.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::gcp::{Cel, GcpModel, Op, Term, POLICY_VERSION};
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

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[
        FlatOutput {
            name: "gcp_binding",
            kind: FlatKind::Text,
            doc: "GCP IAM binding with its condition, JSON (needs IAM policy version 3).",
        },
        FlatOutput {
            name: "gcp_resource",
            kind: FlatKind::Text,
            doc: "The resource whose IAM policy gets the binding (the role's `gcp.resource`).",
        },
    ];

    fn fields<M: SerializeMap>(&self, m: &GcpModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("gcp", &iam_binding(m))?;
        map.serialize_entry("gcp_resource", &m.resource)?;
        map.serialize_entry("gcp_policy_version", &POLICY_VERSION)
    }

    fn files(&self, m: &GcpModel) -> Vec<(String, String)> {
        vec![("gcp.json".into(), pretty(&iam_binding(m)))]
    }

    fn flat_values(&self, m: &GcpModel) -> Vec<FlatValue> {
        vec![FlatValue::Text(compact(&iam_binding(m))), FlatValue::Text(m.resource.clone())]
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
                term(l, out);
                out.push_str(match op {
                    Op::Ge => " >= ",
                    Op::Lt => " < ",
                });
                term(r, out);
            }
            Cel::In(l, days) => {
                term(l, out);
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

fn term(t: &Term, out: &mut String) {
    use std::fmt::Write;
    let _ = match t {
        Term::RequestTime => write!(out, "request.time"),
        Term::Timestamp(ts) => write!(out, "timestamp(\"{ts}\")"),
        Term::DayOfWeek(tz) => write!(out, "request.time.getDayOfWeek(\"{tz}\")"),
        Term::Hours(tz) => write!(out, "request.time.getHours(\"{tz}\")"),
        Term::MinuteOfDay(tz) => {
            write!(out, "request.time.getHours(\"{tz}\") * 60 + request.time.getMinutes(\"{tz}\")")
        }
        Term::Int(n) => write!(out, "{n}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_count_matches_the_rendered_text() {
        let tz: std::sync::Arc<str> = "UTC".into();
        let c = Cel::And(vec![
            Cel::Cmp(Term::RequestTime, Op::Ge, Term::Timestamp("2027-01-01T00:00:00Z".parse().unwrap())),
            Cel::Or(vec![
                Cel::And(vec![
                    Cel::In(Term::DayOfWeek(tz.clone()), vec![1, 2]),
                    Cel::Cmp(Term::Hours(tz.clone()), Op::Lt, Term::Int(9)),
                ]),
                Cel::Cmp(Term::MinuteOfDay(tz), Op::Ge, Term::Int(1350)),
            ]),
        ]);
        let text = cel(&c);
        assert_eq!(
            text,
            "request.time >= timestamp(\"2027-01-01T00:00:00Z\") && ((request.time.getDayOfWeek(\"UTC\") in [1, 2] && request.time.getHours(\"UTC\") < 9) || request.time.getHours(\"UTC\") * 60 + request.time.getMinutes(\"UTC\") >= 1350)"
        );
        assert_eq!(c.logical_operators(), text.matches("&&").count() + text.matches("||").count());
        assert_eq!(c.logical_operators(), 3);
    }
}
