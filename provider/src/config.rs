//! `provider "jit" { openbao { ... } }`. Without the block the provider is
//! compile-only: nothing outside Terraform state is touched.

use crate::broker::{Config, Settings};
use crate::convert::value::{Type, Value};
use crate::diag::{path, Diag};
use crate::schema::{attr, Block, Mode, NestedBlock, Nesting, Schema};

pub fn schema() -> Schema {
    let s = Type::String;
    let mut token = attr(
        "token",
        s.clone(),
        Mode::Optional,
        "OpenBao token; defaults to `BAO_TOKEN`, then `VAULT_TOKEN`. Never logged or stored.",
    );
    token.sensitive = true;
    Schema {
        version: 0,
        block: Block {
            description: "jit: time-bound access as code. Without an `openbao` block the provider is compile-only."
                .into(),
            attributes: vec![],
            blocks: vec![NestedBlock {
                name: "openbao",
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
                block: Block {
                    description: "Broker mode: bindings are applied as OpenBao ACL policies and AppRole roles.".into(),
                    attributes: vec![
                        attr(
                            "address",
                            s.clone(),
                            Mode::Optional,
                            "OpenBao address; defaults to `BAO_ADDR`, then `VAULT_ADDR` (either may list a cluster's nodes separated by commas).",
                        ),
                        attr(
                            "addresses",
                            Type::list_of(s.clone()),
                            Mode::Optional,
                            "The nodes of an OpenBao cluster (integrated storage), instead of `address`: tried in order, the last one that answered is used first, and while the cluster fails over requests move to the next node and are retried for up to 60 s.",
                        ),
                        token,
                        attr("namespace", s.clone(), Mode::Optional, "OpenBao namespace (`X-Vault-Namespace`)."),
                        attr(
                            "approle_mount",
                            s.clone(),
                            Mode::Optional,
                            format!(
                                "Mount path of the AppRole auth method (default `{}`).",
                                crate::broker::DEFAULT_MOUNT
                            ),
                        ),
                        attr(
                            "name_prefix",
                            s.clone(),
                            Mode::Optional,
                            format!(
                                "Prefix of the policy and role names (default `{}`).",
                                crate::broker::desired::DEFAULT_PREFIX
                            ),
                        ),
                        attr(
                            "ca_cert",
                            s,
                            Mode::Optional,
                            "PEM of the CA that signed OpenBao's certificate, for https addresses.",
                        ),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

/// The broker settings, or `None` in compile-only mode. Unset settings
/// fall back to the environment (`jit_openbao::Settings::resolve`). Unknown
/// values (during validate) yield no error.
pub fn broker_config(config: &Value) -> Result<Option<Config>, Diag> {
    let b = config.get("openbao");
    if b.is_null() {
        return Ok(None);
    }
    let get = |k: &str| b.get(k).as_str().map(String::from);
    let addresses: Vec<String> =
        b.get("addresses").as_list().unwrap_or_default().iter().filter_map(|v| v.as_str().map(String::from)).collect();
    if get("address").is_some() && !addresses.is_empty() {
        return Err(Diag::error(
            "both `address` and `addresses`",
            "give one OpenBao address, or the list of a cluster's nodes",
        )
        .at(path(&["openbao", "addresses"])));
    }
    let settings = Settings {
        address: get("address"),
        addresses,
        token: get("token"),
        token_env: None,
        namespace: get("namespace"),
        approle_mount: get("approle_mount"),
        name_prefix: get("name_prefix"),
        ca_cert_pem: get("ca_cert"),
    };
    settings.resolve(&|k| std::env::var(k).ok()).map(Some).map_err(|e| {
        let summary = match e.setting() {
            "address" => "OpenBao address missing or invalid",
            "token" => "OpenBao token missing",
            _ => "invalid name_prefix",
        };
        Diag::error(summary, format!("{e} (in the provider's `openbao` block)")).at(path(&["openbao", e.setting()]))
    })
}
