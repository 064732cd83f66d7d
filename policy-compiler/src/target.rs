//! The lowering targets, registered in one place.
//!
//! A target is a lowering module under `lower/` (one binding of the IR to a
//! typed model, its enforcement and its diagnostics: [`Lowering`]) and a
//! renderer under `render/` (that model to JSON fields, files and flat
//! outputs: [`Rendering`]), joined by one line of the `targets!` list
//! below. Everything else iterates [`Target::ALL`]: `compile`, the CLI's
//! `--target` choices, the compiled JSON and `--out` files, the provider's
//! `jit_binding` attributes, `explain` and `diff` (through each target's
//! role block and subject identity) and the docs tests.

use crate::lower::{self, Cx, Lowering, TargetOutput};
use crate::render::{self, FlatOutput, FlatValue, Rendering};
use serde::ser::SerializeMap;
use serde::Serialize;

macro_rules! targets {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $lower:path, $render:path;)*) => {
        /// A lowering target.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Target {
            $($(#[$doc])* $variant,)*
        }

        impl Target {
            /// Every target, in output order.
            pub const ALL: &'static [Target] = &[$(Target::$variant),*];

            /// The target's name (`--target`, JSON keys, file names).
            pub fn as_str(self) -> &'static str {
                match self { $(Target::$variant => $name,)* }
            }

            /// The role block the target lowers (`aws`), if any.
            pub fn role_block(self) -> Option<&'static str> {
                match self { $(Target::$variant => <$lower as Lowering>::ROLE_BLOCK,)* }
            }

            /// The subject identity the target grants to (`aws`), if any.
            pub fn identity(self) -> Option<&'static str> {
                match self { $(Target::$variant => <$lower as Lowering>::IDENTITY,)* }
            }

            /// How the target enforces each feature of the language.
            pub fn enforces(self) -> &'static [Enforces] {
                match self { $(Target::$variant => <$lower as Lowering>::ENFORCES,)* }
            }

            /// The flat outputs (provider attributes) of the target.
            pub fn flat_outputs(self) -> &'static [FlatOutput] {
                match self { $(Target::$variant => <$render as Rendering>::FLAT_OUTPUTS,)* }
            }

            pub(crate) fn lower(self, cx: &mut Cx<'_>) -> Option<TargetOutput> {
                match self { $(Target::$variant => lower::run(self, &$lower, cx),)* }
            }

            pub(crate) fn write_fields<M: SerializeMap>(self, out: &TargetOutput, map: &mut M) -> Result<(), M::Error> {
                match self { $(Target::$variant => render::write_fields(&$render, out, map),)* }
            }

            pub(crate) fn files(self, out: &TargetOutput) -> Vec<(String, String)> {
                match self { $(Target::$variant => render::files(&$render, out),)* }
            }

            pub(crate) fn shared_files(self, outputs: &[&crate::lower::BindingOutput], opts: &crate::lower::Options) -> Vec<(String, String)> {
                match self { $(Target::$variant => render::target_shared_files(&$render, self, outputs, opts),)* }
            }

            pub(crate) fn flat_values(self, out: &TargetOutput) -> Vec<(&'static str, FlatValue)> {
                match self { $(Target::$variant => render::flat_values(&$render, out),)* }
            }
        }

        // A target's renderer renders the model its lowering builds.
        const _: fn() = || {
            fn same_model<L: Lowering, R: Rendering<Model = L::Model>>() {}
            $(same_model::<$lower, $render>();)*
        };
    };
}

targets! {
    /// AWS IAM: one statement per active interval on `aws:CurrentTime`.
    Aws = "aws" => lower::aws::Aws, render::aws::Aws;
    /// AWS elevation: trust policy statements of a role the subject may
    /// assume, checked when it is assumed.
    AwsTrust = "aws_trust" => lower::aws_trust::AwsTrust, render::aws_trust::AwsTrust;
    /// GCP IAM Conditions in CEL.
    Gcp = "gcp" => lower::gcp::Gcp, render::gcp::Gcp;
    /// Azure PIM schedule requests.
    Azure = "azure" => lower::azure::Azure, render::azure::Azure;
    /// OpenBao / Vault ACL policies and AppRole roles.
    Openbao = "openbao" => lower::openbao::Openbao, render::openbao::Openbao;
    /// OPA / Rego for Envoy ext_authz and Istio: one bundle for all bindings.
    Rego = "rego" => lower::rego::Rego, render::rego::Rego;
    /// The neutral broker rule.
    Broker = "broker" => lower::broker::Broker, render::broker::Broker;
}

