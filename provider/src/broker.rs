//! The OpenBao client lives in the `jit-openbao` crate (the only code that
//! does network I/O); the provider uses it through this module.

pub use jit_openbao::client as openbao;
pub use jit_openbao::{
    desired, fake, normalise_policy, AppRole, Broker, BrokerError, Config, ConfigError, Login, Settings, DEFAULT_MOUNT,
};
