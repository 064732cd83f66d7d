//! Front ends: text -> a spanned data tree.
//!
//! HCL and YAML are two spellings of one model. Both front ends produce the
//! same [`Node`] tree (maps keep their order and every key and value keeps
//! its span); the AST builder (`crate::ast`) then reads that tree with one
//! set of rules, so the two syntaxes cannot drift apart.
//!
//! HCL blocks are folded into the tree the YAML form spells out:
//! `role "x" {..}` becomes `roles: {x: {..}}`, `window {..}` becomes an item
//! of `windows: [..]` and `path "p" {..}` becomes `paths: {p: {..}}`.

mod hcl;
mod version;
mod yaml;

pub use version::{read_version, SUPPORTED_VERSIONS};

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span, Syntax};

/// A value of the data tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Map(Vec<Entry>),
}

/// A value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// One key of a map, in source order (duplicates are kept so the AST builder
/// can report them).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    /// A short name of the value's type for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// The entries of a map node.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(e) => Some(e),
            _ => None,
        }
    }

    /// First entry with the given key.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }
}

/// Parse one file into its data tree. A syntax error is returned as a single
/// diagnostic pointing at the offending line and column.
pub fn parse(file: FileId, source: &SourceFile) -> Result<Node, Diagnostic> {
    match source.syntax {
        Syntax::Hcl => hcl::parse(file, &source.text),
        Syntax::Yaml => yaml::parse(file, source),
    }
}

#[cfg(test)]
mod tests;
