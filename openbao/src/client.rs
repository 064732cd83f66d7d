//! The real OpenBao / Vault client over HTTP(S).
//!
//! Faults: an unreachable address names it; a sealed server says so; 403
//! names the path and the capability it needs; 5xx and timeouts are retried
//! with backoff, at most 3 tries and 30 s in all.
//!
//! Clusters: the configuration may list several addresses (the nodes of an
//! integrated-storage cluster). Requests go to the last node that served
//! one. A standby forwards requests to the active node; while the cluster
//! fails over (the active node gone, no leader elected yet) nodes refuse,
//! redirect (307) to the node that was active, or are unreachable: then the
//! client follows a redirect once, moves to the next address and tries
//! again, with backoff, for at most [`FAILOVER`] and [`FAILOVER_TRIES`]
//! tries, and the error names what each node last said. Every request jit
//! sends is idempotent (writes put the whole object, deletes accept 404), so
//! a request retried after a failover leaves the same state as one sent once.

use super::{desired, AppRole, Broker, BrokerError, Config, Login, Policy};
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TRIES: u32 = 3;
const PER_TRY: Duration = Duration::from_secs(10);
const OVERALL: Duration = Duration::from_secs(30);
/// How long a request may wait for a cluster to elect a new active node.
pub const FAILOVER: Duration = Duration::from_secs(60);
/// How many tries a request may take while a cluster fails over.
pub const FAILOVER_TRIES: u32 = 80;

#[derive(Debug)]
pub struct OpenBao {
    config: Config,
    http: reqwest::Client,
    requests: AtomicU64,
    /// Index in `config.addresses` of the node that last served a request.
    current: AtomicUsize,
    /// Requests that were tried again because of a failover.
    failover_retries: AtomicU64,
}

/// Why a node cannot serve a request now.
enum Down {
    /// Nothing answered (the detail of the connection error).
    Unreachable(String),
    Sealed,
    /// A standby that cannot forward names the active node (perhaps gone).
    Redirecting(Option<String>),
    /// A standby without an active node, or a forward that failed.
    NoActive(String),
}

impl std::fmt::Display for Down {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Down::Unreachable(d) => write!(f, "unreachable: {d}"),
            Down::Sealed => f.write_str("sealed"),
            Down::Redirecting(to) => write!(f, "standby, redirecting to {}", to.as_deref().unwrap_or("nowhere")),
            Down::NoActive(d) => write!(f, "no active node yet: {d}"),
        }
    }
}

/// What one try of a request came to.
enum Try {
    Done(StatusCode, Value),
    /// Stop: an error that another node or another try would not change.
    Fatal(BrokerError),
    /// A node cannot serve now.
    Failover(Down),
    /// A transient error of a server that otherwise works (5xx, timeout).
    Retry(BrokerError),
}

impl OpenBao {
    pub fn new(config: Config) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let https = config.addresses.iter().chain([&config.address]).any(|a| a.starts_with("https://"));
        match (&config.ca_cert_pem, https) {
            (Some(pem), _) => {
                let der = crate::tls::pem_to_der(pem).ok_or("`ca_cert` holds no PEM certificate")?;
                roots.add(rustls::pki_types::CertificateDer::from(der)).map_err(|e| format!("`ca_cert`: {e}"))?;
            }
            (None, true) => {
                return Err(
                    "an https address needs `ca_cert` (the PEM of the CA that signed OpenBao's certificate)".into()
                )
            }
            (None, false) => {}
        }
        // Always our own TLS configuration (ring, no process-wide default).
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(crate::tls::crypto_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // Redirects (a standby pointing at the active node) are followed
        // here, so that a redirect to a node that is gone counts as a
        // failover rather than as that node being the one configured.
        let builder = reqwest::Client::builder()
            .timeout(PER_TRY)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(tls);
        let http = builder.build().map_err(|e| e.to_string())?;
        let mut config = config;
        if config.addresses.is_empty() {
            config.addresses = vec![config.address.clone()];
        }
        Ok(OpenBao {
            config,
            http,
            requests: AtomicU64::new(0),
            current: AtomicUsize::new(0),
            failover_retries: AtomicU64::new(0),
        })
    }

    /// The address of the node that last served a request.
    pub fn current_address(&self) -> &str {
        let i = self.current.load(Ordering::Relaxed) % self.config.addresses.len().max(1);
        self.config.addresses.get(i).map(String::as_str).unwrap_or(&self.config.address)
    }

