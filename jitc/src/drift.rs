//! `jitc drift`: declared broker objects against a live OpenBao server. The
//! comparison itself is `jit_openbao::drift`; this module feeds it the
//! compiled bindings and renders the findings.

use jit_openbao::client::OpenBao;
use jit_openbao::desired::Declared;
use jit_openbao::drift::Finding;
use jit_openbao::Config;
use jit_policy::ir;
use jit_policy::lower::openbao::OpenbaoModel;
use jit_policy::Compilation;

/// The findings for every binding of `c` with an OpenBao target, evaluated
/// at `at`.
pub fn run(c: &Compilation, config: Config, at: jiff::Timestamp) -> Result<Vec<Finding>, String> {
    let declared: Vec<(Declared, ir::Status)> = c
        .outputs
        .iter()
        .filter_map(|l| {
            let model = l.model::<OpenbaoModel>()?;
            let binding = c.model.bindings.iter().find(|b| b.name == l.binding)?;
            Some((Declared::of(&l.binding, model), ir::status(binding, at)))
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let client = OpenBao::new(config)?;
    runtime.block_on(jit_openbao::drift::drift(&client, &declared)).map_err(|e| e.to_string())
}

pub fn human(findings: &[Finding], at: jiff::Timestamp) -> String {
    if findings.is_empty() {
        return format!("no drift at {at}: every declared broker object matches OpenBao\n");
    }
    let mut out = format!("{} drift finding(s) at {at}:\n", findings.len());
    for f in findings {
        let who = f.binding.as_deref().map(|b| format!(" (binding `{b}`)")).unwrap_or_default();
        out.push_str(&format!("  {:<20} {}{who}\n", f.kind.as_str(), f.object));
        for d in &f.fields {
            out.push_str(&format!("      {}: expected {}, found {}\n", d.field, d.expected, d.actual));
        }
    }
    out
}
