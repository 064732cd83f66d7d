//! `jit_binding`: who gets which role under which policy, from when until
//! when. Every compiled output is known at plan time whenever the inputs are,
//! so `terraform plan` shows reviewers the real IAM JSON and CEL.
//!
//! Time. `status` (pending | active | expired) is the one value that
//! depends on the clock, and Terraform re-plans during apply and rejects a
//! known planned value that changed. So status is computed at an anchor
//! that both plans share: each refresh (ReadResource) records its time in
//! private state, and plan and the apply-time re-plan of an existing binding
//! both read status at that anchor. A boundary crossed between plan and
//! apply therefore changes nothing in this run; the next refresh moves the
//! anchor and the next plan shows the transition as an in-place update.
//! A new binding has no refresh yet: its status is known after apply.

use super::spec::import_by_name;
use super::{compile, diagnostics, replace_on_name, shape, DocBuilder};
use super::{ApplyReq, ApplyResp, Ctx, PlanReq, PlanResp, ReadResp, Resource};
use crate::broker::desired::{self, Declared, Failed, Present};
use crate::broker::{AppRole, BrokerError};
use crate::convert::value::{Type, Value};
use crate::diag::{has_errors, path, Diag};
use crate::schema::{attr, Block, Mode, Schema};
use jiff::Timestamp;
use jit_policy::ast::shape::BINDING;
use jit_policy::diag::Code;
use jit_policy::lower::Options;
use jit_policy::render::{FlatKind, FlatValue};
use jit_policy::target::Target;
use jit_policy::{ir, render};
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct JitBinding;

/// Computed attributes that come from the compiler: every target's flat
/// outputs (registered with the target), then `enforcement` and `digest`.
fn outputs() -> impl Iterator<Item = &'static str> {
    Target::ALL.iter().flat_map(|t| t.flat_outputs()).map(|o| o.name).chain(["enforcement", "digest"])
}

/// Fields of a binding given as `role_spec` and `policy_spec` instead.
const SPECS: &[&str] = &["role", "policy"];

/// Private state: when the binding's status was last evaluated.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Private {
    as_of: String,
}

fn private_bytes(t: Timestamp) -> Vec<u8> {
    serde_json::to_vec(&Private { as_of: t.to_string() }).unwrap_or_default()
}

fn anchor(private: &[u8]) -> Option<Timestamp> {
    serde_json::from_slice::<Private>(private).ok().and_then(|p| p.as_of.parse().ok())
}

/// What the compiler made of a binding's configuration.
struct Compiled {
    binding: ir::Binding,
    outputs: BTreeMap<&'static str, Value>,
    diags: Vec<Diag>,
}

/// A spec argument (`role_spec` / `policy_spec`): its name and entry JSON.
fn spec_entry(config: &Value, attr: &str, what: &str) -> Result<(String, String), Diag> {
    let bad = |why: &str| {
        Diag::error(
            format!("`{attr}` is not a {what} spec"),
            format!(
                "{why}; pass `{what}.NAME.spec` or an entry of `data.jit_document.NAME.{}`",
                if what == "jit_role" { "roles" } else { "policies" }
            ),
        )
        .at(path(&[attr]))
    };
    let text = config.get(attr).as_str().unwrap_or("");
    let serde_json::Value::Object(mut obj) =
        serde_json::from_str::<serde_json::Value>(text).map_err(|e| bad(&format!("it is not JSON ({e})")))?
    else {
        return Err(bad("it is not a JSON object"));
    };
    let Some(serde_json::Value::String(name)) = obj.remove("name") else {
        return Err(bad("it has no `name`"));
    };
    Ok((name, serde_json::Value::Object(obj).to_string()))
}

