//! The real OpenBao / Vault client over HTTP(S).
//!
//! Faults: an unreachable address names it; a sealed server says so; 403
//! names the path and the capability it needs; 5xx and timeouts are retried
//! with backoff, at most 3 tries and 30 s in all.

use super::{desired, AppRole, Broker, BrokerError, Config, Login, Policy};
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TRIES: u32 = 3;
const PER_TRY: Duration = Duration::from_secs(10);
const OVERALL: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct OpenBao {
    config: Config,
    http: reqwest::Client,
    requests: AtomicU64,
}

impl OpenBao {
    pub fn new(config: Config) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        match (&config.ca_cert_pem, config.address.starts_with("https://")) {
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
        let builder = reqwest::Client::builder()
            .timeout(PER_TRY)
            .connect_timeout(Duration::from_secs(5))
            .use_preconfigured_tls(tls);
        let http = builder.build().map_err(|e| e.to_string())?;
        Ok(OpenBao { config, http, requests: AtomicU64::new(0) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.config.address.trim_end_matches('/'))
    }

    /// One request with retries. `token` overrides the configured token.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        capability: &str,
    ) -> Result<(StatusCode, Value), BrokerError> {
        let start = Instant::now();
        let address = self.config.address.clone();
        let mut last: Option<BrokerError> = None;
        for attempt in 1..=TRIES {
            if attempt > 1 {
                let wait = Duration::from_millis(500 * 2u64.pow(attempt - 2));
                if start.elapsed() + wait > OVERALL {
                    break;
                }
                tokio::time::sleep(wait).await;
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut req = self.http.request(method.clone(), self.url(path));
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
                    last = Some(BrokerError::Timeout {
                        address: address.clone(),
                        seconds: start.elapsed().as_secs(),
                        tries: attempt,
                    });
                    continue;
                }
                Err(e) if e.is_connect() => {
                    return Err(BrokerError::Unreachable { address, detail: root_cause(&e) });
                }
                Err(e) => {
                    last = Some(BrokerError::Unreachable { address: address.clone(), detail: root_cause(&e) });
                    continue;
                }
            };
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let detail = v["errors"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim().replace('\n', " "))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|| text.chars().take(200).collect());
            match status.as_u16() {
                503 if detail.contains("sealed") => return Err(BrokerError::Sealed { address }),
                403 => {
                    return Err(BrokerError::Forbidden { path: path.to_string(), capability: capability.to_string() })
                }
                500..=599 => {
                    last = Some(BrokerError::Server { status: status.as_u16(), path: path.to_string(), detail });
                    continue;
                }
                _ => return Ok((status, v)),
            }
        }
        Err(last.unwrap_or(BrokerError::Timeout { address, seconds: start.elapsed().as_secs(), tries: TRIES }))
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