    /// One request, retried (see the module's comment). `token` overrides
    /// the configured token.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        capability: &str,
    ) -> Result<(StatusCode, Value), BrokerError> {
        let start = Instant::now();
        let nodes = self.config.addresses.len().max(1);
        let mut index = self.current.load(Ordering::Relaxed) % nodes;
        let mut redirect: Option<String> = None;
        // What each address last said, for the final error.
        let mut said: Vec<(String, String)> = Vec::new();
        let (mut retries, mut failovers, mut tries) = (0u32, 0u32, 0u32);
        // Tries in a row at which nothing answered: two rounds of every
        // address mean no node is alive, not a failover.
        let mut unreachable = 0usize;
        let mut last: Option<BrokerError> = None;
        loop {
            let base = redirect.take().unwrap_or_else(|| self.config.addresses[index].clone());
            tries += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = self.try_once(&base, method.clone(), path, body, token, capability).await;
            match outcome {
                Try::Done(status, v) => {
                    if let Some(i) = self.config.addresses.iter().position(|a| *a == base) {
                        self.current.store(i, Ordering::Relaxed);
                    }
                    return Ok((status, v));
                }
                Try::Fatal(e) => return Err(e),
                Try::Retry(e) => {
                    retries += 1;
                    last = Some(e);
                    if retries >= TRIES {
                        break;
                    }
                }
                Try::Failover(down) => {
                    // One server, reached directly: its own failure, as before.
                    if nodes == 1 && failovers == 0 {
                        match down {
                            Down::Sealed => return Err(BrokerError::Sealed { address: base }),
                            Down::Unreachable(detail) => {
                                return Err(BrokerError::Unreachable { address: base, detail })
                            }
                            _ => {}
                        }
                    }
                    failovers += 1;
                    self.failover_retries.fetch_add(1, Ordering::Relaxed);
                    unreachable = if matches!(down, Down::Unreachable(_)) { unreachable + 1 } else { 0 };
                    // Follow a redirect once (not to the node itself); else
                    // the next address.
                    match &down {
                        Down::Redirecting(Some(to)) if *to != base => redirect = Some(to.clone()),
                        _ => index = (index + 1) % nodes,
                    }
                    let what = down.to_string();
                    match said.iter_mut().find(|(a, _)| *a == base) {
                        Some(entry) => entry.1 = what,
                        None => said.push((base.clone(), what)),
                    }
                    if failovers >= FAILOVER_TRIES || unreachable >= 2 * nodes {
                        break;
                    }
                }
            }
            // Short, growing waits while a cluster elects; the server-error
            // backoff otherwise.
            let (wait, budget) = if failovers > 0 {
                (Duration::from_millis((100 * 2u64.pow(failovers.min(5))).min(2_000)), FAILOVER)
            } else {
                (Duration::from_millis(500 * 2u64.pow(retries.saturating_sub(1))), OVERALL)
            };
            if start.elapsed() + wait > budget {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        if failovers > 0 {
            let nodes = said.iter().map(|(a, w)| format!("{a}: {w}")).collect::<Vec<_>>().join("; ");
            return Err(BrokerError::NoActiveNode {
                path: path.to_string(),
                seconds: start.elapsed().as_secs(),
                tries,
                nodes,
            });
        }
        Err(last.unwrap_or(BrokerError::Timeout {
            address: self.config.address.clone(),
            seconds: start.elapsed().as_secs(),
            tries,
        }))
    }

    /// One try of a request at the node `base`.
    async fn try_once(
        &self,
        base: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        capability: &str,
    ) -> Try {
        let start = Instant::now();
        let url = format!("{}/v1/{path}", base.trim_end_matches('/'));
        let mut req = self.http.request(method, url);
        if let Some(t) = token.or(Some(self.config.token.as_str())).filter(|t| !t.is_empty()) {
            req = req.header("X-Vault-Token", t);
        }
        if let Some(ns) = self.config.namespace.as_deref().filter(|n| !n.is_empty()) {
            req = req.header("X-Vault-Namespace", ns);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Try::Retry(BrokerError::Timeout {
                    address: base.to_string(),
                    seconds: start.elapsed().as_secs(),
                    tries: 1,
                })
            }
            Err(e) => return Try::Failover(Down::Unreachable(root_cause(&e))),
        };
        let status = resp.status();
        if status.is_redirection() {
            // A standby that cannot forward: it names the active node, which
            // may be the one that is gone.
            let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).and_then(|l| {
                let u = reqwest::Url::parse(l).ok()?;
                Some(
                    format!("{}://{}", u.scheme(), u.host_str()?)
                        + &u.port().map(|p| format!(":{p}")).unwrap_or_default(),
                )
            });
            return Try::Failover(Down::Redirecting(location));
        }
        let text = resp.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let detail = v["errors"]
            .as_array()
            .map(|e| {
                e.iter().filter_map(Value::as_str).map(|s| s.trim().replace('\n', " ")).collect::<Vec<_>>().join("; ")
            })
            .unwrap_or_else(|| text.chars().take(200).collect());
        match status.as_u16() {
            503 if detail.contains("sealed") => Try::Failover(Down::Sealed),
            403 => Try::Fatal(BrokerError::Forbidden { path: path.to_string(), capability: capability.to_string() }),
            429 => Try::Failover(Down::NoActive(detail)),
            500..=599 if failing_over(&detail) => Try::Failover(Down::NoActive(detail)),
            500..=599 => Try::Retry(BrokerError::Server { status: status.as_u16(), path: path.to_string(), detail }),
            _ => Try::Done(status, v),
        }
    }

    fn fail(&self, status: StatusCode, path: &str, v: &Value) -> BrokerError {
        let detail = v["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "))
            .unwrap_or_default();
        BrokerError::Server { status: status.as_u16(), path: path.to_string(), detail }
    }

    fn policy_path(name: &str) -> String {
        desired::policy_path(name)
    }

    fn role_path(&self, name: &str) -> String {
        desired::role_path(&self.config.approle_mount, name)
    }
}