fn compile_binding(config: &Value, prefix: &str, as_of: Option<Timestamp>) -> Result<Compiled, Vec<Diag>> {
    let (role, role_entry) = spec_entry(config, "role_spec", "jit_role").map_err(|d| vec![d])?;
    let (policy, policy_entry) = spec_entry(config, "policy_spec", "jit_policy").map_err(|d| vec![d])?;
    let Some(name) = config.get("name").as_str() else {
        return Err(vec![Diag::error("a binding needs a name", "set `name`").at(path(&["name"]))]);
    };
    let mut doc = DocBuilder::default();
    doc.raw("{\"version\":\"jit/v1\",\"roles\":{");
    doc.field(&role, &role_entry, path(&["role_spec"]));
    doc.raw("},\"policies\":{");
    doc.field(&policy, &policy_entry, path(&["policy_spec"]));
    doc.raw("},\"bindings\":{");
    doc.key(name, path(&["name"]));
    doc.raw("{");
    doc.field("role", &serde_json::to_string(&role).unwrap_or_default(), path(&["role_spec"]));
    doc.field("policy", &serde_json::to_string(&policy).unwrap_or_default(), path(&["policy_spec"]));
    // The binding's own fields (subject, times, ...) as the language has them.
    shape::write(&mut doc, &BINDING, config, &[], SPECS);
    doc.raw("}}}");
    let c =
        compile(&doc.text, Target::ALL, &Options { openbao_prefix: prefix.to_string(), as_of, ..Options::default() });
    let diags = diagnostics(&c, &doc, &[Code::UnusedDefinition]);
    if has_errors(&diags) {
        return Err(diags);
    }
    let (Some(binding), Some(l)) = (c.model.bindings.first().cloned(), c.outputs.first()) else {
        return Err(vec![Diag::error("internal error", "the binding did not compile")]);
    };
    // Every target's outputs, null where the binding has no such target.
    // JSON outputs are compact: Terraform renders JSON strings structurally
    // in plans, so whitespace would only add bytes for core to process.
    let mut outputs: BTreeMap<&'static str, Value> =
        Target::ALL.iter().flat_map(|t| t.flat_outputs()).map(|o| (o.name, Value::Null)).collect();
    for (name, v) in render::flat_outputs(l) {
        let v = match v {
            FlatValue::Text(t) => Value::str(t),
            FlatValue::Number(n) => Value::Number(n),
            FlatValue::Null => Value::Null,
        };
        outputs.insert(name, v);
    }
    let enforcement: BTreeMap<String, Value> =
        l.enforcement().map(|(t, e)| (t.as_str().to_string(), Value::str(e.as_str()))).collect();
    outputs.insert("enforcement", Value::Map(enforcement));
    outputs.insert("digest", Value::str(l.digest.clone()));
    Ok(Compiled { binding, outputs, diags })
}

/// The planned value: config plus compiled outputs, or unknowns where the
/// inputs are not known yet.
/// `as_of` is the reference instant of outputs that cover a horizon (a
/// rolling AWS policy): the last refresh, or now for a new binding.
fn with_outputs(
    proposed: &Value,
    config: &Value,
    prefix: &str,
    as_of: Timestamp,
) -> (Value, Option<ir::Binding>, Vec<Diag>) {
    let mut planned = proposed.clone();
    planned.set("id", config.get("name").clone());
    if !config.is_wholly_known() {
        for k in outputs() {
            planned.set(k, Value::Unknown);
        }
        planned.set("status", Value::Unknown);
        planned.set("openbao_objects", Value::Unknown);
        return (planned, None, Vec::new());
    }
    match compile_binding(config, prefix, Some(as_of)) {
        Ok(c) => {
            for (k, v) in c.outputs {
                planned.set(k, v);
            }
            (planned, Some(c.binding), c.diags)
        }
        Err(diags) => (planned, None, diags),
    }
}

/// The name prefix in use: the broker's, or the compile-only default.
fn prefix(ctx: &Ctx) -> String {
    ctx.broker.as_ref().map(|b| b.config().name_prefix.clone()).unwrap_or_else(|| desired::DEFAULT_PREFIX.to_string())
}

