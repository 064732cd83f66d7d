//! The OpenBao / Vault client of jit: the only code that does network I/O.
//! The provider's resources and `jitc drift` talk to the [`Broker`] trait;
//! `client.rs` is the real HTTP client and `fake.rs` an in-memory one for
//! unit tests. What OpenBao should hold for jit (object names and paths,
//! the rule that a binding's objects exist exactly while it is active,
//! convergence) is `desired.rs`; comparing it with what OpenBao holds is
//! `drift.rs`. [`Settings`] turns explicit settings and the environment
//! into a [`Config`].

pub mod client;
pub mod desired;
pub mod drift;
pub mod fake;
pub mod tls;

use jiff::Timestamp;
pub use jit_policy::lower::openbao::AppRole;
use std::fmt;

/// The AppRole auth mount unless configured otherwise.
pub const DEFAULT_MOUNT: &str = "approle";

/// Settings of the OpenBao connection as given (the provider's `openbao`
/// block, `jitc drift`'s flags); unset ones fall back to the environment,
/// then to defaults, in [`Settings::resolve`].
#[derive(Clone, Default)]
pub struct Settings {
    /// One address, or several separated by commas (the nodes of a cluster).
    pub address: Option<String>,
    /// The nodes of a cluster, tried in order (the last good one is
    /// remembered); instead of `address`.
    pub addresses: Vec<String>,
    pub token: Option<String>,
    /// A variable to read the token from instead of `BAO_TOKEN`/`VAULT_TOKEN`.
    pub token_env: Option<String>,
    pub namespace: Option<String>,
    pub approle_mount: Option<String>,
    pub name_prefix: Option<String>,
    pub ca_cert_pem: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("address", &self.address)
            .field("addresses", &self.addresses)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("token_env", &self.token_env)
            .field("namespace", &self.namespace)
            .field("approle_mount", &self.approle_mount)
            .field("name_prefix", &self.name_prefix)
            .finish()
    }
}

/// A setting that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("no OpenBao address: set it, or BAO_ADDR (or VAULT_ADDR)")]
    MissingAddress,
    #[error("OpenBao address `{0}` must start with http:// or https://")]
    BadAddress(String),
    #[error("no OpenBao token: set it, or BAO_TOKEN (or VAULT_TOKEN)")]
    MissingToken,
    #[error("the environment variable `{0}` that should hold the OpenBao token is not set")]
    MissingTokenVar(String),
    #[error("name prefix `{0}` must be lowercase letters, digits, `-` and `_` (OpenBao lower-cases policy names)")]
    BadPrefix(String),
}

impl ConfigError {
    /// The setting at fault.
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::MissingAddress | ConfigError::BadAddress(_) => "address",
            ConfigError::MissingToken | ConfigError::MissingTokenVar(_) => "token",
            ConfigError::BadPrefix(_) => "name_prefix",
        }
    }
}

impl Settings {
    /// The configuration: each setting as given, else from the environment
    /// (`BAO_ADDR`, `BAO_TOKEN`, `BAO_NAMESPACE`, `BAO_CACERT_PEM`, with the
    /// `VAULT_` names as fallbacks), else its default. `env` looks a
    /// variable up (`|k| std::env::var(k).ok()`); empty values count as unset.
    pub fn resolve(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let given = |v: Option<String>| v.filter(|v| !v.is_empty());
        let var = |keys: &[&str]| keys.iter().find_map(|k| given(env(k)));
        let listed: Vec<String> = self.addresses.into_iter().filter(|a| !a.is_empty()).collect();
        let joined = match listed.is_empty() {
            true => {
                given(self.address).or_else(|| var(&["BAO_ADDR", "VAULT_ADDR"])).ok_or(ConfigError::MissingAddress)?
            }
            false => listed.join(","),
        };
        let mut addresses: Vec<String> = Vec::new();
        for a in joined.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            if !(a.starts_with("http://") || a.starts_with("https://")) {
                return Err(ConfigError::BadAddress(a.to_string()));
            }
            let a = a.trim_end_matches('/').to_string();
            if !addresses.contains(&a) {
                addresses.push(a);
            }
        }
        let address = addresses.first().cloned().ok_or(ConfigError::MissingAddress)?;
        let token = match (given(self.token), self.token_env) {
            (Some(t), _) => t,
            (None, Some(name)) => given(env(&name)).ok_or(ConfigError::MissingTokenVar(name))?,
            (None, None) => var(&["BAO_TOKEN", "VAULT_TOKEN"]).ok_or(ConfigError::MissingToken)?,
        };
        let name_prefix = given(self.name_prefix).unwrap_or_else(|| desired::DEFAULT_PREFIX.to_string());
        if !name_prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
            return Err(ConfigError::BadPrefix(name_prefix));
        }
        Ok(Config {
            address,
            addresses,
            token,
            namespace: given(self.namespace).or_else(|| var(&["BAO_NAMESPACE", "VAULT_NAMESPACE"])),
            approle_mount: given(self.approle_mount).unwrap_or_else(|| DEFAULT_MOUNT.to_string()),
            name_prefix,
            ca_cert_pem: given(self.ca_cert_pem).or_else(|| var(&["BAO_CACERT_PEM"])),
        })
    }
}