impl Target {
    /// The target named `s`.
    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// The target that lowers the role block `block` (the first registered).
    pub fn of_role_block(block: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.role_block() == Some(block))
    }

    /// The target that grants to the subject identity `field` (the first
    /// registered).
    pub fn of_identity(field: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.identity() == Some(field))
    }
}

/// A target serializes as its name.
impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a target enforces a binding's time (the `enforcement` output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    /// The target evaluates the exact rule itself.
    Exact,
    /// Windows are unrolled into absolute intervals.
    Expanded,
    /// Windows are unrolled over a horizon of whole weeks that the provider
    /// moves forward; nothing is allowed past it.
    Rolling,
    /// The provider adds and removes objects on apply.
    Convergence,
    /// Enforced when credentials are issued: OpenBao's windows
    /// (`jit_credential`, the grant's bounds being the target's), or an
    /// elevation's trust policy (checked when the role is assumed).
    Issuance,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Exact => "exact",
            Enforcement::Expanded => "expanded",
            Enforcement::Rolling => "rolling",
            Enforcement::Convergence => "convergence",
            Enforcement::Issuance => "issuance",
        }
    }
}

/// A feature of the language a binding may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    NotBefore,
    ExpiresAt,
    Windows,
    MaxSession,
    Mfa,
    SourceCidrs,
    PrincipalTags,
    Approval,
}

impl Feature {
    pub const ALL: &'static [Feature] = &[
        Feature::NotBefore,
        Feature::ExpiresAt,
        Feature::Windows,
        Feature::MaxSession,
        Feature::Mfa,
        Feature::SourceCidrs,
        Feature::PrincipalTags,
        Feature::Approval,
    ];

    /// The feature as the language spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::NotBefore => "not_before",
            Feature::ExpiresAt => "expires_at",
            Feature::Windows => "windows",
            Feature::MaxSession => "max_session",
            Feature::Mfa => "mfa",
            Feature::SourceCidrs => "source_cidrs",
            Feature::PrincipalTags => "principal_tags",
            Feature::Approval => "approval",
        }
    }

    /// Whether a binding declares the feature. The grant's bounds always;
    /// `max_session` only when its policy sets it (the default is the
    /// language's, not the binding's declaration).
    pub fn used_by(self, b: &crate::ir::Binding) -> bool {
        let p = &b.policy;
        match self {
            Feature::NotBefore | Feature::ExpiresAt => true,
            Feature::Windows => !p.windows.is_empty(),
            Feature::MaxSession => p.max_session_span.is_some(),
            Feature::Mfa => p.require.mfa,
            Feature::SourceCidrs => !p.require.source_cidrs.is_empty(),
            Feature::PrincipalTags => !p.require.principal_tags.is_empty(),
            Feature::Approval => p.approval.is_some(),
        }
    }
}

/// How strictly a target enforces a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The target evaluates it exactly, at every request.
    Exact,
    /// Exactly, with windows unrolled into absolute intervals.
    Expanded,
    /// Exactly within the target's own range; a declared value outside it is
    /// moved into it (a warning).
    Bounded,
    /// Only when credentials are issued (a `jit_credential` login, an STS
    /// AssumeRole): a session started inside the grant may outlive it.
    AtIssuance,
    /// When the provider applies: objects appear at the first apply after
    /// the instant (later than declared, never earlier).
    AtApply,
    /// Before the grant exists: checked on the change that introduces it.
    AtReview,
    /// The target cannot express it; a binding using it is an error.
    Refused,
    /// Not enforced by the target (a warning).
    NotAtAll,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Exact => "exact",
            How::Expanded => "expanded",
            How::Bounded => "bounded",
            How::AtIssuance => "at issuance",
            How::AtApply => "at apply",
            How::AtReview => "at review",
            How::Refused => "refused",
            How::NotAtAll => "not at all",
        }
    }

    /// Whether a binding using the feature may get more access than it
    /// declares on this target: then every such binding has a warning.
    pub fn weakens(self) -> bool {
        matches!(self, How::Bounded | How::AtIssuance | How::NotAtAll)
    }
}

