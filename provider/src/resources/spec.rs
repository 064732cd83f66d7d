//! `jit_role` and `jit_policy`: one entry of the language as Terraform
//! arguments (or a `document` string holding one entry). Computed: `id`,
//! `spec` (canonical JSON, known at plan time) and `digest`.
//!
//! Both kinds share this implementation; they differ in their schema and in
//! how their arguments are written into the document the compiler reads.

use super::{compile, diagnostics, digest, replace_on_name, shape, text_diagnostics, DocBuilder};
use super::{ApplyReq, ApplyResp, Ctx, PlanReq, PlanResp, ReadResp, Resource};
use crate::convert::value::{Type, Value};
use crate::diag::{has_errors, path, Diag};
use crate::schema::{attr, Block, Mode, Schema};
use jit_policy::ast::shape::{Shape, POLICY, ROLE};
use jit_policy::diag::Code;
use jit_policy::lower::Options;
use jit_policy::render::spec;
use jit_policy::target::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Role,
    Policy,
}

#[derive(Debug)]
pub struct SpecResource {
    kind: Kind,
}

fn common(kind: &str) -> Vec<crate::schema::Attribute> {
    vec![
        attr("id", Type::String, Mode::Computed, "The name."),
        attr("name", Type::String, Mode::OptionalComputed, "Unique name; changing it replaces the resource. Taken from `document` when that is given."),
        attr("document", Type::String, Mode::Optional, "A jit/v1 document (HCL or YAML text, e.g. `file(\"x.yaml\")`) holding exactly one entry of this kind, instead of the arguments."),
        attr("spec", Type::String, Mode::Computed, if kind == "role" { "Canonical JSON of the role, for `jit_binding.role_spec`. Known at plan time." } else { "Canonical JSON of the policy, for `jit_binding.policy_spec`. Known at plan time." }),
        attr("digest", Type::String, Mode::Computed, "SHA-256 of `spec`."),
    ]
}

impl SpecResource {
    pub fn role() -> Self {
        SpecResource { kind: Kind::Role }
    }
    pub fn policy() -> Self {
        SpecResource { kind: Kind::Policy }
    }

    fn noun(&self) -> &'static str {
        self.shape().name
    }

    /// The language's description of this kind of entry.
    fn shape(&self) -> &'static Shape {
        match self.kind {
            Kind::Role => &ROLE,
            Kind::Policy => &POLICY,
        }
    }

    /// Compile the configuration; `Ok((name, spec))` or diagnostics.
    fn compile_config(&self, config: &Value) -> Result<(String, String, Vec<Diag>), Vec<Diag>> {
        let skip = [Code::UnusedDefinition];
        if let Some(text) = config.get("document").as_str() {
            return self.compile_document(config, text);
        }
        let Some(name) = config.get("name").as_str() else {
            return Err(vec![Diag::error(
                format!("a {} needs a name", self.noun()),
                "set `name`, or give the whole entry in `document`",
            )
            .at(path(&["name"]))]);
        };
        let mut doc = DocBuilder::default();
        doc.raw("{\"version\":\"jit/v1\",");
        doc.key(if self.kind == Kind::Role { "roles" } else { "policies" }, Vec::new());
        doc.raw("{");
        doc.key(name, path(&["name"]));
        doc.raw("{");
        shape::write(&mut doc, self.shape(), config, &[], &[]);
        doc.raw("}}}");
        let c = compile(&doc.text, Target::ALL, &Options::default());
        let diags = diagnostics(&c, &doc, &skip);
        if has_errors(&diags) {
            return Err(diags);
        }
        let spec = match self.kind {
            Kind::Role => c.model.roles.values().next().map(|r| spec::role_spec(r)),
            Kind::Policy => c.model.policies.values().next().map(|p| spec::policy_spec(p)),
        };
        match spec {
            Some(s) => Ok((name.to_string(), s, diags)),
            None => Err(vec![Diag::error("internal error", format!("the {} did not compile", self.noun()))]),
        }
    }

    fn compile_document(&self, config: &Value, text: &str) -> Result<(String, String, Vec<Diag>), Vec<Diag>> {
        let at = path(&["document"]);
        if let Some(k) = shape::first_set(self.shape(), config, &[]) {
            return Err(vec![Diag::error(
                "`document` and arguments are exclusive",
                format!("`{k}` is set as well as `document`; give the entry in one place"),
            )
            .at(path(&[k]))]);
        }
        let syntax = jit_policy::source::Syntax::sniff(text);
        let mut sources = jit_policy::source::SourceMap::new();
        sources.add(jit_policy::source::SourceFile::new("document", syntax, text));
        let c = jit_policy::compile(sources, Target::ALL, &Options::default());
        let diags = text_diagnostics(&c, &at, &[Code::UnusedDefinition]);
        if has_errors(&diags) {
            return Err(diags);
        }
        let m = &c.model;
        let count = m.roles.len() + m.policies.len() + m.bindings.len();
        let (name, spec) = match self.kind {
            Kind::Role => (m.roles.keys().next().cloned(), m.roles.values().next().map(|r| spec::role_spec(r))),
            Kind::Policy => {
                (m.policies.keys().next().cloned(), m.policies.values().next().map(|p| spec::policy_spec(p)))
            }
        };
        let (Some(name), Some(spec), 1) = (name, spec, count) else {
            return Err(vec![Diag::error(
                format!("`document` must hold exactly one {}", self.noun()),
                format!(
                    "found {} role(s), {} policy(ies) and {} binding(s)",
                    m.roles.len(),
                    m.policies.len(),
                    m.bindings.len()
                ),
            )
            .at(at)]);
        };
        if let Some(n) = config.get("name").as_str() {
            if n != name {
                return Err(vec![Diag::error(
                    "`name` differs from the document",
                    format!("`name` is `{n}` but the document defines `{name}`; drop `name` or make them equal"),
                )
                .at(path(&["name"]))]);
            }
        }
        Ok((name, spec, diags))
    }

    fn planned(&self, config: &Value, proposed: &Value) -> (Value, Vec<Diag>) {
        let mut planned = proposed.clone();
        if !config.is_wholly_known() {
            for k in ["id", "spec", "digest"] {
                planned.set(k, Value::Unknown);
            }
            if config.get("name").is_null() {
                planned.set("name", Value::Unknown);
            }
            return (planned, Vec::new());
        }
        match self.compile_config(config) {
            Ok((name, spec, diags)) => {
                planned.set("digest", Value::str(digest(&spec)));
                planned.set("spec", Value::str(spec));
                planned.set("id", Value::str(name.clone()));
                planned.set("name", Value::str(name));
                (planned, diags)
            }
            Err(diags) => (planned, diags),
        }
    }
}

