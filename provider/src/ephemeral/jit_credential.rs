//! `ephemeral "jit_credential"`: a short-lived OpenBao token for a binding
//! that is active now. Open issues a one-use secret id (ttl at most the
//! binding's max_session) and logs in through the binding's AppRole; Close
//! revokes the token. The token lives only in Terraform's memory: it is
//! sensitive, and never written to state, plan files or logs.

use crate::convert::value::{Type, Value};
use crate::diag::{path, Diag};
use crate::resources::Ctx;
use crate::schema::{attr, Block, Mode, Schema};
use std::collections::BTreeMap;

pub const TYPE_NAME: &str = "jit_credential";

pub fn schema() -> Schema {
    let s = Type::String;
    let mut token = attr(
        "token",
        s.clone(),
        Mode::Computed,
        "The OpenBao token (sensitive; revoked when Terraform closes the resource).",
    );
    token.sensitive = true;
    Schema {
        version: 0,
        block: Block {
            description:
                "A short-lived OpenBao token through an active binding's AppRole (broker mode, Terraform >= 1.10)."
                    .into(),
            attributes: vec![
                attr("binding", s.clone(), Mode::Required, "Name of an active `jit_binding` with an OpenBao target."),
                attr(
                    "ttl",
                    s.clone(),
                    Mode::Optional,
                    "Token lifetime, e.g. `15m`; at most the binding's max_session (the default).",
                ),
                token,
                attr("accessor", s.clone(), Mode::Computed, "The token's accessor (not a secret)."),
                attr("expires_at", s, Mode::Computed, "When the token expires (RFC 3339)."),
            ],
            blocks: vec![],
        },
    }
}

/// What Close needs; kept by Terraform in memory only.
#[derive(serde::Serialize, serde::Deserialize)]
struct Private {
    token: String,
}

pub fn validate(config: &Value) -> Vec<Diag> {
    if let Some(ttl) = config.get("ttl").as_str() {
        let s = jit_policy::source::Spanned::new(ttl.to_string(), jit_policy::source::Span::default());
        if let Err(e) = jit_policy::resolve::values::duration(&s, "ttl") {
            return vec![
                Diag::error("invalid ttl", format!("{}; {}", e.message, e.help.unwrap_or_default())).at(path(&["ttl"]))
            ];
        }
    }
    Vec::new()
}

/// Open: (result, private bytes, diagnostics).
pub async fn open(ctx: &Ctx, config: Value) -> (Value, Vec<u8>, Vec<Diag>) {
    let fail = |d: Diag| (Value::Null, Vec::new(), vec![d]);
    let Some(broker) = ctx.broker.as_ref() else {
        return fail(Diag::error(
            "jit_credential needs broker mode",
            "add `openbao {}` to the `jit` provider block (address and token from BAO_ADDR and BAO_TOKEN)",
        ));
    };
    let Some(binding) = config.get("binding").as_str().map(String::from) else {
        return fail(
            Diag::error("`binding` is not known", "jit_credential needs the binding's name").at(path(&["binding"])),
        );
    };
    let diags = validate(&config);
    if !diags.is_empty() {
        return (Value::Null, Vec::new(), diags);
    }
    let name = broker.config().object_name(&binding);
    let role = match broker.read_role(&name).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return fail(
                Diag::error(
                    format!("binding `{binding}` is not active now"),
                    format!("its AppRole role `{name}` does not exist: the binding is pending, expired, not applied yet, or has no OpenBao target"),
                )
                .at(path(&["binding"])),
            )
        }
        Err(e) => return fail(Diag::error("OpenBao: cannot read the binding's role", e.to_string())),
    };
    let requested = config
        .get("ttl")
        .as_str()
        .and_then(|t| {
            jit_policy::resolve::values::duration(
                &jit_policy::source::Spanned::new(t.to_string(), jit_policy::source::Span::default()),
                "ttl",
            )
            .ok()
        })
        .unwrap_or(role.token_ttl);
    let ttl = requested.min(role.token_ttl).max(1);
    let role_id = match broker.role_id(&name).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            return fail(Diag::error(
                format!("binding `{binding}` is not active now"),
                format!("the role `{name}` disappeared"),
            ))
        }
        Err(e) => return fail(Diag::error("OpenBao: cannot read the role id", e.to_string())),
    };
    let metadata = serde_json::json!({ "binding": binding }).to_string();
    let secret = match broker.secret_id(&name, ttl.min(role.secret_id_ttl.max(1)), &metadata).await {
        Ok(s) => s,
        Err(e) => return fail(Diag::error("OpenBao: cannot issue a secret id", e.to_string())),
    };
    let login = match broker.login(&role_id, &secret).await {
        Ok(l) => l,
        Err(e) => return fail(Diag::error("OpenBao: AppRole login failed", e.to_string())),
    };
    let lease = if login.lease_seconds > 0 { login.lease_seconds.min(ttl) } else { ttl };
    let expires_at =
        jiff::Timestamp::from_second(ctx.clock.now().as_second() + lease).map(|t| t.to_string()).unwrap_or_default();
    let private = serde_json::to_vec(&Private { token: login.token.clone() }).unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("binding".to_string(), Value::str(binding));
    m.insert("ttl".to_string(), config.get("ttl").clone());
    m.insert("token".to_string(), Value::str(login.token));
    m.insert("accessor".to_string(), Value::str(login.accessor));
    m.insert("expires_at".to_string(), Value::str(expires_at));
    (Value::Map(m), private, Vec::new())
}

/// Close: revoke the token.
pub async fn close(ctx: &Ctx, private: &[u8]) -> Vec<Diag> {
    let (Some(broker), Ok(p)) = (ctx.broker.as_ref(), serde_json::from_slice::<Private>(private)) else {
        return Vec::new();
    };
    match broker.revoke_token(&p.token).await {
        Ok(()) => Vec::new(),
        // Already expired or revoked: nothing left to do.
        Err(crate::broker::BrokerError::Forbidden { .. }) => Vec::new(),
        Err(e) => vec![Diag::warning(
            "OpenBao: cannot revoke the credential",
            format!("{e}; it expires on its own at its TTL"),
        )],
    }
}
