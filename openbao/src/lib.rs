//! The OpenBao / Vault client of jit: the only code that does network I/O.
//! The provider's resources and `jitc drift` talk to the [`Broker`] trait;
//! `client.rs` is the real HTTP client and `fake.rs` an in-memory one for
//! unit tests.

pub mod client;
pub mod fake;
pub mod tls;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Provider `openbao { ... }` settings, after environment fallbacks.
#[derive(Clone, Default)]
pub struct Config {
    pub address: String,
    pub token: String,
    pub namespace: Option<String>,
    pub approle_mount: String,
    pub name_prefix: String,
    /// PEM of a CA to trust for https addresses.
    pub ca_cert_pem: Option<String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("Config")
            .field("address", &self.address)
            .field("token", &"<redacted>")
            .field("namespace", &self.namespace)
            .field("approle_mount", &self.approle_mount)
            .field("name_prefix", &self.name_prefix)
            .finish()
    }
}

/// A failure talking to OpenBao, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokerError {
    #[error("OpenBao at {address} is unreachable: {detail}")]
    Unreachable { address: String, detail: String },
    #[error("OpenBao at {address} is sealed; unseal it and run again")]
    Sealed { address: String },
    #[error("permission denied on `{path}`: the token needs the `{capability}` capability on that path")]
    Forbidden { path: String, capability: String },
    #[error("OpenBao answered {status} on `{path}`: {detail}")]
    Server { status: u16, path: String, detail: String },
    #[error("OpenBao at {address} did not answer within {seconds} s (after {tries} tries)")]
    Timeout { address: String, seconds: u64, tries: u32 },
}

/// AppRole role parameters, as written and as read back (normalised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Role {
    pub token_policies: Vec<String>,
    pub token_ttl: i64,
    pub token_max_ttl: i64,
    pub token_explicit_max_ttl: i64,
    pub token_type: String,
    pub token_num_uses: i64,
    pub token_bound_cidrs: Vec<String>,
    pub bind_secret_id: bool,
    pub secret_id_ttl: i64,
    pub secret_id_num_uses: i64,
    pub secret_id_bound_cidrs: Vec<String>,
}

/// A token from an AppRole login. `token` is a secret.
#[derive(Clone)]
pub struct Login {
    pub token: String,
    pub accessor: String,
    pub lease_seconds: i64,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login").field("token", &"<redacted>").field("accessor", &self.accessor).finish()
    }
}

/// The operations jit needs from OpenBao.
#[async_trait::async_trait]
pub trait Broker: Send + Sync + fmt::Debug {
    fn config(&self) -> &Config;
    async fn read_policy(&self, name: &str) -> Result<Option<String>, BrokerError>;
    async fn write_policy(&self, name: &str, text: &str) -> Result<(), BrokerError>;
    async fn delete_policy(&self, name: &str) -> Result<(), BrokerError>;
    async fn read_role(&self, name: &str) -> Result<Option<Role>, BrokerError>;
    async fn write_role(&self, name: &str, role: &Role) -> Result<(), BrokerError>;
    async fn delete_role(&self, name: &str) -> Result<(), BrokerError>;
    async fn role_id(&self, role: &str) -> Result<Option<String>, BrokerError>;
    async fn secret_id(&self, role: &str, ttl_seconds: i64, metadata: &str) -> Result<String, BrokerError>;
    async fn login(&self, role_id: &str, secret_id: &str) -> Result<Login, BrokerError>;
    async fn revoke_token(&self, token: &str) -> Result<(), BrokerError>;
    /// Names of all ACL policies.
    async fn list_policies(&self) -> Result<Vec<String>, BrokerError>;
    /// Names of all roles of the AppRole mount.
    async fn list_roles(&self) -> Result<Vec<String>, BrokerError>;
    /// Requests sent so far (for the benchmark's per-binding figures).
    fn requests(&self) -> u64;
}

/// Policy text compared the way OpenBao reads it: comments, blank lines and
/// spacing do not matter.
pub fn normalise_policy(text: &str) -> String {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
