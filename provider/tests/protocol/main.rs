//! The `tfplugin6.Provider` service driven in-process the way Terraform
//! drives it: a tonic client on a unix socket (plaintext, as with
//! `TF_DISABLE_PLUGIN_TLS`), msgpack `DynamicValue`s built and read by a
//! small codec of the tests' own (independent of the provider's), and
//! Terraform's own checks on the answers: objects carry every attribute,
//! plans keep configured values, applies keep every known planned value,
//! the apply-time re-plan agrees with the plan.
//!
//! `support` holds what every test uses; each other module tests one
//! resource or data source (`provider` the provider as a whole).
//! `jit_binding.status` is checked against a fixed clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

mod jit_binding;
mod jit_document;
mod jit_policy;
mod jit_role;
mod provider;
