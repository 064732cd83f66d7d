//! `jitc drift`: declared broker objects against a live OpenBao server (the
//! comparison itself is `jit_openbao::drift`), and rolling AWS horizons
//! about to end. This module feeds it the compiled bindings and renders the
//! findings.

use jit_openbao::client::OpenBao;
use jit_openbao::desired::Declared;
use jit_openbao::drift::{FieldDiff, Finding, Kind};
use jit_openbao::Config;
use jit_policy::ir;
use jit_policy::lower::aws::AwsModel;
use jit_policy::lower::aws_trust::TrustModel;
use jit_policy::lower::openbao::OpenbaoModel;
use jit_policy::lower::BindingOutput;
use jit_policy::Compilation;
use std::collections::HashMap;

/// Each compiled output with its binding (looked up once by name).
fn with_bindings(c: &Compilation) -> impl Iterator<Item = (&BindingOutput, &ir::Binding)> {
    let by_name: HashMap<&str, &ir::Binding> = c.model.bindings.iter().map(|b| (b.name.as_str(), b)).collect();
    c.outputs.iter().filter_map(move |l| Some((l, *by_name.get(l.binding.as_str())?)))
}

/// How far ahead a rolling horizon's end is flagged.
const HORIZON_NOTICE_SECONDS: i64 = 7 * 86_400;

/// Rolling AWS policies and trust statements, compiled as of `at`, whose
/// horizon ends within seven days before their grant does: they must be
/// applied again by then, or access stops early (nothing is allowed past
/// the horizon).
pub fn horizons(c: &Compilation, at: jiff::Timestamp) -> Vec<Finding> {
    with_bindings(c)
        .flat_map(|(l, b)| {
            let policy =
                l.model::<AwsModel>().and_then(|m| m.valid_until).map(|u| (u, "aws policy", "aws_valid_until"));
            let trust = l
                .model::<TrustModel>()
                .and_then(|m| m.valid_until)
                .map(|u| (u, "aws trust statements", "aws_trust_valid_until"));
            [policy, trust].into_iter().flatten().filter_map(move |(until, what, field)| {
                let soon = until.as_second() - at.as_second() <= HORIZON_NOTICE_SECONDS;
                (soon && until < b.expires_at).then(|| Finding {
                    kind: Kind::HorizonEnding,
                    object: format!("{what} of `{}`", b.name),
                    binding: Some(b.name.clone()),
                    fields: vec![FieldDiff {
                        field: field.into(),
                        expected: b.expires_at.to_string().into(),
                        actual: until.to_string().into(),
                    }],
                })
            })
        })
        .collect()
}

/// The findings for every binding of `c` with an OpenBao target, evaluated
/// at `at`.
pub fn run(c: &Compilation, config: Config, at: jiff::Timestamp) -> Result<Vec<Finding>, String> {
    let declared: Vec<(Declared, ir::Status)> = with_bindings(c)
        .filter_map(|(l, binding)| {
            Some((Declared::of(&l.binding, l.model::<OpenbaoModel>()?), ir::status(binding, at)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use jit_policy::lower::Options;
    use jit_policy::source::{SourceFile, SourceMap, Syntax};
    use jit_policy::target::Target;

    /// A year of two windows a day: with eight actions only one week fits.
    fn compile(at: &str) -> Compilation {
        let actions: Vec<String> = (0..8).map(|i| format!("\"dynamodb:GetItemOrSomethingLong{i}\"")).collect();
        let text = format!(
            "version = \"jit/v1\"\nrole \"r\" {{\n  aws {{\n    actions = [{}]\n    resources = [\"arn:aws:dynamodb:eu-west-1:123456789012:table/t\"]\n  }}\n}}\npolicy \"p\" {{\n  max_grant = \"366d\"\n  window {{\n    days = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]\n    start = \"08:00\"\n    end = \"09:00\"\n  }}\n  window {{\n    days = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\"]\n    start = \"20:00\"\n    end = \"21:00\"\n  }}\n}}\nbinding \"b\" {{\n  role = \"r\"\n  policy = \"p\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    aws = \"arn:aws:iam::123456789012:role/w\"\n  }}\n  not_before = \"2027-01-04T00:00:00Z\"\n  expires_at = \"2027-12-20T00:00:00Z\"\n}}\n",
            actions.join(", ")
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("b.hcl", Syntax::Hcl, text));
        let opts = Options { as_of: Some(at.parse().unwrap()), ..Options::default() };
        let c = jit_policy::compile(sources, &[Target::Aws], &opts);
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        c
    }

    #[test]
    fn a_horizon_ending_within_a_week_is_flagged_until_the_last_week() {
        let at: jiff::Timestamp = "2027-03-10T12:00:00Z".parse().unwrap();
        let found = horizons(&compile("2027-03-10T12:00:00Z"), at);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind.as_str(), "horizon_ending");
        assert_eq!(found[0].fields[0].actual, "2027-03-15T00:00:00Z");
        // In the grant's last week the horizon ends with the grant: no flag.
        let last: jiff::Timestamp = "2027-12-17T12:00:00Z".parse().unwrap();
        assert!(horizons(&compile("2027-12-17T12:00:00Z"), last).is_empty());
    }

    /// An elevation's trust statements roll too, and are flagged the same way.
    #[test]
    fn a_trust_horizon_ending_within_a_week_is_flagged() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/aws/elevation");
        let at: jiff::Timestamp = "2027-01-12T00:00:00Z".parse().unwrap();
        let opts = Options { as_of: Some(at), ..Options::default() };
        let c = jit_policy::compile(jit_policy::load::load_paths(&[root]).unwrap(), &[Target::AwsTrust], &opts);
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        // Two weeks fit each binding's share: both horizons end on 01-25,
        // 13 days ahead (not flagged); from 01-18 on they are.
        assert!(horizons(&c, at).is_empty());
        let later: jiff::Timestamp = "2027-01-19T00:00:00Z".parse().unwrap();
        let found = horizons(&c, later);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|f| f.fields[0].field == "aws_trust_valid_until"
            && f.fields[0].actual == "2027-01-25T00:00:00Z"
            && f.object.starts_with("aws trust statements of")));
    }
}