/// The binding's OpenBao objects as its state declares them (broker mode
/// with an OpenBao target only).
fn declared(ctx: &Ctx, state: &Value) -> Option<Declared> {
    let broker = ctx.broker.as_ref()?;
    let binding = state.get("name").as_str()?;
    let policy = state.get("openbao_policy_hcl").as_str()?;
    Some(Declared {
        binding: binding.to_string(),
        name: broker.config().object_name(binding),
        policy: policy.to_string(),
        expires_at: state.get("expires_at").as_str()?.parse().ok()?,
        // Absent only in a state written by hand; then the role is rewritten.
        role: state.get("openbao_role").as_str().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default(),
    })
}

/// Whether this state has an OpenBao target in broker mode.
fn brokered(ctx: &Ctx, state: &Value) -> bool {
    ctx.broker.is_some() && !state.get("openbao_policy_hcl").is_null()
}

/// `openbao_objects`: references to the objects present.
fn objects(ctx: &Ctx, name: &str, present: Present) -> Value {
    let refs = ctx.broker.as_ref().map(|b| b.config().references(name, present)).unwrap_or_default();
    Value::List(refs.into_iter().map(Value::str).collect())
}

fn broker_diag(e: &BrokerError, what: &str) -> Diag {
    Diag::error(format!("OpenBao: cannot {what}"), e.to_string())
}

/// Make OpenBao hold this binding's objects exactly when `active`. Returns
/// `openbao_objects` as they are afterwards (so state matches the server
/// even after a partial failure) and diagnostics.
async fn converge(ctx: &Ctx, state: &Value, active: bool) -> (Value, Vec<Diag>) {
    let (Some(broker), Some(d)) = (ctx.broker.as_ref(), declared(ctx, state)) else {
        return (Value::Null, Vec::new());
    };
    let (present, failed) = desired::converge(broker.as_ref(), &d, active).await;
    if let Some(Failed { error: BrokerError::ExpirationElapsed { .. }, .. }) = &failed {
        // The grant ended between the refresh this run is anchored at and
        // now: OpenBao refused a policy that would already have expired.
        // Like `status`, the state stays as of the anchor; the next refresh
        // records the end and the next plan shows `active -> expired`.
        return (state.get("openbao_objects").clone(), Vec::new());
    }
    let diags = failed.map(|f| broker_diag(&f.error, &f.doing)).into_iter().collect();
    (objects(ctx, &d.name, present), diags)
}

/// Where a binding's grant stands at `at`, from the dates in its state.
fn status_at(state: &Value, at: jiff::Timestamp) -> Option<ir::Status> {
    let time = |k: &str| state.get(k).as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok());
    Some(ir::status_between(time("not_before")?, time("expires_at")?, at))
}

