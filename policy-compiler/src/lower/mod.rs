//! IR -> per-target models: the target contract.
//!
//! Each target is one module here implementing [`Lowering`]: given one
//! binding (through [`Cx`]) it builds the target's typed model and says how
//! the target enforces time ([`Enforcement`]). Limits of the target are
//! errors and requirements it cannot express are warnings, both reported
//! through [`Cx::report`], which records the target on the diagnostic.
//! Turning models into text is `render`'s job; this module never does it.
//! Targets are registered in `crate::target`.

pub mod aws;
pub mod aws_trust;
pub mod azure;
pub mod broker;
pub mod gcp;
pub mod openbao;
pub mod rego;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::Binding;
use crate::source::Span;
use crate::target::Target;
pub use crate::target::{enforces, Enforcement, Enforces, Feature, How};
use serde::Serialize;
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// The contract of a lowering target.
pub trait Lowering {
    /// The typed model of one binding on this target.
    type Model: fmt::Debug + Send + Sync + 'static;

    /// The role block this target lowers (`aws`), if it reads one. A binding
    /// whose role lacks the block has no output on this target, silently.
    const ROLE_BLOCK: Option<&'static str>;

    /// The subject identity this target grants to (`aws`), if any. A binding
    /// whose role has the block but whose subject lacks the identity is
    /// skipped with a `JIT100` warning before `lower` is called.
    const IDENTITY: Option<&'static str>;

    /// How the target enforces each feature of the language (one row per
    /// [`Feature`]), with the code of the warning `lower` reports on a
    /// binding using a feature the target enforces less strictly than
    /// declared. docs/language.md shows this table; a test walks it.
    const ENFORCES: &'static [Enforces];

    /// Lower one binding. `None` means no output: after reporting an error
    /// (a limit of the target) through `cx`, or when nothing applies.
    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<Self::Model>>;
}

/// What a [`Lowering`] builds for one binding.
#[derive(Debug)]
pub struct Lowered<M> {
    pub model: M,
    pub enforcement: Enforcement,
}

/// Lowering options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Prefix of OpenBao policy and AppRole names.
    pub openbao_prefix: String,
    /// The reference instant for outputs that cover a horizon rather than
    /// the whole grant (AWS policies too large to unroll whole): the horizon
    /// starts at the UTC week containing it, kept inside the grant. The
    /// compiler reads no clock: `jitc compile --as-of` and the provider
    /// (its last refresh) supply it. `None`: such outputs are an error.
    pub as_of: Option<jiff::Timestamp>,
    /// The Istio extension provider (`meshConfig.extensionProviders[].name`)
    /// that the generated `AuthorizationPolicy` objects name.
    pub istio_provider: String,
    /// The pod label whose value is the service name, selecting the
    /// workloads each `AuthorizationPolicy` applies to.
    pub istio_selector_label: String,
    /// The AWS account's role trust policy size limit, characters without
    /// whitespace: 2,048 unless the account's quota was raised (at most
    /// 4,096). The merged trust policy of each assumed role fits in it.
    pub aws_trust_policy_limit: usize,
}

/// The Istio extension provider named unless configured otherwise.
pub const DEFAULT_ISTIO_PROVIDER: &str = "jit-opa";
/// The selector label unless configured otherwise.
pub const DEFAULT_ISTIO_SELECTOR_LABEL: &str = "app";

impl Default for Options {
    fn default() -> Self {
        Options {
            openbao_prefix: openbao::DEFAULT_PREFIX.to_string(),
            as_of: None,
            istio_provider: DEFAULT_ISTIO_PROVIDER.to_string(),
            istio_selector_label: DEFAULT_ISTIO_SELECTOR_LABEL.to_string(),
            aws_trust_policy_limit: aws_trust::TRUST_LIMIT_DEFAULT,
        }
    }
}

/// What one target's lowering sees of a binding, and where it reports.
#[derive(Debug)]
pub struct Cx<'a> {
    pub binding: &'a Binding,
    pub options: &'a Options,
    /// The binding's content digest (`sha256:...`).
    pub digest: &'a str,
    /// What this binding's lowering may know of the others compiled with it.
    pub peers: &'a Peers,
    target: Target,
    identity: Option<&'a str>,
    diags: &'a mut Diagnostics,
    /// The broker rule, built once per binding for the digest and handed to
    /// the broker target.
    rule: Option<broker::Rule>,
}

impl<'a> Cx<'a> {
    pub fn target(&self) -> Target {
        self.target
    }

    /// The subject's identity on this target (present whenever the target
    /// declares [`Lowering::IDENTITY`]).
    pub fn identity(&self) -> Option<&'a str> {
        self.identity
    }

    /// Report an error (a limit of the target) or a warning (something the
    /// target does not enforce) about this binding on this target.
    pub fn report(&mut self, code: Code, span: Span, message: impl Into<String>, help: impl Into<String>) {
        self.diags.push(Diagnostic::at(code, span, message).with_help(help).for_target(self.target));
    }
}

