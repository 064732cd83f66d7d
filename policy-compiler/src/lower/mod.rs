//! IR -> per-target models. Each target is a pure function of one binding;
//! rendering the models to text is `crate::render`'s job.
//!
//! Every target reports how it enforces time ([`Enforcement`]) and may add
//! warnings (dropped requirements) or errors (target limits).

pub mod aws;
pub mod azure;
pub mod broker;
pub mod gcp;
pub mod openbao;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::Binding;
use serde::Serialize;
use std::collections::BTreeMap;

/// A lowering target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Aws,
    Gcp,
    Azure,
    Openbao,
    Broker,
}

impl Target {
    pub const ALL: [Target; 5] = [Target::Aws, Target::Gcp, Target::Azure, Target::Openbao, Target::Broker];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Aws => "aws",
            Target::Gcp => "gcp",
            Target::Azure => "azure",
            Target::Openbao => "openbao",
            Target::Broker => "broker",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// How a target enforces the grant's time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// The target evaluates the exact rule itself.
    Exact,
    /// Windows are unrolled into absolute intervals.
    Expanded,
    /// The provider adds and removes objects on apply.
    Convergence,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Exact => "exact",
            Enforcement::Expanded => "expanded",
            Enforcement::Convergence => "convergence",
        }
    }
}

/// Lowering options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Prefix of OpenBao policy and AppRole names.
    pub openbao_prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options { openbao_prefix: "jit-".to_string() }
    }
}

/// A warning attached to one binding's output (no location, so HCL and YAML
/// sources compile to identical output; `jitc check` shows the location).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputWarning {
    pub code: &'static str,
    pub target: Target,
    pub message: String,
}

/// All target models of one binding.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub binding: String,
    pub digest: String,
    pub aws: Option<aws::AwsOutput>,
    pub gcp: Option<gcp::GcpOutput>,
    pub azure: Option<azure::AzureOutput>,
    pub openbao: Option<openbao::OpenbaoOutput>,
    pub broker: Option<broker::Rule>,
    pub enforcement: BTreeMap<Target, Enforcement>,
    pub warnings: Vec<OutputWarning>,
}

/// Lower one binding to the requested targets. Errors and warnings go to
/// `diags` (with spans); warnings are also kept on the output.
pub fn lower_binding(b: &Binding, targets: &[Target], opts: &Options, diags: &mut Diagnostics) -> Lowered {
    let rule = broker::lower(b);
    let digest = rule.digest.clone();
    let mut rule = Some(rule);
    let mut out = Lowered {
        binding: b.name.clone(),
        digest,
        aws: None,
        gcp: None,
        azure: None,
        openbao: None,
        broker: None,
        enforcement: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let mut local = Diagnostics::new();
    for &t in targets {
        let enforcement = match t {
            Target::Aws => b.role.aws.as_ref().and_then(|p| {
                identity(b, t, b.subject.aws.as_deref(), &mut local)?;
                let (model, e) = aws::lower(b, p, &mut local)?;
                out.aws = Some(model);
                Some(e)
            }),
            Target::Gcp => b.role.gcp.as_ref().and_then(|p| {
                let member = identity(b, t, b.subject.gcp.as_deref(), &mut local)?;
                out.gcp = Some(gcp::lower(b, p, member, &mut local)?);
                Some(Enforcement::Exact)
            }),
            Target::Azure => b.role.azure.as_ref().and_then(|p| {
                let principal = identity(b, t, b.subject.azure.as_deref(), &mut local)?;
                out.azure = Some(azure::lower(b, p, principal, &mut local)?);
                Some(Enforcement::Exact)
            }),
            Target::Openbao => b.role.openbao.as_ref().and_then(|p| {
                identity(b, t, b.subject.openbao.as_deref(), &mut local)?;
                out.openbao = Some(openbao::lower(b, p, opts, &mut local));
                Some(Enforcement::Convergence)
            }),
            Target::Broker => {
                out.broker = rule.take();
                Some(Enforcement::Exact)
            }
        };
        if let Some(e) = enforcement {
            out.enforcement.insert(t, e);
        }
    }
    for d in local.warnings() {
        if let Some(target) = d.message.split_once(':').and_then(|(t, _)| Target::parse(t)) {
            out.warnings.push(OutputWarning { code: d.code.as_str(), target, message: d.message.clone() });
        }
    }
    diags.extend(local);
    out
}

/// The subject's identity for a target the role has, or a warning.
fn identity<'a>(b: &Binding, t: Target, id: Option<&'a str>, diags: &mut Diagnostics) -> Option<&'a str> {
    if id.is_none() {
        diags.push(
            Diagnostic::at(
                Code::TargetSkipped,
                b.subject.span,
                format!(
                    "{}: role `{}` has {} permissions but subject `{}` has no {} identity; the target is skipped",
                    t.as_str(),
                    b.role.name,
                    t.as_str(),
                    b.subject.name,
                    t.as_str()
                ),
            )
            .with_help(format!(
                "add `{}` to the binding's subject, or drop the `{}` block from the role",
                t.as_str(),
                t.as_str()
            )),
        );
    }
    id
}

/// A warning whose message starts with `target:` so it can be attached to
/// the output.
pub(crate) fn target_warning(
    diags: &mut Diagnostics,
    code: Code,
    t: Target,
    span: crate::source::Span,
    msg: String,
    help: &str,
) {
    diags.push(Diagnostic::at(code, span, format!("{}: {msg}", t.as_str())).with_help(help));
}
