//! SARIF 2.1.0 output of diagnostics, for code-scanning uploads.

use crate::diag::{Code, Diagnostic, Severity};
use crate::source::SourceMap;
use serde_json::{json, Value};

/// A SARIF log with one run of `jitc`.
pub fn to_sarif<'a>(diags: impl Iterator<Item = &'a Diagnostic>, sources: &SourceMap) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": {"text": c.title()},
                "defaultConfiguration": {"level": level(c.severity())},
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .map(|d| {
            let l = d.locate(sources);
            let mut message = l.message.clone();
            if !l.help.is_empty() {
                message.push_str("\nhelp: ");
                message.push_str(&l.help);
            }
            let mut r = json!({
                "ruleId": l.code,
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": level(l.severity),
                "message": {"text": message},
            });
            if !l.file.is_empty() {
                r["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": l.file.trim_start_matches("./")},
                        "region": {"startLine": l.line, "startColumn": l.column}
                    }
                }]);
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "jitc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/jit-access/jit",
                "rules": rules,
            }},
            "results": results,
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
