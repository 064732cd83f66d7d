//! What OpenBao should hold for jit, in one place: each binding with an
//! OpenBao target owns an ACL policy and an AppRole role named
//! `<prefix><binding>`, and they exist exactly while the binding is active.
//! The provider's `jit_binding` (plan, apply, refresh, destroy), the
//! ephemeral `jit_credential` and `jitc drift` all go through here.

use super::{AppRole, Broker, BrokerError, Config, Policy};
use jiff::Timestamp;
use jit_policy::ir::Status;
use jit_policy::lower::openbao::OpenbaoModel;

pub use jit_policy::lower::openbao::{object_name, DEFAULT_PREFIX};

/// Where ACL policies are listed.
pub const POLICIES_PATH: &str = "sys/policies/acl";

/// The API path of an ACL policy.
pub fn policy_path(name: &str) -> String {
    format!("{POLICIES_PATH}/{name}")
}

/// The API path where the AppRole mount lists its roles.
pub fn roles_path(mount: &str) -> String {
    format!("auth/{}/role", mount.trim_matches('/'))
}

/// The API path of an AppRole role.
pub fn role_path(mount: &str, name: &str) -> String {
    format!("{}/{name}", roles_path(mount))
}

/// The API path of an AppRole login.
pub fn login_path(mount: &str) -> String {
    format!("auth/{}/login", mount.trim_matches('/'))
}

/// The rule: a binding's objects exist exactly while it is active.
pub fn should_exist(status: Status) -> bool {
    status == Status::Active
}

/// The objects of one binding, as jit declares them.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    pub binding: String,
    /// The name of both the ACL policy and the AppRole role.
    pub name: String,
    /// The ACL policy text.
    pub policy: String,
    /// When OpenBao removes the policy by itself: the binding's
    /// `expires_at`, so expiry needs no apply.
    pub expires_at: Timestamp,
    pub role: AppRole,
}

impl Declared {
    /// A binding's objects from its compiled OpenBao model.
    pub fn of(binding: &str, model: &OpenbaoModel) -> Declared {
        Declared {
            binding: binding.to_string(),
            name: model.policy_name.clone(),
            policy: jit_policy::render::openbao::policy_hcl(model),
            expires_at: model.policy_expiration,
            role: model.role.clone(),
        }
    }
}

/// Which of a binding's objects exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Present {
    pub policy: bool,
    pub role: bool,
}

impl Present {
    pub const BOTH: Present = Present { policy: true, role: true };
    pub const NONE: Present = Present { policy: false, role: false };
}

impl Config {
    /// The objects of binding `binding` under this configuration's prefix.
    pub fn object_name(&self, binding: &str) -> String {
        object_name(&self.name_prefix, binding)
    }

    /// References to the objects of `name` that are present, as
    /// `jit_binding.openbao_objects` records them (policy first).
    pub fn references(&self, name: &str, present: Present) -> Vec<String> {
        let mut out = Vec::new();
        if present.policy {
            out.push(policy_path(name));
        }
        if present.role {
            out.push(role_path(&self.approle_mount, name));
        }
        out
    }
}

/// A failed step of a convergence: what was being done, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub doing: String,
    pub error: BrokerError,
}

/// Make OpenBao hold `declared`'s objects when `exist`, and none of them
/// otherwise. Returns what is present afterwards, whatever happened (so a
/// caller's record matches the server even after a partial failure), and
/// the failure if one stopped it. Writes are idempotent (PUT/POST of the
/// whole object, DELETE of a missing object succeeds), so a retry is safe.
///
/// The policy is written with `expiration` = `expires_at`: OpenBao deletes it
/// then, and the role is left granting nothing. When that instant has
/// already passed (the binding ended after it was planned), OpenBao refuses
/// the policy; the role is removed too and the failure is
/// [`BrokerError::ExpirationElapsed`], which callers treat as the expected
/// end of the grant.
pub async fn converge(broker: &dyn Broker, declared: &Declared, exist: bool) -> (Present, Option<Failed>) {
    let (present, failed) = converge_once(broker, declared, exist).await;
    match &failed {
        // A write or delete whose answer was lost (a node gone mid-request,
        // a failover that outlasted the retries) may have taken effect:
        // what is present is read back, when the server answers, so the
        // caller's record matches the server.
        Some(Failed {
            error: BrokerError::NoActiveNode { .. } | BrokerError::Timeout { .. } | BrokerError::Server { .. },
            ..
        }) => match read(broker, &declared.name).await {
            Ok(live) => (live.present(), failed),
            Err(_) => (present, failed),
        },
        _ => (present, failed),
    }
}

async fn converge_once(broker: &dyn Broker, declared: &Declared, exist: bool) -> (Present, Option<Failed>) {
    let name = &declared.name;
    let failed = |doing: String, error| Some(Failed { doing, error });
    if exist {
        match broker.write_policy(name, &declared.policy, Some(declared.expires_at)).await {
            Ok(()) => {}
            Err(e @ BrokerError::ExpirationElapsed { .. }) => {
                let (present, deleted) = Box::pin(converge_once(broker, declared, false)).await;
                return (present, deleted.or(failed(format!("write policy `{name}`"), e)));
            }
            Err(e) => return (Present::NONE, failed(format!("write policy `{name}`"), e)),
        }
        if let Err(e) = broker.write_role(name, &declared.role).await {
            return (Present { policy: true, role: false }, failed(format!("write AppRole role `{name}`"), e));
        }
        (Present::BOTH, None)
    } else {
        // The role first: without it nobody can log in to use the policy.
        if let Err(e) = broker.delete_role(name).await {
            return (Present::BOTH, failed(format!("delete AppRole role `{name}`"), e));
        }
        if let Err(e) = broker.delete_policy(name).await {
            return (Present { policy: true, role: false }, failed(format!("delete policy `{name}`"), e));
        }
        (Present::NONE, None)
    }
}