/// One row of a target's enforcement table: a feature, how the target
/// enforces it, and the code of the warning (or, for `Refused`, the error)
/// a binding using it gets when that is less than declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enforces {
    pub feature: Feature,
    pub how: How,
    pub code: Option<crate::diag::Code>,
}

/// A row of an enforcement table.
pub const fn enforces(feature: Feature, how: How, code: Option<crate::diag::Code>) -> Enforces {
    Enforces { feature, how, code }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for t in Target::ALL {
            assert_eq!(Target::parse(t.as_str()), Some(*t));
            assert_eq!(Target::ALL.iter().filter(|u| u.as_str() == t.as_str()).count(), 1);
        }
    }

    #[test]
    fn flat_output_names_are_unique_across_targets() {
        let mut seen = std::collections::BTreeSet::new();
        for t in Target::ALL {
            for o in t.flat_outputs() {
                assert!(seen.insert(o.name), "flat output `{}` is declared twice", o.name);
            }
        }
    }

    #[test]
    fn every_target_declares_every_feature_once_with_a_code_where_it_weakens() {
        for t in Target::ALL {
            for f in Feature::ALL {
                let rows: Vec<&Enforces> = t.enforces().iter().filter(|e| e.feature == *f).collect();
                assert_eq!(rows.len(), 1, "{t}: `{}` must be declared once", f.as_str());
                let e = rows[0];
                let coded = e.how.weakens() || e.how == How::Refused;
                assert_eq!(
                    e.code.is_some(),
                    coded,
                    "{t}: `{}` {} needs a code iff it weakens",
                    f.as_str(),
                    e.how.as_str()
                );
            }
        }
    }

    /// docs/language.md's enforcement table says what the registry says.
    #[test]
    fn the_enforcement_table_in_the_docs_is_the_registry() {
        let doc = include_str!("../../docs/language.md");
        let section = doc.split("## What each target enforces").nth(1).expect("the enforcement section");
        let row = |cells: &str| -> Vec<String> {
            cells.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
        };
        let header = section.lines().find(|l| l.starts_with("| feature |")).map(row).expect("a header row");
        let targets: Vec<String> = Target::ALL.iter().map(|t| format!("`{t}`")).collect();
        assert_eq!(&header[1..], targets.as_slice(), "one column per registered target, in order");
        for f in Feature::ALL {
            let line = section
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", f.as_str())))
                .unwrap_or_else(|| panic!("no row for `{}`", f.as_str()));
            let cells = row(line);
            for (t, cell) in Target::ALL.iter().zip(&cells[1..]) {
                let e = t.enforces().iter().find(|e| e.feature == *f).expect("declared");
                let want = match e.code {
                    Some(c) => format!("{} (`{}`)", e.how.as_str(), c.as_str()),
                    None => e.how.as_str().to_string(),
                };
                assert_eq!(cell, &want, "docs/language.md: `{}` on {t}", f.as_str());
            }
        }
    }

    #[test]
    fn every_target_has_a_row_in_the_lowering_table() {
        let doc = include_str!("../../docs/language.md");
        for t in Target::ALL {
            assert!(doc.contains(&format!("| `{t}` |")), "{t} is missing from docs/language.md's lowering table");
        }
    }

    #[test]
    fn role_blocks_and_identities_exist_in_the_language() {
        use crate::ast::shape;
        for t in Target::ALL {
            if let Some(b) = t.role_block() {
                assert!(shape::ROLE.field(b).is_some(), "{t}: no role block `{b}`");
            }
            if let Some(i) = t.identity() {
                assert!(shape::SUBJECT.identity_fields().any(|f| f == i), "{t}: no subject identity `{i}`");
            }
        }
    }
}
