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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
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
    /// GCP IAM Conditions in CEL.
    Gcp = "gcp" => lower::gcp::Gcp, render::gcp::Gcp;
    /// Azure PIM schedule requests.
    Azure = "azure" => lower::azure::Azure, render::azure::Azure;
    /// OpenBao / Vault ACL policies and AppRole roles.
    Openbao = "openbao" => lower::openbao::Openbao, render::openbao::Openbao;
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

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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