/// What OpenBao holds of one binding's objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Live {
    pub policy: Option<Policy>,
    pub role: Option<AppRole>,
}

impl Live {
    pub fn present(&self) -> Present {
        Present { policy: self.policy.is_some(), role: self.role.is_some() }
    }
}

/// Read a binding's objects (named `name`).
pub async fn read(broker: &dyn Broker, name: &str) -> Result<Live, BrokerError> {
    Ok(Live { policy: broker.read_policy(name).await?, role: broker.read_role(name).await? })
}

/// Whether live policy text says what `declared` says: comments, blank
/// lines and spacing do not matter (OpenBao keeps the text as written).
pub fn same_policy(live: &str, declared: &str) -> bool {
    super::normalise_policy(live) == super::normalise_policy(declared)
}

/// What differs between a live policy and its declaration: its text, or
/// when OpenBao removes it.
pub fn policy_differences(live: &Policy, declared: &Declared) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !same_policy(&live.text, &declared.policy) {
        out.push("policy");
    }
    if live.expiration != Some(declared.expires_at) {
        out.push("expiration");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::Fake;

    fn config() -> Config {
        Config {
            address: "http://127.0.0.1:1".into(),
            token: "t".into(),
            approle_mount: "/approle/".into(),
            name_prefix: "jit-".into(),
            ..Default::default()
        }
    }

    fn declared() -> Declared {
        Declared {
            binding: "b".into(),
            name: "jit-b".into(),
            policy: "path \"kv/*\" {\n  capabilities = [\"read\"]\n}\n".into(),
            expires_at: "2027-01-10T00:00:00Z".parse().unwrap(),
            role: AppRole { token_policies: vec!["jit-b".into()], token_ttl: 3600, ..Default::default() },
        }
    }

    fn fake_at(now: &str) -> Fake {
        let fake = Fake::new(config());
        *fake.now.lock().unwrap() = Some(now.parse().unwrap());
        fake
    }

    #[test]
    fn names_and_paths() {
        let c = config();
        assert_eq!(c.object_name("b"), "jit-b");
        assert_eq!(role_path(&c.approle_mount, "jit-b"), "auth/approle/role/jit-b");
        assert_eq!(c.references("jit-b", Present::BOTH), ["sys/policies/acl/jit-b", "auth/approle/role/jit-b"]);
        assert_eq!(c.references("jit-b", Present { policy: true, role: false }), ["sys/policies/acl/jit-b"]);
        assert!(should_exist(Status::Active) && !should_exist(Status::Pending) && !should_exist(Status::Expired));
    }

    #[tokio::test]
    async fn converge_writes_both_and_removes_both() {
        let fake = fake_at("2027-01-05T00:00:00Z");
        let d = declared();
        assert_eq!(converge(&fake, &d, true).await, (Present::BOTH, None));
        assert_eq!(read(&fake, "jit-b").await.map(|l| l.present()), Ok(Present::BOTH));
        // Idempotent: again changes nothing.
        assert_eq!(converge(&fake, &d, true).await, (Present::BOTH, None));
        assert_eq!(converge(&fake, &d, false).await, (Present::NONE, None));
        assert_eq!(read(&fake, "jit-b").await, Ok(Live::default()));
    }

    #[tokio::test]
    async fn the_policy_expires_on_the_server_and_the_role_grants_nothing_after() {
        let fake = fake_at("2027-01-05T00:00:00Z");
        let d = declared();
        assert_eq!(converge(&fake, &d, true).await, (Present::BOTH, None));
        let live = read(&fake, "jit-b").await.unwrap();
        assert_eq!(live.policy.as_ref().and_then(|p| p.expiration), Some(d.expires_at));
        assert!(policy_differences(live.policy.as_ref().unwrap(), &d).is_empty());
        // At expires_at OpenBao removes the policy by itself.
        *fake.now.lock().unwrap() = Some(d.expires_at);
        assert_eq!(read(&fake, "jit-b").await.map(|l| l.present()), Ok(Present { policy: false, role: true }));
        // A write after the end is refused, and leaves nothing behind.
        let (present, failed) = converge(&fake, &d, true).await;
        assert_eq!(present, Present::NONE);
        assert!(matches!(failed.map(|f| f.error), Some(BrokerError::ExpirationElapsed { .. })));
    }

    #[tokio::test]
    async fn a_policy_without_its_expiration_differs() {
        let d = declared();
        let live = Policy { text: d.policy.clone(), expiration: None };
        assert_eq!(policy_differences(&live, &d), ["expiration"]);
    }

    #[tokio::test]
    async fn a_partial_failure_reports_what_is_present() {
        let fake = fake_at("2027-01-05T00:00:00Z");
        let boom = BrokerError::Server { status: 500, path: "auth/approle/role/jit-b".into(), detail: "boom".into() };
        *fake.fail_role_writes.lock().unwrap_or_else(|e| e.into_inner()) = Some(boom.clone());
        let (present, failed) = converge(&fake, &declared(), true).await;
        assert_eq!(present, Present { policy: true, role: false });
        assert_eq!(failed, Some(Failed { doing: "write AppRole role `jit-b`".into(), error: boom }));
        assert_eq!(read(&fake, "jit-b").await.map(|l| l.present()), Ok(present));
    }
}
