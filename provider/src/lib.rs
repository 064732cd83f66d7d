//! # terraform-provider-jit
//!
//! Terraform plugin protocol 6 over tonic, with go-plugin's handshake and
//! verified mutual TLS. Layers, outermost first:
//!
//! ```text
//!  server (handshake, mTLS, gRPC) ─ convert (DynamicValue <-> Value, schemas, diagnostics)
//!       ─ resources / data_sources (native values only) ─ jit_policy (the compiler)
//! ```
//!
//! Protocol types stay in `server` and `convert`; resources never see them.
#![deny(clippy::print_stdout)]

pub mod broker;
pub mod clock;
pub mod config;
pub mod convert;
pub mod data_sources;
pub mod diag;
pub mod ephemeral;
pub mod log;
pub mod resources;
pub mod schema;
pub mod server;

/// Generated protocol code.
pub mod proto {
    #![allow(clippy::all, clippy::pedantic, missing_debug_implementations, unreachable_pub)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}