#[tonic::async_trait]
impl Resource for SpecResource {
    fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Role => "jit_role",
            Kind::Policy => "jit_policy",
        }
    }

    fn schema(&self) -> Schema {
        // The entry's own fields come from the language's shape table.
        let entry = shape::block(self.shape(), &[]);
        let mut attributes = common(self.noun());
        attributes.extend(entry.attributes);
        Schema { version: 0, block: Block { description: entry.description, attributes, blocks: entry.blocks } }
    }

    fn validate(&self, config: &Value) -> Vec<Diag> {
        if !config.is_wholly_known() {
            return Vec::new();
        }
        match self.compile_config(config) {
            Ok((_, _, diags)) | Err(diags) => diags,
        }
    }

    async fn plan(&self, _ctx: &Ctx, req: PlanReq) -> PlanResp {
        let (planned, diags) = self.planned(&req.config, &req.proposed);
        let requires_replace = replace_on_name(&req.prior, &planned);
        PlanResp { planned, requires_replace, planned_private: Vec::new(), diags }
    }

    async fn apply(&self, _ctx: &Ctx, req: ApplyReq) -> ApplyResp {
        // The plan already holds every value when the config was known;
        // otherwise compute them now that it is.
        let (new_state, diags) = if req.planned.is_wholly_known() {
            (req.planned, Vec::new())
        } else {
            self.planned(&req.config, &req.planned)
        };
        ApplyResp { new_state, private: Vec::new(), diags }
    }

    async fn read(&self, _ctx: &Ctx, state: Value, private: Vec<u8>) -> ReadResp {
        // Compile-only: the state is the object.
        ReadResp { state, private, diags: Vec::new() }
    }

    fn import(&self, _ctx: &Ctx, id: &str) -> Result<Value, Diag> {
        import_by_name(id)
    }
}

/// The state of an imported object: its name; the next plan fills in the
/// rest from the configuration as an in-place update.
pub fn import_by_name(id: &str) -> Result<Value, Diag> {
    if !jit_policy::resolve::values::name_ok(id) {
        return Err(Diag::error(
            "invalid import id",
            format!("`{id}` is not a jit name: import by the entry's name (lowercase letters, digits, `-` and `_`)"),
        ));
    }
    let mut m = std::collections::BTreeMap::new();
    m.insert("id".to_string(), Value::str(id));
    m.insert("name".to_string(), Value::str(id));
    Ok(Value::Map(m))
}
