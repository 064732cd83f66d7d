//! The protocol edge: DynamicValue <-> native values, native schemas and
//! diagnostics -> protocol messages. Nothing outside `convert` and `server`
//! sees a prost type.

pub mod proto;
pub mod value;
