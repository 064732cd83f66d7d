//! `data "jit_document"`: a file or folder of versioned policy documents,
//! validated by the compiler and exposed for `for_each`: `roles` and
//! `policies` (name -> spec) and `bindings` (name -> object whose fields feed
//! `jit_binding`). Errors fail the plan and name the document's file and line.

use super::DataSource;
use crate::convert::value::{from_json_value, Type, Value};
use crate::diag::{path, Diag};
use crate::resources::Ctx;
use crate::schema::{attr, Block, Mode, Schema};
use jit_policy::ast::shape::BINDING;
use jit_policy::lower::Options;
use jit_policy::render::spec;
use jit_policy::target::Target;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug)]
pub struct JitDocument;

/// A binding as `jit_binding` takes it: the language's binding fields (from
/// its shape table), its name, and its role and policy as specs.
fn binding_type() -> Type {
    let mut t = crate::resources::shape::block(&BINDING, &[]).value_type();
    if let Type::Object(m) = &mut t {
        for k in ["name", "role_spec", "policy_spec"] {
            m.insert(k.to_string(), Type::String);
        }
    }
    t
}

/// An assumed role as `aws_assumed_roles` gives it.
fn assumed_role_type() -> Type {
    Type::Object(
        [
            ("trust_policy_json", Type::String),
            ("max_session_duration", Type::Number),
            ("bindings", Type::list_of(Type::String)),
            ("valid_until", Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )
}

impl DataSource for JitDocument {
    fn type_name(&self) -> &'static str {
        "jit_document"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                description: "Versioned jit/v1 policy documents, validated and exposed for for_each.".into(),
                attributes: vec![
                    attr("path", Type::String, Mode::Required, "A document file or a folder (searched recursively for *.hcl, *.yaml, *.yml), relative to the working directory."),
                    attr("id", Type::String, Mode::Computed, "Digest of all compiled grants."),
                    attr("files", Type::list_of(Type::String), Mode::Computed, "The documents read."),
                    attr("roles", Type::map_of(Type::String), Mode::Computed, "Role name -> canonical spec (for `jit_binding.role_spec`)."),
                    attr("policies", Type::map_of(Type::String), Mode::Computed, "Policy name -> canonical spec (for `jit_binding.policy_spec`)."),
                    attr("bindings", Type::map_of(binding_type()), Mode::Computed, "Binding name -> its role and policy specs, subject and times, ready for `for_each` into `jit_binding`."),
                    attr("istio_provider", Type::String, Mode::Optional, "The Istio extension provider the `AuthorizationPolicy` objects in `bundle_files` name; default `jit-opa`."),
                    attr("istio_selector_label", Type::String, Mode::Optional, "The pod label whose value is the service name, selecting the workloads of each `AuthorizationPolicy`; default `app`."),
                    attr("aws_trust_policy_limit", Type::Number, Mode::Optional, "The AWS account's role trust policy length quota, characters: 2048 (the default) to 4096. Each assumed role's merged trust policy fits in it."),
                    attr("bundle_files", Type::map_of(Type::String), Mode::Computed, "Files shared by all bindings, by path (as `jitc compile --out` writes them): the OPA bundle (`rego/.manifest`, `rego/jit/authz/policy.rego`, `rego/data.json`), one Istio `AuthorizationPolicy` per mesh service (`istio/SERVICE.yaml`), and the merged trust policy of each assumed AWS role (`aws-trust/ACCOUNT/NAME.json`, indexed by `aws-trust/roles.json`). Empty without `http` roles or `aws.assume_role`."),
                    attr("aws_assumed_roles", Type::map_of(assumed_role_type()), Mode::Computed, "Elevation: per role ARN named by an `aws.assume_role`, the merged trust policy of every binding assuming it (`trust_policy_json`, for the role's `assume_role_policy`), the `max_session_duration` for the role (the shortest any of them asks), the `bindings`, and `valid_until` (the earliest end of a rolling horizon; null when every binding's statements cover its whole grant). Rolling horizons start at the week of the last read."),
                ],
                blocks: vec![],
            },
        }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        let mut out = Vec::new();
        if let Value::String(p) = config.get("path") {
            if p.trim().is_empty() {
                out.push(Diag::error("`path` is empty", "give a document file or a folder").at(path(&["path"])));
            }
        }
        if let Some(n) = config.get("aws_trust_policy_limit").as_number() {
            use jit_policy::lower::aws_trust::{TRUST_LIMIT_DEFAULT, TRUST_LIMIT_MAX};
            if n.fract() != 0.0 || !(TRUST_LIMIT_DEFAULT as f64..=TRUST_LIMIT_MAX as f64).contains(&n) {
                out.push(
                    Diag::error(
                        "invalid `aws_trust_policy_limit`",
                        format!(
                            "AWS's role trust policy quota is {TRUST_LIMIT_DEFAULT} to {TRUST_LIMIT_MAX} characters"
                        ),
                    )
                    .at(path(&["aws_trust_policy_limit"])),
                );
            }
        }
        for field in ["istio_provider", "istio_selector_label"] {
            if let Some(why) = config.get(field).as_str().and_then(jit_policy::render::rego::istio_name_problem) {
                out.push(Diag::error(format!("invalid `{field}`"), why).at(path(&[field])));
            }
        }
        out
    }

    fn read(&self, ctx: &Ctx, config: Value) -> (Value, Vec<Diag>) {
        let Some(p) = config.get("path").as_str().map(str::to_string) else {
            return (
                config,
                vec![Diag::error("`path` is not known", "jit_document needs a known path").at(path(&["path"]))],
            );
        };
        let sources = match jit_policy::load::load_paths(&[PathBuf::from(&p)]) {
            Ok(s) if !s.is_empty() => s,
            Ok(_) => {
                return (
                    config,
                    vec![Diag::error("no policy documents", format!("`{p}` holds no *.hcl, *.yaml or *.yml files"))
                        .at(path(&["path"]))],
                );
            }
            Err(e) => {
                return (config, vec![Diag::error("cannot read policy documents", e.to_string()).at(path(&["path"]))])
            }
        };
        // Outputs that cover a rolling horizon start at the week of this
        // read, as `jit_binding`'s start at its last refresh.
        let mut opts = Options { as_of: Some(ctx.clock.now()), ..Options::default() };
        if let Some(n) = config.get("aws_trust_policy_limit").as_number() {
            opts.aws_trust_policy_limit = n as usize;
        }
        if let Some(p) = config.get("istio_provider").as_str() {
            opts.istio_provider = p.to_string();
        }
        if let Some(l) = config.get("istio_selector_label").as_str() {
            opts.istio_selector_label = l.to_string();
        }
        let c = jit_policy::compile(sources, Target::ALL, &opts);
        let diags = crate::resources::text_diagnostics(&c, &path(&["path"]), &[]);
        if c.has_errors() {
            return (config, diags);
        }
        let roles: BTreeMap<String, Value> =
            c.model.roles.iter().map(|(k, r)| (k.clone(), Value::str(spec::role_spec(r)))).collect();
        let policies: BTreeMap<String, Value> =
            c.model.policies.iter().map(|(k, p)| (k.clone(), Value::str(spec::policy_spec(p)))).collect();
        let binding_type = binding_type();
        let bindings: BTreeMap<String, Value> = c
            .model
            .bindings
            .iter()
            .map(|b| {
                let mut entry = spec::binding_entry(b);
                entry["name"] = b.name.clone().into();
                entry["role_spec"] = spec::role_spec(&b.role).into();
                entry["policy_spec"] = spec::policy_spec(&b.policy).into();
                (b.name.clone(), from_json_value(&entry, &binding_type))
            })
            .collect();
        let digests: Vec<&str> = c.outputs.iter().map(|l| l.digest.as_str()).collect();
        let files: Vec<Value> = c.sources.files().map(|(_, f)| Value::str(f.name.clone())).collect();
        let mut state = config;
        state.set("id", Value::str(crate::resources::digest(&digests.join("\n"))));
        state.set("files", Value::List(files));
        state.set("roles", Value::Map(roles));
        state.set("policies", Value::Map(policies));
        state.set("bindings", Value::Map(bindings));
        let bundle: BTreeMap<String, Value> =
            jit_policy::render::shared_files(&c.outputs, &opts).into_iter().map(|(p, t)| (p, Value::str(t))).collect();
        state.set("bundle_files", Value::Map(bundle));
        let trust: Vec<(&str, &jit_policy::lower::aws_trust::TrustModel)> =
            c.outputs.iter().filter_map(|o| Some((o.binding.as_str(), o.get(Target::AwsTrust)?.model()?))).collect();
        let assumed: BTreeMap<String, Value> = jit_policy::render::aws_trust::assumed_roles(&trust)
            .into_iter()
            .map(|r| {
                let mut m = BTreeMap::new();
                m.insert("trust_policy_json".to_string(), Value::str(r.policy_json()));
                m.insert("max_session_duration".to_string(), Value::Number(r.max_session_duration as f64));
                m.insert("bindings".to_string(), Value::List(r.bindings.iter().map(|b| Value::str(*b)).collect()));
                m.insert(
                    "valid_until".to_string(),
                    r.valid_until.map(|t| Value::str(t.to_string())).unwrap_or(Value::Null),
                );
                (r.arn, Value::Map(m))
            })
            .collect();
        state.set("aws_assumed_roles", Value::Map(assumed));
        (state, diags)
    }
}