#[tonic::async_trait]
impl Resource for JitBinding {
    fn type_name(&self) -> &'static str {
        "jit_binding"
    }

    fn schema(&self) -> Schema {
        let s = Type::String;
        let mut attributes = vec![
            attr("id", s.clone(), Mode::Computed, "The name."),
            attr("name", s.clone(), Mode::Required, "Unique name; changing it replaces the binding."),
            attr("role_spec", s.clone(), Mode::Required, "The role: `jit_role.NAME.spec` or `data.jit_document.NAME.roles[\"ROLE\"]`."),
            attr("policy_spec", s.clone(), Mode::Required, "The policy: `jit_policy.NAME.spec` or `data.jit_document.NAME.policies[\"POLICY\"]`."),
            attr("status", s.clone(), Mode::Computed, "pending, active or expired. An expired binding is an in-place update, never a replacement or an error."),
            attr("enforcement", Type::map_of(Type::String), Mode::Computed, "How each target enforces time: exact, expanded, convergence or issuance (see the enforcement table in docs/language.md)."),
            attr("digest", s.clone(), Mode::Computed, "SHA-256 content digest of the grant."),
            attr(
                "openbao_objects",
                Type::list_of(Type::String),
                Mode::Computed,
                "Broker mode: the OpenBao objects of this binding that exist (its ACL policy and AppRole role while active, none otherwise). Null in compile-only mode.",
            ),
        ];
        // Each target's outputs, as the target declares them.
        for o in Target::ALL.iter().flat_map(|t| t.flat_outputs()) {
            let ty = match o.kind {
                FlatKind::Text => Type::String,
                FlatKind::Number => Type::Number,
            };
            attributes.push(attr(o.name, ty, Mode::Computed, o.doc));
        }
        // The binding's own fields (subject, times, ...) come from the
        // language's shape table; `role` and `policy` are given as specs.
        let own = shape::block(&BINDING, SPECS);
        attributes.extend(own.attributes);
        Schema { version: 0, block: Block { description: own.description, attributes, blocks: own.blocks } }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        if !config.is_wholly_known() {
            return Vec::new();
        }
        // Whether a rolling horizon fits does not depend on when: validate
        // from the start of the grant.
        match compile_binding(config, desired::DEFAULT_PREFIX, Some(Timestamp::MIN)) {
            Ok(c) => c.diags,
            Err(d) => d,
        }
    }

    async fn plan(&self, ctx: &Ctx, req: PlanReq) -> PlanResp {
        // Everything that depends on time is read at the last refresh.
        let at = anchor(&req.prior_private).unwrap_or_else(|| ctx.clock.now());
        let (mut planned, binding, diags) = with_outputs(&req.proposed, &req.config, &prefix(ctx), at);
        if req.prior.is_null() && planned.get("aws_valid_until").as_str().is_some() {
            // A new binding has no refresh yet: its rolling horizon starts
            // with the week it is applied in, known after apply.
            planned.set("aws_policy_json", Value::Unknown);
            planned.set("aws_valid_until", Value::Unknown);
        }
        let mut planned_private = Vec::new();
        let mut status = None;
        match (&binding, req.prior.is_null()) {
            (Some(b), false) => {
                let s = ir::status(b, at);
                planned.set("status", Value::str(s.as_str()));
                planned_private = private_bytes(at);
                status = Some(s);
            }
            _ => planned.set("status", Value::Unknown),
        }
        // Broker objects exist exactly while the binding is active.
        let objects = if ctx.broker.is_none() {
            Value::Null
        } else if planned.get("openbao_policy_hcl").is_unknown() {
            Value::Unknown
        } else if planned.get("openbao_policy_hcl").is_null() {
            Value::Null
        } else {
            match (status, planned.get("name").as_str()) {
                (Some(s), Some(binding)) => {
                    let name = desired::object_name(&prefix(ctx), binding);
                    let exist = desired::should_exist(s);
                    objects(ctx, &name, if exist { Present::BOTH } else { Present::NONE })
                }
                _ => Value::Unknown,
            }
        };
        planned.set("openbao_objects", objects);
        let requires_replace = replace_on_name(&req.prior, &planned);
        PlanResp { planned, requires_replace, planned_private, diags }
    }

    async fn apply(&self, ctx: &Ctx, req: ApplyReq) -> ApplyResp {
        let mut state = req.planned.clone();
        let mut diags = Vec::new();
        let mut binding = None;
        let pfx = prefix(ctx);
        let now = ctx.clock.now();
        // The plan's anchor, or now for a new binding (then also its anchor).
        let at = anchor(&req.planned_private).unwrap_or(now);
        if !state.get("digest").is_wholly_known() || !state.get("aws_policy_json").is_wholly_known() {
            let (s, b, d) = with_outputs(&req.planned, &req.config, &pfx, at);
            state = s;
            binding = b;
            diags = d;
        }
        let mut private = if req.planned_private.is_empty() { private_bytes(now) } else { req.planned_private.clone() };
        if state.get("status").is_unknown() {
            let b = match binding {
                Some(b) => Some(b),
                None => {
                    compile_binding(&req.config, &pfx, Some(at)).map(|c| c.binding).map_err(|d| diags.extend(d)).ok()
                }
            };
            match b {
                Some(b) => state.set("status", Value::str(ir::status(&b, now).as_str())),
                None => return ApplyResp { new_state: req.prior, private: Vec::new(), diags },
            }
            private = private_bytes(now);
        }
        if brokered(ctx, &state) {
            let active = state.get("status").as_str() == Some(ir::Status::Active.as_str());
            let (objects, d) = converge(ctx, &state, active).await;
            diags.extend(d);
            // Recorded as they are on the server, even after a partial failure.
            state.set("openbao_objects", objects);
        } else {
            state.set("openbao_objects", Value::Null);
        }
        ApplyResp { new_state: state, private, diags }
    }

    async fn read(&self, ctx: &Ctx, mut state: Value, _private: Vec<u8>) -> ReadResp {
        let private = private_bytes(ctx.clock.now());
        let imported = state.get("role_spec").is_null();
        let (Some(broker), Some(binding)) = (ctx.broker.as_ref(), state.get("name").as_str()) else {
            return ReadResp { state, private, diags: Vec::new() };
        };
        if !imported && state.get("openbao_policy_hcl").is_null() {
            // No OpenBao target: nothing to read.
            return ReadResp { state, private, diags: Vec::new() };
        }
        let name = broker.config().object_name(binding);
        let live = match desired::read(broker.as_ref(), &name).await {
            Ok(live) => live,
            Err(e) => {
                let diags = vec![broker_diag(&e, &format!("read the objects of `{name}`"))];
                return ReadResp { state, private, diags };
            }
        };
        let recorded = state.get("openbao_objects").as_list().map(|l| !l.is_empty()).unwrap_or(false);
        let active = status_at(&state, ctx.clock.now()).is_none_or(|s| s == ir::Status::Active);
        if live.present() == Present::NONE && recorded && active {
            // Both objects of an active binding were deleted outside
            // Terraform: the binding is gone. (After expires_at, OpenBao
            // removing the policy is the expected end, not a deletion.)
            return ReadResp { state: Value::Null, private, diags: Vec::new() };
        }
        // What differs from the declaration shows as drift in the next plan:
        // other text, or a policy OpenBao would not remove at expires_at
        // (named in a comment, which OpenBao ignores).
        if let Some(p) = &live.policy {
            let differs = match declared(ctx, &state) {
                Some(d) => desired::policy_differences(p, &d),
                // Imported: record what exists.
                None => vec!["policy"],
            };
            if differs.contains(&"expiration") {
                let when = p.expiration.map(|e| format!("at {e}")).unwrap_or_else(|| "never".into());
                state
                    .set("openbao_policy_hcl", Value::str(format!("# OpenBao removes this policy {when}\n{}", p.text)));
            } else if differs.contains(&"policy") {
                state.set("openbao_policy_hcl", Value::str(p.text.clone()));
            }
        }
        if let Some(role) = &live.role {
            let compiled: Option<AppRole> =
                state.get("openbao_role").as_str().and_then(|r| serde_json::from_str(r).ok());
            if compiled.as_ref() != Some(role) {
                state.set("openbao_role", Value::str(serde_json::to_string(role).unwrap_or_default()));
            }
        }
        state.set("openbao_objects", objects(ctx, &name, live.present()));
        ReadResp { state, private, diags: Vec::new() }
    }

    async fn destroy(&self, ctx: &Ctx, prior: &Value) -> Vec<Diag> {
        if !brokered(ctx, prior) {
            return Vec::new();
        }
        converge(ctx, prior, false).await.1
    }

    fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diag> {
        import_by_name(id)
    }
}
