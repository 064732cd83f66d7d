//! Both front ends build the same tree; spans point at the source.

use super::*;
use crate::source::{FileId, SourceFile, Syntax};

fn parse_text(syntax: Syntax, text: &str) -> Result<Node, Diagnostic> {
    parse(FileId(0), &SourceFile::new("t", syntax, text))
}

/// The tree without spans, for comparing the two syntaxes.
fn shape(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => format!("{s:?}"),
        Value::List(v) => format!("[{}]", v.iter().map(shape).collect::<Vec<_>>().join(",")),
        Value::Map(e) => {
            format!("{{{}}}", e.iter().map(|e| format!("{}:{}", e.key, shape(&e.value))).collect::<Vec<_>>().join(","))
        }
    }
}

const HCL: &str = r#"version = "jit/v1"
policy "p" {
  window {
    days  = ["mon"]
    start = "09:00"
  }
  window {
    days = ["tue"]
  }
  require {
    mfa = true
    principal_tags = { team = "data" }
  }
}
role "r" {
  openbao {
    path "kv/*" { capabilities = ["read"] }
  }
}
"#;

const YAML: &str = r#"version: jit/v1
policies:
  p:
    windows:
      - days: [mon]
        start: "09:00"
      - days: [tue]
    require:
      mfa: true
      principal_tags: {team: data}
roles:
  r:
    openbao:
      paths:
        "kv/*": {capabilities: [read]}
"#;

#[test]
fn hcl_blocks_fold_into_the_yaml_shape() {
    let h = parse_text(Syntax::Hcl, HCL).expect("hcl parses");
    let y = parse_text(Syntax::Yaml, YAML).expect("yaml parses");
    assert_eq!(shape(&h), shape(&y));
}

#[test]
fn spans_point_at_the_text() {
    let y = parse_text(Syntax::Yaml, YAML).expect("yaml parses");
    let p = &y.get("policies").expect("policies").value.entries().expect("map")[0];
    assert_eq!(&YAML[p.key_span.start..p.key_span.end], "p");
    let h = parse_text(Syntax::Hcl, HCL).expect("hcl parses");
    let r = &h.get("roles").expect("roles").value.entries().expect("map")[0];
    assert_eq!(&HCL[r.key_span.start..r.key_span.end], "\"r\"");
}

#[test]
fn yaml_12_keeps_times_and_norway_as_strings() {
    let y = parse_text(Syntax::Yaml, "version: jit/v1\na: 09:00\nb: no\nc: 0x10\nd: ~\n").expect("parses");
    let get = |k: &str| y.get(k).map(|e| e.value.value.clone());
    assert_eq!(get("a"), Some(Value::Str("09:00".into())));
    assert_eq!(get("b"), Some(Value::Str("no".into())));
    assert_eq!(get("c"), Some(Value::Int(16)));
    assert_eq!(get("d"), Some(Value::Null));
}

#[test]
fn hcl_expressions_are_rejected_with_a_span() {
    let e = parse_text(Syntax::Hcl, "version = \"jit/v1\"\nx = var.y\n").expect_err("not data");
    assert_eq!(e.code, crate::diag::Code::UnsupportedExpression);
    let e = parse_text(Syntax::Hcl, "version = \"jit/v1\"\nx = \"${y}\"\n").expect_err("not data");
    assert_eq!(e.code, crate::diag::Code::UnsupportedExpression);
}

#[test]
fn version_is_checked_first() {
    let n = parse_text(Syntax::Yaml, "version: jit/v9\n").expect("parses");
    let e = read_version(&n).expect_err("unknown version");
    assert_eq!(e.code, crate::diag::Code::UnknownVersion);
    assert!(e.help.unwrap_or_default().contains("jit/v1"));
    let n = parse_text(Syntax::Hcl, "roles = {}\n").expect("parses");
    assert_eq!(read_version(&n).expect_err("missing").code, crate::diag::Code::MissingVersion);
}

#[test]
fn two_yaml_documents_are_refused() {
    let e = parse_text(Syntax::Yaml, "version: jit/v1\n---\nversion: jit/v1\n").expect_err("two docs");
    assert_eq!(e.code, crate::diag::Code::YamlSyntax);
}
