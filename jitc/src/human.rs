//! rustc-style rendering of diagnostics with the offending source line.

use jit_policy::diag::{Diagnostics, Severity};
use jit_policy::source::SourceMap;
use std::fmt::Write;

pub fn render_all(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags.iter() {
        let l = d.locate(sources);
        let sev = match l.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", l.code, l.message);
        if let (Some(span), Some(file)) = (d.span, d.span.and_then(|s| sources.get(s.file))) {
            let width = l.line.to_string().len();
            let _ = writeln!(out, "{:width$}--> {}:{}:{}", "", l.file, l.line, l.column);
            let text = file.line_text(l.line);
            let _ = writeln!(out, "{:width$} |", "");
            let _ = writeln!(out, "{} | {}", l.line, text);
            let line_chars = text.chars().count();
            let len =
                file.text.get(span.start..span.end).map(|s| s.chars().take_while(|c| *c != '\n').count()).unwrap_or(1);
            let len = len.clamp(1, line_chars.saturating_sub(l.column - 1).max(1));
            let _ = writeln!(out, "{:width$} | {}{}", "", " ".repeat(l.column - 1), "^".repeat(len));
        }
        if !l.help.is_empty() {
            let _ = writeln!(out, "  = help: {}", l.help);
        }
        out.push('\n');
    }
    out
}
