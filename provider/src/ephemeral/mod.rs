//! Ephemeral resources (Terraform >= 1.10): values that never reach state
//! or plan files.

pub mod jit_credential;