/// The OpenBao connection and naming in use.
#[derive(Clone, Default)]
pub struct Config {
    /// The first address.
    pub address: String,
    /// Every address, in order (one for a single server, the nodes of a
    /// cluster otherwise); `address` is the first.
    pub addresses: Vec<String>,
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
            .field("addresses", &self.addresses)
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
    /// No node of a cluster served the request within the failover bounds;
    /// `nodes` says what each one last answered.
    #[error(
        "no OpenBao node served `{path}` within {seconds} s ({tries} tries; the cluster may be failing over): {nodes}"
    )]
    NoActiveNode { path: String, seconds: u64, tries: u32, nodes: String },
    /// A policy write refused because its expiration has already passed:
    /// OpenBao would have removed the policy at that instant.
    #[error("OpenBao refused policy `{name}`: its expiration {expiration} has already passed")]
    ExpirationElapsed { name: String, expiration: Timestamp },
}

/// An ACL policy as OpenBao holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub text: String,
    /// When OpenBao removes the policy by itself, if ever.
    pub expiration: Option<Timestamp>,
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
    async fn read_policy(&self, name: &str) -> Result<Option<Policy>, BrokerError>;
    /// Write an ACL policy that OpenBao removes by itself at `expiration`.
    async fn write_policy(&self, name: &str, text: &str, expiration: Option<Timestamp>) -> Result<(), BrokerError>;
    async fn delete_policy(&self, name: &str) -> Result<(), BrokerError>;
    async fn read_role(&self, name: &str) -> Result<Option<AppRole>, BrokerError>;
    async fn write_role(&self, name: &str, role: &AppRole) -> Result<(), BrokerError>;
    async fn delete_role(&self, name: &str) -> Result<(), BrokerError>;
    async fn role_id(&self, role: &str) -> Result<Option<String>, BrokerError>;
    async fn secret_id(&self, role: &str, ttl_seconds: i64, metadata: &str) -> Result<String, BrokerError>;
    async fn login(&self, role_id: &str, secret_id: &str) -> Result<Login, BrokerError>;
    async fn revoke_token(&self, token: &str) -> Result<(), BrokerError>;
    /// Renew a token (as itself) for `seconds` from now, which may shorten
    /// it; returns its new lease, seconds.
    async fn renew_token(&self, token: &str, seconds: i64) -> Result<i64, BrokerError>;
    /// Names of all ACL policies.
    async fn list_policies(&self) -> Result<Vec<String>, BrokerError>;
    /// Names of all roles of the AppRole mount.
    async fn list_roles(&self) -> Result<Vec<String>, BrokerError>;
    /// Requests sent so far (for the benchmark's per-binding figures).
    fn requests(&self) -> u64;
    /// Of those, the tries sent again because a cluster was failing over.
    fn failover_retries(&self) -> u64 {
        0
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn settings_fall_back_to_the_environment_then_defaults() {
        let e = env(&[
            ("VAULT_ADDR", "http://vault:8200"),
            ("BAO_TOKEN", "b"),
            ("VAULT_TOKEN", "v"),
            ("VAULT_NAMESPACE", "team"),
        ]);
        let c = Settings::default().resolve(&e).expect("resolves");
        assert_eq!((c.address.as_str(), c.token.as_str()), ("http://vault:8200", "b"));
        assert_eq!(c.namespace.as_deref(), Some("team"));
        assert_eq!((c.approle_mount.as_str(), c.name_prefix.as_str()), ("approle", "jit-"));
        let given =
            Settings { address: Some("https://bao".into()), namespace: Some("mine".into()), ..Default::default() };
        let c = given.resolve(&e).expect("resolves");
        assert_eq!((c.address.as_str(), c.namespace.as_deref()), ("https://bao", Some("mine")));
    }

    #[test]
    fn several_addresses_are_kept_in_order_without_repeats() {
        let e = env(&[("BAO_ADDR", "http://a:8200, http://b:8200/,http://a:8200"), ("BAO_TOKEN", "t")]);
        let c = Settings::default().resolve(&e).expect("resolves");
        assert_eq!(c.addresses, ["http://a:8200", "http://b:8200"]);
        assert_eq!(c.address, "http://a:8200");
        let listed = Settings { addresses: vec!["http://c".into(), "http://d".into()], ..Default::default() };
        let c = listed.resolve(&e).expect("resolves");
        assert_eq!((c.address.as_str(), c.addresses.len()), ("http://c", 2));
        let bad = Settings { addresses: vec!["http://c".into(), "d:8200".into()], ..Default::default() };
        assert_eq!(bad.resolve(&e).err(), Some(ConfigError::BadAddress("d:8200".into())));
    }

    #[test]
    fn missing_and_malformed_settings_name_the_setting() {
        let none = env(&[]);
        assert_eq!(Settings::default().resolve(&none).err(), Some(ConfigError::MissingAddress));
        let addr = env(&[("BAO_ADDR", "bao:8200")]);
        let e = Settings::default().resolve(&addr).expect_err("error");
        assert_eq!((e.setting(), e), ("address", ConfigError::BadAddress("bao:8200".into())));
        let addr = env(&[("BAO_ADDR", "http://bao"), ("BAO_TOKEN", "")]);
        assert_eq!(Settings::default().resolve(&addr).err(), Some(ConfigError::MissingToken));
        let named = Settings { token_env: Some("DRIFT_TOKEN".into()), ..Default::default() };
        assert_eq!(named.resolve(&addr).err(), Some(ConfigError::MissingTokenVar("DRIFT_TOKEN".into())));
        let prefix = Settings { token: Some("t".into()), name_prefix: Some("JIT-".into()), ..Default::default() };
        assert_eq!(prefix.resolve(&addr).err().map(|e| e.setting()), Some("name_prefix"));
    }
}
