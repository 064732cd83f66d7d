//! Managed resources. Each is protocol-free: it takes and returns native
//! [`Value`]s and [`Diag`]s; `crate::server` does the wire work.

mod document;
pub mod jit_binding;
pub mod shape;
pub mod spec;

pub use document::{compile, diagnostics, text_diagnostics, with, DocBuilder};

use crate::broker::Broker;
use crate::clock::Clock;
use crate::convert::value::Value;
use crate::diag::{Diag, Step};
use crate::schema::Schema;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What every operation may consult: the clock and whether Terraform asked
/// to stop since the operation began.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub clock: Arc<dyn Clock>,
    /// The OpenBao broker, when the provider has an `openbao` block.
    pub broker: Option<Arc<dyn Broker>>,
    /// Bumped by every StopProvider.
    stops: Arc<AtomicU64>,
    /// The value of `stops` when this operation began.
    began: u64,
}

impl Ctx {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Ctx { clock, broker: None, stops: Arc::new(AtomicU64::new(0)), began: 0 }
    }

    /// A context for a new operation: stops before it do not concern it.
    pub fn begin(&self) -> Ctx {
        Ctx {
            clock: self.clock.clone(),
            broker: self.broker.clone(),
            stops: self.stops.clone(),
            began: self.stops.load(Ordering::SeqCst),
        }
    }

    /// Cancel every operation in flight.
    pub fn stop_all(&self) {
        self.stops.fetch_add(1, Ordering::SeqCst);
    }

    pub fn stopped(&self) -> bool {
        self.stops.load(Ordering::SeqCst) != self.began
    }
}

#[derive(Debug, Clone)]
pub struct PlanReq {
    /// `Null` on create.
    pub prior: Value,
    pub proposed: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct PlanResp {
    pub planned: Value,
    pub requires_replace: Vec<Vec<Step>>,
    pub planned_private: Vec<u8>,
    pub diags: Vec<Diag>,
}

#[derive(Debug, Clone)]
pub struct ApplyReq {
    pub prior: Value,
    pub planned: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ApplyResp {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diags: Vec<Diag>,
}

#[derive(Debug, Clone, Default)]
pub struct ReadResp {
    /// `Null` when the object is gone.
    pub state: Value,
    pub private: Vec<u8>,
    pub diags: Vec<Diag>,
}

/// A managed resource type. Destroy plans (null planned state) are handled
/// by the server for every resource alike; `destroy` removes whatever the
/// resource owns outside Terraform.
#[tonic::async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value) -> Vec<Diag>;
    async fn plan(&self, ctx: &Ctx, req: PlanReq) -> PlanResp;
    async fn apply(&self, ctx: &Ctx, req: ApplyReq) -> ApplyResp;
    async fn read(&self, ctx: &Ctx, state: Value, private: Vec<u8>) -> ReadResp;
    /// The state of an imported object, from its import id (the name).
    fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diag>;
    /// Remove external objects of a destroyed resource (none by default).
    async fn destroy(&self, _ctx: &Ctx, _prior: &Value) -> Vec<Diag> {
        Vec::new()
    }
}

/// All managed resources of the provider.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(spec::SpecResource::role()),
        Arc::new(spec::SpecResource::policy()),
        Arc::new(jit_binding::JitBinding),
    ]
}

/// `requires_replace` for `name` when it changes on an existing object.
pub fn replace_on_name(prior: &Value, planned: &Value) -> Vec<Vec<Step>> {
    if prior.is_null() {
        return Vec::new();
    }
    // A name unknown until apply may change too.
    let (a, b) = (prior.get("name"), planned.get("name"));
    if b.is_unknown() || a != b {
        vec![vec![Step::Attr("name".into())]]
    } else {
        Vec::new()
    }
}

/// SHA-256 of text, as `sha256:<hex>`.
pub fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(text.as_bytes());
    format!("sha256:{}", h.iter().map(|b| format!("{b:02x}")).collect::<String>())
}
