//! `ephemeral "jit_credential"`: a short-lived OpenBao token for a binding
//! in force now. It reads the binding's compiled broker rule (`rule =
//! jit_binding.NAME.broker_rule_json`) and enforces it at issuance: outside
//! the grant's bounds or its windows it refuses, naming the next opening;
//! inside, it issues a one-use secret id, logs in through the binding's
//! AppRole and shortens the token to end with the current window (and
//! never after `expires_at` or `max_session`). Close revokes the token.
//! The token lives only in Terraform's memory: it is sensitive, and never
//! written to state, plan files or logs.

use crate::convert::value::{Type, Value};
use crate::diag::{path, Diag};
use crate::resources::Ctx;
use crate::schema::{attr, Block, Mode, Schema};
use jiff::Timestamp;
use jit_policy::ir::Status;
use jit_policy::lower::broker::{read_rule, ReadRule};
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
                "A short-lived OpenBao token through the AppRole of a binding in force now (broker mode, Terraform >= 1.10)."
                    .into(),
            attributes: vec![
                attr(
                    "rule",
                    s.clone(),
                    Mode::Required,
                    "The binding's compiled rule, `jit_binding.NAME.broker_rule_json`: its bounds and windows are checked now, and the token ends with the current window.",
                ),
                attr(
                    "binding",
                    s.clone(),
                    Mode::OptionalComputed,
                    "Name of the binding; taken from `rule`, and must equal it when given.",
                ),
                attr(
                    "ttl",
                    s.clone(),
                    Mode::Optional,
                    "Token lifetime, e.g. `15m`; at most the binding's max_session (the default), and never past the end of the current window or `expires_at`.",
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

fn ttl_seconds(config: &Value) -> Result<Option<i64>, Diag> {
    let Some(ttl) = config.get("ttl").as_str() else {
        return Ok(None);
    };
    let s = jit_policy::source::Spanned::new(ttl.to_string(), jit_policy::source::Span::default());
    jit_policy::resolve::values::duration(&s, "ttl").map(Some).map_err(|e| {
        Diag::error("invalid ttl", format!("{}; {}", e.message, e.help.unwrap_or_default())).at(path(&["ttl"]))
    })
}

/// The rule, read back and checked against `binding` when given.
fn rule(config: &Value) -> Result<Option<ReadRule>, Diag> {
    let Some(text) = config.get("rule").as_str() else {
        return Ok(None);
    };
    let rule = read_rule(text).map_err(|e| {
        Diag::error("`rule` is not a binding's broker rule", format!("{e}; pass `jit_binding.NAME.broker_rule_json`"))
            .at(path(&["rule"]))
    })?;
    if let Some(b) = config.get("binding").as_str().filter(|b| *b != rule.binding) {
        return Err(Diag::error(
            "`binding` and `rule` disagree",
            format!("`binding` is `{b}` but the rule is binding `{}`'s", rule.binding),
        )
        .at(path(&["binding"])));
    }
    Ok(Some(rule))
}

pub fn validate(config: &Value) -> Vec<Diag> {
    [ttl_seconds(config).err(), rule(config).err()].into_iter().flatten().collect()
}

/// Why no credential is issued at `now`, if the rule says so.
fn refusal(r: &ReadRule, now: Timestamp) -> Option<Diag> {
    let s = &r.schedule;
    if s.is_active(now) {
        return None;
    }
    let b = &r.binding;
    let (summary, detail) = match jit_policy::ir::status_between(s.not_before, s.expires_at, now) {
        Status::Expired => (
            format!("binding `{b}` has ended"),
            format!("its grant ended at {}; no credential is issued after it", s.expires_at),
        ),
        Status::Pending => (format!("binding `{b}` has not started"), format!("its grant starts at {}", s.not_before)),
        Status::Active => {
            let next = match s.next_opening(now) {
                Some(t) => format!("it opens next at {t}"),
                None => format!("it does not open again before its grant ends at {}", s.expires_at),
            };
            (format!("binding `{b}` is outside its windows now"), format!("it is {now}; {next}"))
        }
    };
    Some(Diag::error(summary, detail).at(path(&["rule"])))
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
    let (requested, rule) = match (ttl_seconds(&config), rule(&config)) {
        (Ok(t), Ok(Some(r))) => (t, r),
        (Err(d), _) | (_, Err(d)) => return fail(d),
        (_, Ok(None)) => {
            return fail(
                Diag::error("`rule` is not known", "jit_credential needs the binding's rule").at(path(&["rule"])),
            )
        }
    };
    // Enforced at issuance: the grant's bounds and windows, now.
    let now = ctx.clock.now();
    if let Some(d) = refusal(&rule, now) {
        return fail(d);
    }
    let binding = rule.binding.clone();
    let name = broker.config().object_name(&binding);
    let role = match broker.read_role(&name).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return fail(
                Diag::error(
                    format!("binding `{binding}` has no OpenBao objects"),
                    format!("its AppRole role `{name}` does not exist: the binding is not applied yet, or has no OpenBao target"),
                )
                .at(path(&["rule"])),
            )
        }
        Err(e) => return fail(Diag::error("OpenBao: cannot read the binding's role", e.to_string())),
    };
    // The token ends with the current window, and never after expires_at
    // or max_session.
    let open_until = rule.schedule.open_until(now).unwrap_or(now);
    let left = open_until.as_second() - now.as_second();
    let ttl = requested
        .unwrap_or(rule.max_session_seconds)
        .min(rule.max_session_seconds)
        .min(role.token_ttl.max(1))
        .min(left)
        .max(1);
    let role_id = match broker.role_id(&name).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            return fail(Diag::error(
                format!("binding `{binding}` has no OpenBao objects"),
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
    // The role issues tokens for max_session; shorten this one to `ttl`.
    let lease = if login.lease_seconds > ttl {
        match broker.renew_token(&login.token, ttl).await {
            Ok(lease) => lease.min(ttl),
            Err(e) => {
                let _ = broker.revoke_token(&login.token).await;
                return fail(Diag::error("OpenBao: cannot shorten the token to the window", e.to_string()));
            }
        }
    } else if login.lease_seconds > 0 {
        login.lease_seconds
    } else {
        ttl
    };
    let expires_at = Timestamp::from_second(now.as_second() + lease).map(|t| t.to_string()).unwrap_or_default();
    let private = serde_json::to_vec(&Private { token: login.token.clone() }).unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("rule".to_string(), config.get("rule").clone());
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