/// Whether a 5xx answer says the cluster has no active node to serve the
/// request (a standby during an election, a forward that failed).
fn failing_over(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "active cluster node not found",
        "not active",
        "no active",
        "leader",
        "forward",
        "standby",
        "raft",
        "connection refused",
        "unavailable",
    ]
    .iter()
    .any(|w| d.contains(w))
}

fn root_cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    msg
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect()).unwrap_or_default()
}

#[async_trait::async_trait]
impl Broker for OpenBao {
    fn config(&self) -> &Config {
        &self.config
    }

    async fn read_policy(&self, name: &str) -> Result<Option<Policy>, BrokerError> {
        let path = Self::policy_path(name);
        let (status, v) = self.call(Method::GET, &path, None, None, "read").await?;
        match status.as_u16() {
            200 => Ok(v["data"]["policy"].as_str().map(|text| Policy {
                text: text.to_string(),
                // OpenBao answers with sub-second precision; jit writes whole seconds.
                expiration: v["data"]["expiration"].as_str().and_then(|e| e.parse().ok()),
            })),
            404 => Ok(None),
            _ => Err(self.fail(status, &path, &v)),
        }
    }

    async fn write_policy(&self, name: &str, text: &str, expiration: Option<Timestamp>) -> Result<(), BrokerError> {
        let path = Self::policy_path(name);
        let mut body = json!({ "policy": text });
        if let Some(e) = expiration {
            body["expiration"] = json!(e.to_string());
        }
        let (status, v) = self.call(Method::PUT, &path, Some(&body), None, "update").await?;
        if status.is_success() {
            return Ok(());
        }
        match (expiration, self.fail(status, &path, &v)) {
            (Some(expiration), BrokerError::Server { status: 400, detail, .. })
                if detail.contains("expiration time has already elapsed") =>
            {
                Err(BrokerError::ExpirationElapsed { name: name.to_string(), expiration })
            }
            (_, e) => Err(e),
        }
    }

