//! Data sources, protocol-free like the resources.

pub mod jit_document;

use crate::convert::value::Value;
use crate::diag::Diag;
use crate::resources::Ctx;
use crate::schema::Schema;
use std::sync::Arc;

pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value) -> Vec<Diag>;
    fn read(&self, ctx: &Ctx, config: Value) -> (Value, Vec<Diag>);
}

pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(jit_document::JitDocument)]
}