/// A model of any target, as stored in a [`TargetOutput`].
pub trait Model: Any + fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any + fmt::Debug + Send + Sync> Model for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One target's lowered model of one binding.
#[derive(Debug, Clone)]
pub struct TargetOutput {
    pub target: Target,
    pub enforcement: Enforcement,
    model: Arc<dyn Model>,
}

impl TargetOutput {
    /// The model, when it is of type `M`.
    pub fn model<M: 'static>(&self) -> Option<&M> {
        // Through the trait object, not the `Arc` (which is `Any` itself).
        let model: &dyn Model = &*self.model;
        model.as_any().downcast_ref()
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

/// Every target's model of one binding.
#[derive(Debug, Clone)]
pub struct BindingOutput {
    pub binding: String,
    /// The content digest: the SHA-256 of the broker rule without its digest.
    pub digest: String,
    /// The targets that produced a model, in [`Target::ALL`] order.
    pub targets: Vec<TargetOutput>,
    pub warnings: Vec<OutputWarning>,
}

impl BindingOutput {
    /// The output of target `t`, if it produced one.
    pub fn get(&self, t: Target) -> Option<&TargetOutput> {
        self.targets.iter().find(|o| o.target == t)
    }

    /// The first model of type `M` (each target has its own model type).
    pub fn model<M: 'static>(&self) -> Option<&M> {
        self.targets.iter().find_map(TargetOutput::model)
    }

    /// How each target that produced a model enforces time.
    pub fn enforcement(&self) -> impl Iterator<Item = (Target, Enforcement)> + '_ {
        self.targets.iter().map(|o| (o.target, o.enforcement))
    }
}

/// What one binding's lowering may know of the other bindings compiled with
/// it: how many share an output whose size is limited as a whole (the
/// trust policy of a role several subjects may assume).
#[derive(Debug, Clone, Default)]
pub struct Peers {
    /// Per assumed role ARN, the bindings (with an AWS identity) assuming it.
    assumers: std::collections::BTreeMap<String, usize>,
}

impl Peers {
    pub fn of<'b>(bindings: impl IntoIterator<Item = &'b Binding>) -> Peers {
        let mut assumers = std::collections::BTreeMap::new();
        for b in bindings {
            let arn = b.role.aws.as_ref().and_then(|a| a.assume_role.as_ref());
            if let (Some((arn, _)), Some(_)) = (arn, b.subject.identity("aws")) {
                *assumers.entry(arn.clone()).or_insert(0) += 1;
            }
        }
        Peers { assumers }
    }

    /// How many bindings assume the role `arn` (at least one: the asker).
    pub fn assuming(&self, arn: &str) -> usize {
        self.assumers.get(arn).copied().unwrap_or(1).max(1)
    }
}

/// Lower one binding to the requested targets (in [`Target::ALL`] order).
/// Errors and warnings go to `diags` with their spans and targets; warnings
/// are also kept on the output.
pub fn lower_binding(
    b: &Binding,
    targets: &[Target],
    opts: &Options,
    peers: &Peers,
    diags: &mut Diagnostics,
) -> BindingOutput {
    let rule = broker::rule(b);
    let digest = rule.digest.clone();
    let mut local = Diagnostics::new();
    let mut cx = Cx {
        binding: b,
        options: opts,
        digest: &digest,
        peers,
        // Set by `run` before each target's lowering.
        target: Target::ALL[0],
        identity: None,
        diags: &mut local,
        rule: Some(rule),
    };
    let outputs: Vec<TargetOutput> =
        Target::ALL.iter().filter(|t| targets.contains(t)).filter_map(|t| t.lower(&mut cx)).collect();
    let warnings = local
        .warnings()
        .filter_map(|d| Some(OutputWarning { code: d.code.as_str(), target: d.target?, message: d.text() }))
        .collect();
    diags.extend(local);
    BindingOutput { binding: b.name.clone(), digest, targets: outputs, warnings }
}

/// Run one target's lowering: check its role block and subject identity,
/// then lower. Called through the registry.
pub(crate) fn run<L: Lowering>(target: Target, lowering: &L, cx: &mut Cx<'_>) -> Option<TargetOutput> {
    let b = cx.binding;
    if let Some(block) = L::ROLE_BLOCK {
        if !b.role.has_block(block) {
            return None;
        }
    }
    cx.target = target;
    cx.identity = None;
    if let Some(field) = L::IDENTITY {
        let Some(id) = b.subject.identity(field) else {
            let block = L::ROLE_BLOCK.unwrap_or(field);
            cx.report(
                Code::TargetSkipped,
                b.subject.span,
                format!(
                    "role `{}` has {block} permissions but subject `{}` has no {field} identity; the target is skipped",
                    b.role.name, b.subject.name
                ),
                format!("add `{field}` to the binding's subject, or drop the `{block}` block from the role"),
            );
            return None;
        };
        cx.identity = Some(id);
    }
    let Lowered { model, enforcement } = lowering.lower(cx)?;
    Some(TargetOutput { target, enforcement, model: Arc::new(model) })
}