    async fn delete_policy(&self, name: &str) -> Result<(), BrokerError> {
        let path = Self::policy_path(name);
        let (status, v) = self.call(Method::DELETE, &path, None, None, "delete").await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(self.fail(status, &path, &v))
        }
    }

    async fn read_role(&self, name: &str) -> Result<Option<AppRole>, BrokerError> {
        let path = self.role_path(name);
        let (status, v) = self.call(Method::GET, &path, None, None, "read").await?;
        match status.as_u16() {
            200 => {
                let d = &v["data"];
                Ok(Some(AppRole {
                    token_policies: strings(&d["token_policies"]),
                    token_ttl: d["token_ttl"].as_i64().unwrap_or(0),
                    token_max_ttl: d["token_max_ttl"].as_i64().unwrap_or(0),
                    token_explicit_max_ttl: d["token_explicit_max_ttl"].as_i64().unwrap_or(0),
                    token_type: d["token_type"].as_str().unwrap_or("").to_string(),
                    token_num_uses: d["token_num_uses"].as_i64().unwrap_or(0),
                    token_bound_cidrs: strings(&d["token_bound_cidrs"]),
                    bind_secret_id: d["bind_secret_id"].as_bool().unwrap_or(false),
                    secret_id_ttl: d["secret_id_ttl"].as_i64().unwrap_or(0),
                    secret_id_num_uses: d["secret_id_num_uses"].as_i64().unwrap_or(0),
                    secret_id_bound_cidrs: strings(&d["secret_id_bound_cidrs"]),
                }))
            }
            404 => Ok(None),
            _ => Err(self.fail(status, &path, &v)),
        }
    }

    async fn write_role(&self, name: &str, role: &AppRole) -> Result<(), BrokerError> {
        let path = self.role_path(name);
        let body = serde_json::to_value(role).unwrap_or(Value::Null);
        let (status, v) = self.call(Method::POST, &path, Some(&body), None, "create").await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(self.fail(status, &path, &v))
        }
    }

    async fn delete_role(&self, name: &str) -> Result<(), BrokerError> {
        let path = self.role_path(name);
        let (status, v) = self.call(Method::DELETE, &path, None, None, "delete").await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(self.fail(status, &path, &v))
        }
    }

    async fn role_id(&self, role: &str) -> Result<Option<String>, BrokerError> {
        let path = format!("{}/role-id", self.role_path(role));
        let (status, v) = self.call(Method::GET, &path, None, None, "read").await?;
        match status.as_u16() {
            200 => Ok(v["data"]["role_id"].as_str().map(String::from)),
            404 => Ok(None),
            _ => Err(self.fail(status, &path, &v)),
        }
    }

    async fn secret_id(&self, role: &str, ttl_seconds: i64, metadata: &str) -> Result<String, BrokerError> {
        let path = format!("{}/secret-id", self.role_path(role));
        let body = json!({"ttl": ttl_seconds, "num_uses": 1, "metadata": metadata});
        let (status, v) = self.call(Method::POST, &path, Some(&body), None, "update").await?;
        match v["data"]["secret_id"].as_str() {
            Some(s) if status.is_success() => Ok(s.to_string()),
            _ => Err(self.fail(status, &path, &v)),
        }
    }

    async fn login(&self, role_id: &str, secret_id: &str) -> Result<Login, BrokerError> {
        let path = desired::login_path(&self.config.approle_mount);
        let body = json!({"role_id": role_id, "secret_id": secret_id});
        let (status, v) = self.call(Method::POST, &path, Some(&body), Some(""), "update").await?;
        let auth = &v["auth"];
        match (auth["client_token"].as_str(), status.is_success()) {
            (Some(t), true) => Ok(Login {
                token: t.to_string(),
                accessor: auth["accessor"].as_str().unwrap_or("").to_string(),
                lease_seconds: auth["lease_duration"].as_i64().unwrap_or(0),
            }),
            _ => Err(self.fail(status, &path, &v)),
        }
    }

    async fn renew_token(&self, token: &str, seconds: i64) -> Result<i64, BrokerError> {
        let path = "auth/token/renew-self";
        let body = json!({ "increment": format!("{seconds}s") });
        let (status, v) = self.call(Method::POST, path, Some(&body), Some(token), "update").await?;
        match v["auth"]["lease_duration"].as_i64() {
            Some(lease) if status.is_success() => Ok(lease),
            _ => Err(self.fail(status, path, &v)),
        }
    }

    async fn revoke_token(&self, token: &str) -> Result<(), BrokerError> {
        let path = "auth/token/revoke-self";
        let (status, v) = self.call(Method::POST, path, None, Some(token), "update").await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(self.fail(status, path, &v))
        }
    }

    async fn list_policies(&self) -> Result<Vec<String>, BrokerError> {
        self.list(desired::POLICIES_PATH).await
    }

    async fn list_roles(&self) -> Result<Vec<String>, BrokerError> {
        self.list(&desired::roles_path(&self.config.approle_mount)).await
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn failover_retries(&self) -> u64 {
        self.failover_retries.load(Ordering::Relaxed)
    }
}

impl OpenBao {
    /// `LIST path`: the keys, or none when OpenBao answers 404 (an empty mount).
    async fn list(&self, path: &str) -> Result<Vec<String>, BrokerError> {
        let method = Method::from_bytes(b"LIST").unwrap_or(Method::GET);
        let (status, v) = self.call(method, path, None, None, "list").await?;
        match status.as_u16() {
            200 => Ok(strings(&v["data"]["keys"])),
            404 => Ok(Vec::new()),
            _ => Err(self.fail(status, path, &v)),
        }
    }
}
