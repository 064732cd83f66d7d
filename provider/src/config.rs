//! `provider "jit" { openbao { ... } }`. Without the block the provider is
//! compile-only: nothing outside Terraform state is touched.

use crate::broker::Config;
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
                            "OpenBao address; defaults to `BAO_ADDR`, then `VAULT_ADDR`.",
                        ),
                        token,
                        attr("namespace", s.clone(), Mode::Optional, "OpenBao namespace (`X-Vault-Namespace`)."),
                        attr(
                            "approle_mount",
                            s.clone(),
                            Mode::Optional,
                            "Mount path of the AppRole auth method (default `approle`).",
                        ),
                        attr(
                            "name_prefix",
                            s.clone(),
                            Mode::Optional,
                            "Prefix of the policy and role names (default `jit-`).",
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

fn env(keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// The broker settings, or `None` in compile-only mode. Unknown values
/// (during validate) yield no error.
pub fn broker_config(config: &Value) -> Result<Option<Config>, Diag> {
    let b = config.get("openbao");
    if b.is_null() {
        return Ok(None);
    }
    let get = |k: &str| b.get(k).as_str().map(String::from).filter(|v| !v.is_empty());
    let address = get("address").or_else(|| env(&["BAO_ADDR", "VAULT_ADDR"])).ok_or_else(|| {
        Diag::error("OpenBao address missing", "set `address` in the `openbao` block, or BAO_ADDR (or VAULT_ADDR)")
            .at(path(&["openbao", "address"]))
    })?;
    if !(address.starts_with("http://") || address.starts_with("https://")) {
        return Err(Diag::error("invalid OpenBao address", format!("`{address}` must start with http:// or https://"))
            .at(path(&["openbao", "address"])));
    }
    let token = get("token").or_else(|| env(&["BAO_TOKEN", "VAULT_TOKEN"])).ok_or_else(|| {
        Diag::error("OpenBao token missing", "set `token` in the `openbao` block, or BAO_TOKEN (or VAULT_TOKEN)")
            .at(path(&["openbao", "token"]))
    })?;
    let name_prefix = get("name_prefix").unwrap_or_else(|| "jit-".into());
    if !name_prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err(Diag::error(
            "invalid name_prefix",
            "use lowercase letters, digits, `-` and `_` (OpenBao lower-cases policy names)",
        )
        .at(path(&["openbao", "name_prefix"])));
    }
    Ok(Some(Config {
        address,
        token,
        namespace: get("namespace").or_else(|| env(&["BAO_NAMESPACE", "VAULT_NAMESPACE"])),
        approle_mount: get("approle_mount").unwrap_or_else(|| "approle".into()),
        name_prefix,
        ca_cert_pem: get("ca_cert").or_else(|| env(&["BAO_CACERT_PEM"])),
    }))
}
