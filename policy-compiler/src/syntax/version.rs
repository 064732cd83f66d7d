//! The document version is read before anything else.

use super::{Node, Value};
use crate::diag::{Code, Diagnostic};

/// The versions this compiler reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["jit/v1"];

/// Read `version` from the top of a parsed document. An absent, non-string
/// or unknown version is an error naming the supported versions; nothing else
/// of the document is interpreted then.
pub fn read_version(root: &Node) -> Result<&'static str, Diagnostic> {
    let supported = SUPPORTED_VERSIONS.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
    let Some(entries) = root.entries() else {
        return Err(Diagnostic::at(
            Code::MissingVersion,
            root.span,
            format!("a policy document must be a map starting with `version`, found {}", root.kind()),
        )
        .with_help(format!(
            "start the document with `version = \"jit/v1\"` (HCL) or `version: jit/v1` (YAML); supported: {supported}"
        )));
    };
    let Some(entry) = entries.iter().find(|e| e.key == "version") else {
        return Err(Diagnostic::at(Code::MissingVersion, root.span, "the document has no `version`").with_help(
            format!("add `version = \"jit/v1\"` (HCL) or `version: jit/v1` (YAML) at the top; supported: {supported}"),
        ));
    };
    match &entry.value.value {
        Value::Str(s) => SUPPORTED_VERSIONS.iter().copied().find(|v| v == s).ok_or_else(|| {
            Diagnostic::at(Code::UnknownVersion, entry.value.span, format!("unknown version `{s}`"))
                .with_help(format!("supported versions: {supported}"))
        }),
        _ => Err(Diagnostic::at(
            Code::UnknownVersion,
            entry.value.span,
            format!("`version` must be a string, found {}", entry.value.kind()),
        )
        .with_help(format!("supported versions: {supported}"))),
    }
}
