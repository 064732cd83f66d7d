//! Terraform configuration -> a `jit/v1` document the compiler reads, with
//! a map from byte ranges back to attribute paths.
//!
//! The document is JSON (which the YAML front end reads), so the compiler
//! checks resource arguments with exactly the rules it applies to files;
//! each diagnostic is sent back against the attribute it came from.

use crate::convert::value::Value;
use crate::diag::{Diag, Severity, Step};
use jit_policy::diag::{Code, Diagnostic};
use jit_policy::lower::Options;
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use jit_policy::Compilation;

/// A JSON text under construction, remembering where each value came from.
#[derive(Debug, Default)]
pub struct DocBuilder {
    pub text: String,
    marks: Vec<(usize, usize, Vec<Step>)>,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl DocBuilder {
    pub fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// `"key":` followed by `json`, marked with `path`.
    pub fn field(&mut self, key: &str, json: &str, path: Vec<Step>) {
        self.sep();
        self.text.push_str(&quote(key));
        self.text.push(':');
        let start = self.text.len();
        self.text.push_str(json);
        self.marks.push((start, self.text.len(), path));
    }

    /// `"key":` and an object opened by the caller's next `raw("{")`.
    pub fn key(&mut self, key: &str, path: Vec<Step>) {
        self.sep();
        let start = self.text.len();
        self.text.push_str(&quote(key));
        self.marks.push((start, self.text.len(), path));
        self.text.push(':');
    }

    fn sep(&mut self) {
        if !matches!(self.text.chars().last(), Some('{' | '[' | ',' | ':') | None) {
            self.text.push(',');
        }
    }

    /// A string attribute of `v`, if set.
    pub fn string_attr(&mut self, v: &Value, attr: &str, path: &[Step]) {
        if let Some(s) = v.get(attr).as_str() {
            self.field(attr, &quote(s), with(path, Step::Attr(attr.into())));
        }
    }

    /// A bool attribute of `v`, if set.
    pub fn bool_attr(&mut self, v: &Value, attr: &str, path: &[Step]) {
        if let Some(b) = v.get(attr).as_bool() {
            self.field(attr, if b { "true" } else { "false" }, with(path, Step::Attr(attr.into())));
        }
    }

    /// A number attribute of `v` (written as an integer when whole), if set.
    pub fn number_attr(&mut self, v: &Value, attr: &str, path: &[Step]) {
        if let Value::Number(n) = v.get(attr) {
            let text = if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", *n as i64) } else { n.to_string() };
            self.field(attr, &text, with(path, Step::Attr(attr.into())));
        }
    }

    /// A list-of-strings attribute of `v`, each item marked, if set.
    pub fn list_attr(&mut self, v: &Value, attr: &str, path: &[Step]) {
        let Some(items) = v.get(attr).as_list() else { return };
        let p = with(path, Step::Attr(attr.into()));
        self.key(attr, p.clone());
        self.raw("[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            let start = self.text.len();
            self.text.push_str(&quote(item.as_str().unwrap_or("")));
            self.marks.push((start, self.text.len(), with(&p, Step::Index(i as i64))));
        }
        self.raw("]");
    }

    /// A map-of-strings attribute of `v`, each value marked, if set.
    pub fn map_attr(&mut self, v: &Value, attr: &str, path: &[Step]) {
        let Some(m) = v.get(attr).as_map() else { return };
        let p = with(path, Step::Attr(attr.into()));
        self.key(attr, p.clone());
        self.raw("{");
        for (k, val) in m {
            self.field(k, &quote(val.as_str().unwrap_or("")), with(&p, Step::Key(k.clone())));
        }
        self.raw("}");
    }

    /// The innermost attribute path whose text contains `offset`.
    pub fn path_at(&self, offset: usize) -> Vec<Step> {
        self.marks
            .iter()
            .filter(|(s, e, _)| *s <= offset && offset <= *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|(_, _, p)| p.clone())
            .unwrap_or_default()
    }
}

pub fn with(path: &[Step], step: Step) -> Vec<Step> {
    let mut p = path.to_vec();
    p.push(step);
    p
}

/// Compile a built document for `targets`.
pub fn compile(text: &str, targets: &[Target], opts: &Options) -> Compilation {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("(configuration)", Syntax::Yaml, text));
    jit_policy::compile(sources, targets, opts)
}

/// Compiler diagnostics as provider diagnostics, each against the attribute
/// it came from. `skip` filters codes that do not apply to a resource (an
/// unused role, say, when a role is compiled alone).
pub fn diagnostics(c: &Compilation, doc: &DocBuilder, skip: &[Code]) -> Vec<Diag> {
    c.diagnostics.iter().filter(|d| !skip.contains(&d.code)).map(|d| to_diag(d, doc)).collect()
}

fn to_diag(d: &Diagnostic, doc: &DocBuilder) -> Diag {
    let severity = if d.severity() == jit_policy::diag::Severity::Error { Severity::Error } else { Severity::Warning };
    let path = d.span.map(|s| doc.path_at(s.start)).unwrap_or_default();
    let mut detail = d.message.clone();
    if let Some(h) = &d.help {
        detail.push_str("\n\nhelp: ");
        detail.push_str(h);
    }
    Diag { severity, summary: format!("{}: {}", d.code.as_str(), first_line(&d.message)), detail, path }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Diagnostics of a document given as text (the `document` argument or a
/// policy file), pointing at `attr` and naming the line inside the text.
pub fn text_diagnostics(c: &Compilation, attr: &[Step], skip: &[Code]) -> Vec<Diag> {
    c.diagnostics
        .iter()
        .filter(|d| !skip.contains(&d.code))
        .map(|d| {
            let l = d.locate(&c.sources);
            let severity =
                if d.severity() == jit_policy::diag::Severity::Error { Severity::Error } else { Severity::Warning };
            let at = if l.line > 0 { format!("{}:{}:{}: ", l.file, l.line, l.column) } else { String::new() };
            let help = if l.help.is_empty() { String::new() } else { format!("\n\nhelp: {}", l.help) };
            Diag {
                severity,
                summary: format!("{}: {}", l.code, first_line(&l.message)),
                detail: format!("{at}{}{help}", l.message),
                path: attr.to_vec(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::path;

    #[test]
    fn built_documents_are_json_and_map_back_to_paths() {
        let mut doc = DocBuilder::default();
        doc.raw("{\"version\":\"jit/v1\",");
        doc.key("roles", Vec::new());
        doc.raw("{");
        doc.key("r", path(&["name"]));
        doc.raw("{");
        doc.field("description", "\"d\"", path(&["description"]));
        doc.raw("}}}");
        let v: serde_json::Value = serde_json::from_str(&doc.text).expect("valid JSON");
        assert_eq!(v["roles"]["r"]["description"], "d");
        let at = doc.text.find("\"d\"").expect("value");
        assert_eq!(doc.path_at(at + 1), path(&["description"]));
        assert_eq!(doc.path_at(doc.text.find("\"r\"").expect("key")), path(&["name"]));
    }
}
