//! An in-memory broker for unit tests.

use super::{AppRole, Broker, BrokerError, Config, Login, Policy};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct Fake {
    pub config: Config,
    pub policies: Mutex<BTreeMap<String, Policy>>,
    pub roles: Mutex<BTreeMap<String, AppRole>>,
    /// When set, every call fails with this error.
    pub fail: Mutex<Option<BrokerError>>,
    /// When set, role writes fail with this error (policy writes succeed).
    pub fail_role_writes: Mutex<Option<BrokerError>>,
    /// The instant policy expirations are judged at (the real clock when unset).
    pub now: Mutex<Option<Timestamp>>,
    requests: AtomicU64,
}

impl Fake {
    pub fn new(config: Config) -> Self {
        Fake { config, ..Default::default() }
    }

    fn now(&self) -> Timestamp {
        self.now.lock().ok().and_then(|n| *n).unwrap_or_else(Timestamp::now)
    }

    fn check(&self) -> Result<(), BrokerError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match self.fail.lock().ok().and_then(|f| f.clone()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Broker for Fake {
    fn config(&self) -> &Config {
        &self.config
    }
    async fn read_policy(&self, name: &str) -> Result<Option<Policy>, BrokerError> {
        self.check()?;
        // As OpenBao: an expired policy is gone.
        let now = self.now();
        Ok(self
            .policies
            .lock()
            .ok()
            .and_then(|p| p.get(name).cloned())
            .filter(|p| p.expiration.is_none_or(|e| now < e)))
    }
    async fn write_policy(&self, name: &str, text: &str, expiration: Option<Timestamp>) -> Result<(), BrokerError> {
        self.check()?;
        if let Some(e) = expiration.filter(|e| *e <= self.now()) {
            return Err(BrokerError::ExpirationElapsed { name: name.to_string(), expiration: e });
        }
        if let Ok(mut p) = self.policies.lock() {
            p.insert(name.to_string(), Policy { text: text.to_string(), expiration });
        }
        Ok(())
    }
    async fn delete_policy(&self, name: &str) -> Result<(), BrokerError> {
        self.check()?;
        if let Ok(mut p) = self.policies.lock() {
            p.remove(name);
        }
        Ok(())
    }
    async fn read_role(&self, name: &str) -> Result<Option<AppRole>, BrokerError> {
        self.check()?;
        Ok(self.roles.lock().ok().and_then(|r| r.get(name).cloned()))
    }
    async fn write_role(&self, name: &str, role: &AppRole) -> Result<(), BrokerError> {
        self.check()?;
        if let Some(e) = self.fail_role_writes.lock().ok().and_then(|f| f.clone()) {
            return Err(e);
        }
        if let Ok(mut r) = self.roles.lock() {
            r.insert(name.to_string(), role.clone());
        }
        Ok(())
    }
    async fn delete_role(&self, name: &str) -> Result<(), BrokerError> {
        self.check()?;
        if let Ok(mut r) = self.roles.lock() {
            r.remove(name);
        }
        Ok(())
    }
    async fn role_id(&self, role: &str) -> Result<Option<String>, BrokerError> {
        self.check()?;
        Ok(self.roles.lock().ok().and_then(|r| r.get(role).map(|_| format!("role-id-{role}"))))
    }
    async fn secret_id(&self, role: &str, _ttl: i64, _metadata: &str) -> Result<String, BrokerError> {
        self.check()?;
        Ok(format!("secret-{role}"))
    }
    async fn login(&self, role_id: &str, _secret_id: &str) -> Result<Login, BrokerError> {
        self.check()?;
        Ok(Login { token: format!("token-{role_id}"), accessor: format!("accessor-{role_id}"), lease_seconds: 3600 })
    }
    async fn renew_token(&self, _token: &str, seconds: i64) -> Result<i64, BrokerError> {
        self.check()?;
        Ok(seconds)
    }
    async fn revoke_token(&self, _token: &str) -> Result<(), BrokerError> {
        self.check()
    }
    async fn list_policies(&self) -> Result<Vec<String>, BrokerError> {
        self.check()?;
        let now = self.now();
        let live = |p: &Policy| p.expiration.is_none_or(|e| now < e);
        Ok(self
            .policies
            .lock()
            .map(|p| p.iter().filter(|(_, v)| live(v)).map(|(k, _)| k.clone()).collect())
            .unwrap_or_default())
    }
    async fn list_roles(&self) -> Result<Vec<String>, BrokerError> {
        self.check()?;
        Ok(self.roles.lock().map(|r| r.keys().cloned().collect()).unwrap_or_default())
    }
    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
