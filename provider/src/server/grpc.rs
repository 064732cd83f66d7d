//! `tfplugin6.Provider` and `plugin.GRPCController`: decode requests into
//! native values, call the resource, encode the answer. One function per
//! RPC, as thin as possible.

use crate::convert::proto::{attribute_path, decode, diagnostics, encode, schema};
use crate::convert::value::{self, Type, Value};
use crate::data_sources::{self, DataSource};
use crate::diag::{has_errors, Diag};
use crate::ephemeral::jit_credential;
use crate::log;
use crate::proto::plugin as plugin_pb;
use crate::proto::tfplugin6 as pb;
use crate::resources::{self, ApplyReq, Ctx, PlanReq, Resource};
use crate::schema::Schema;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The provider's gRPC service.
pub struct ProviderService {
    /// Set by ConfigureProvider in broker mode.
    broker: SharedBroker,
    resources: BTreeMap<&'static str, (Arc<dyn Resource>, Schema, Type)>,
    data_sources: BTreeMap<&'static str, (Arc<dyn DataSource>, Schema, Type)>,
    ctx: Ctx,
}

impl std::fmt::Debug for ProviderService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderService").field("resources", &self.resources.keys()).finish()
    }
}

/// The broker, once configured; shared with the controller so it can report
/// how many requests were sent.
pub type SharedBroker = Arc<std::sync::RwLock<Option<Arc<dyn crate::broker::Broker>>>>;

impl ProviderService {
    pub fn broker_handle(&self) -> SharedBroker {
        self.broker.clone()
    }

    pub fn new(ctx: Ctx) -> Self {
        let resources = resources::all()
            .into_iter()
            .map(|r| {
                let s = r.schema();
                let t = s.block.value_type();
                (r.type_name(), (r, s, t))
            })
            .collect();
        let data_sources = data_sources::all()
            .into_iter()
            .map(|d| {
                let s = d.schema();
                let t = s.block.value_type();
                (d.type_name(), (d, s, t))
            })
            .collect();
        ProviderService { broker: SharedBroker::default(), resources, data_sources, ctx }
    }

    fn resource(&self, name: &str) -> Result<&(Arc<dyn Resource>, Schema, Type), Status> {
        self.resources.get(name).ok_or_else(|| Status::not_found(format!("unknown resource type `{name}`")))
    }

    fn data_source(&self, name: &str) -> Result<&(Arc<dyn DataSource>, Schema, Type), Status> {
        self.data_sources.get(name).ok_or_else(|| Status::not_found(format!("unknown data source `{name}`")))
    }

    /// A fresh context per request: a stop cancels the requests in flight,
    /// and later requests start clear (StopProvider is not "exit").
    fn ctx(&self) -> Ctx {
        let mut c = self.ctx.begin();
        if let Ok(b) = self.broker.read() {
            if let Some(b) = b.as_ref() {
                c.broker = Some(b.clone());
            }
        }
        c
    }
}

fn ephemeral_type(name: &str) -> Result<(), Status> {
    if name == jit_credential::TYPE_NAME {
        Ok(())
    } else {
        Err(Status::not_found(format!("unknown ephemeral resource type `{name}`")))
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: false,
    }
}

fn decode_or<T>(r: Result<Value, Diag>, fail: impl FnOnce(Vec<pb::Diagnostic>) -> T) -> Result<Value, T> {
    r.map_err(|d| fail(diagnostics(&[d])))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata { type_name: k.to_string() })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata { type_name: k.to_string() })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(schema(&crate::config::schema())),
            resource_schemas: self.resources.iter().map(|(k, (_, s, _))| (k.to_string(), schema(s))).collect(),
            data_source_schemas: self.data_sources.iter().map(|(k, (_, s, _))| (k.to_string(), schema(s))).collect(),
            ephemeral_resource_schemas: [(jit_credential::TYPE_NAME.to_string(), schema(&jit_credential::schema()))]
                .into_iter()
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        // No resource identities: import is by name.
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: HashMap::new(),
            diagnostics: vec![],
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let t = crate::config::schema().block.value_type();
        let diags = match decode(req.get_ref().config.as_ref(), &t) {
            Ok(v) if v.is_wholly_known() => crate::config::broker_config(&v).err().into_iter().collect(),
            Ok(_) => Vec::new(),
            Err(d) => vec![d],
        };
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let t = crate::config::schema().block.value_type();
        let fail = |d: Diag| Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(&[d]) }));
        let config = match decode(req.config.as_ref(), &t) {
            Ok(v) => v,
            Err(d) => return fail(d),
        };
        let broker_config = match crate::config::broker_config(&config) {
            Ok(c) => c,
            Err(d) => return fail(d),
        };
        let mode = match broker_config {
            None => "compile-only".to_string(),
            Some(c) => {
                let address = c.address.clone();
                match crate::broker::openbao::OpenBao::new(c) {
                    Ok(client) => {
                        if let Ok(mut b) = self.broker.write() {
                            *b = Some(Arc::new(client));
                        }
                        format!("broker: {address}")
                    }
                    Err(e) => {
                        return fail(
                            Diag::error("cannot configure the OpenBao client", e).at(crate::diag::path(&["openbao"])),
                        )
                    }
                }
            }
        };
        log::info("configured", &[("terraform_version", &req.terraform_version), ("mode", &mode)]);
        Ok(Response::new(pb::configure_provider::Response { diagnostics: vec![] }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (r, _, t) = self.resource(&req.type_name)?;
        let config = match decode_or(decode(req.config.as_ref(), t), |d| d) {
            Ok(v) => v,
            Err(d) => return Ok(Response::new(pb::validate_resource_config::Response { diagnostics: d })),
        };
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics: diagnostics(&r.validate(&config)) }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (d, _, t) = self.data_source(&req.type_name)?;
        let config = match decode_or(decode(req.config.as_ref(), t), |d| d) {
            Ok(v) => v,
            Err(d) => return Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: d })),
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics(&d.validate(&config)),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (_, s, t) = self.resource(&req.type_name)?;
        let fail = |d: Diag| {
            Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diagnostics(&[d]),
            }))
        };
        if req.version > s.version {
            return fail(Diag::error(
                "state from a newer provider",
                format!("the state of this {} has schema version {}, but this provider knows version {}; upgrade the provider", req.type_name, req.version, s.version),
            ));
        }
        let raw = req.raw_state.unwrap_or_default();
        if raw.json.is_empty() && !raw.flatmap.is_empty() {
            return fail(Diag::error(
                "legacy flatmap state",
                "this provider never wrote flatmap state; the state file was not written by it",
            ));
        }
        match value::from_json(&raw.json, t) {
            Ok(v) => Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state: Some(encode(&v, t)),
                diagnostics: vec![],
            })),
            Err(e) => fail(Diag::error("cannot read stored state", e.to_string())),
        }
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let (r, _, t) = self.resource(&req.type_name)?;
        let state = match decode_or(decode(req.current_state.as_ref(), t), |d| d) {
            Ok(v) => v,
            Err(d) => return Ok(Response::new(pb::read_resource::Response { diagnostics: d, ..Default::default() })),
        };
        if state.is_null() {
            return Ok(Response::new(pb::read_resource::Response {
                new_state: Some(encode(&Value::Null, t)),
                ..Default::default()
            }));
        }
        let out = r.read(&self.ctx(), state, req.private).await;
        Ok(Response::new(pb::read_resource::Response {
            new_state: Some(encode(&out.state, t)),
            diagnostics: diagnostics(&out.diags),
            private: out.private,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, _, t) = self.resource(&req.type_name)?;
        let decoded = (|| {
            Ok::<_, Diag>((
                decode(req.prior_state.as_ref(), t)?,
                decode(req.proposed_new_state.as_ref(), t)?,
                decode(req.config.as_ref(), t)?,
            ))
        })();
        let (prior, proposed, config) = match decoded {
            Ok(v) => v,
            Err(d) => {
                return Ok(Response::new(pb::plan_resource_change::Response {
                    diagnostics: diagnostics(&[d]),
                    ..Default::default()
                }))
            }
        };
        if proposed.is_null() {
            // Destroy: nothing to compute.
            return Ok(Response::new(pb::plan_resource_change::Response {
                planned_state: Some(encode(&Value::Null, t)),
                ..Default::default()
            }));
        }
        let out = r
            .plan(&self.ctx(), PlanReq { prior, proposed: proposed.clone(), config, prior_private: req.prior_private })
            .await;
        let planned = if has_errors(&out.diags) { proposed } else { out.planned };
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state: Some(encode(&planned, t)),
            requires_replace: out.requires_replace.iter().map(|p| attribute_path(p)).collect(),
            planned_private: out.planned_private,
            diagnostics: diagnostics(&out.diags),
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let (r, _, t) = self.resource(&req.type_name)?;
        let decoded = (|| {
            Ok::<_, Diag>((
                decode(req.prior_state.as_ref(), t)?,
                decode(req.planned_state.as_ref(), t)?,
                decode(req.config.as_ref(), t)?,
            ))
        })();
        let (prior, planned, config) = match decoded {
            Ok(v) => v,
            Err(d) => {
                return Ok(Response::new(pb::apply_resource_change::Response {
                    diagnostics: diagnostics(&[d]),
                    ..Default::default()
                }))
            }
        };
        let ctx = self.ctx();
        if planned.is_null() {
            // Destroy: remove what the resource owns outside Terraform. On
            // failure the object stays in state, so nothing is lost.
            let diags = r.destroy(&ctx, &prior).await;
            let new_state = if has_errors(&diags) { prior } else { Value::Null };
            return Ok(Response::new(pb::apply_resource_change::Response {
                new_state: Some(encode(&new_state, t)),
                diagnostics: diagnostics(&diags),
                ..Default::default()
            }));
        }
        if ctx.stopped() {
            let d = Diag::error("stopped", "Terraform asked the provider to stop; nothing was changed");
            return Ok(Response::new(pb::apply_resource_change::Response {
                new_state: Some(encode(&prior, t)),
                diagnostics: diagnostics(&[d]),
                ..Default::default()
            }));
        }
        let out = r.apply(&ctx, ApplyReq { prior, planned, config, planned_private: req.planned_private }).await;
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state: Some(encode(&out.new_state, t)),
            private: out.private,
            diagnostics: diagnostics(&out.diags),
            ..Default::default()
        }))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (r, _, t) = self.resource(&req.type_name)?;
        match r.import(&self.ctx(), &req.id) {
            Ok(state) => Ok(Response::new(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(encode(&value::conform(state, t), t)),
                    private: vec![],
                    identity: None,
                }],
                ..Default::default()
            })),
            Err(d) => Ok(Response::new(pb::import_resource_state::Response {
                diagnostics: diagnostics(&[d]),
                ..Default::default()
            })),
        }
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let (d, _, t) = self.data_source(&req.type_name)?;
        let config = match decode_or(decode(req.config.as_ref(), t), |d| d) {
            Ok(v) => v,
            Err(d) => {
                return Ok(Response::new(pb::read_data_source::Response { diagnostics: d, ..Default::default() }))
            }
        };
        let (state, diags) = d.read(&self.ctx(), config);
        Ok(Response::new(pb::read_data_source::Response {
            state: Some(encode(&state, t)),
            diagnostics: diagnostics(&diags),
            ..Default::default()
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Result<Response<pb::validate_ephemeral_resource_config::Response>, Status> {
        let req = req.into_inner();
        ephemeral_type(&req.type_name)?;
        let t = jit_credential::schema().block.value_type();
        let diags = match decode(req.config.as_ref(), &t) {
            Ok(v) => jit_credential::validate(&v),
            Err(d) => vec![d],
        };
        Ok(Response::new(pb::validate_ephemeral_resource_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Result<Response<pb::open_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        ephemeral_type(&req.type_name)?;
        let t = jit_credential::schema().block.value_type();
        let config = match decode(req.config.as_ref(), &t) {
            Ok(v) => v,
            Err(d) => {
                return Ok(Response::new(pb::open_ephemeral_resource::Response {
                    diagnostics: diagnostics(&[d]),
                    ..Default::default()
                }))
            }
        };
        let (result, private, diags) = jit_credential::open(&self.ctx(), config).await;
        Ok(Response::new(pb::open_ephemeral_resource::Response {
            diagnostics: diagnostics(&diags),
            renew_at: None,
            result: (!has_errors(&diags)).then(|| encode(&result, &t)),
            private: (!private.is_empty()).then_some(private),
            deferred: None,
        }))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Result<Response<pb::renew_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        ephemeral_type(&req.type_name)?;
        // Never asked for (no renew_at is set): keep what Terraform holds.
        Ok(Response::new(pb::renew_ephemeral_resource::Response {
            diagnostics: vec![],
            renew_at: None,
            private: req.private,
        }))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Result<Response<pb::close_ephemeral_resource::Response>, Status> {
        let req = req.into_inner();
        ephemeral_type(&req.type_name)?;
        let diags = jit_credential::close(&self.ctx(), req.private.as_deref().unwrap_or_default()).await;
        Ok(Response::new(pb::close_ephemeral_resource::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        log::info("stop requested: cancelling work in flight", &[]);
        self.ctx.stop_all();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}

/// `plugin.GRPCController`: Shutdown ends the process cleanly.
#[derive(Debug)]
pub struct Controller {
    pub shutdown: Arc<tokio::sync::Notify>,
    pub broker: SharedBroker,
}

#[tonic::async_trait]
impl plugin_pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin_pb::Empty>) -> Result<Response<plugin_pb::Empty>, Status> {
        let counts = self.broker.read().ok().and_then(|b| b.as_ref().map(|b| (b.requests(), b.failover_retries())));
        let (requests, failover) = counts.unwrap_or((0, 0));
        log::info(
            "shutdown requested",
            &[("openbao_requests", &requests.to_string()), ("openbao_failover_retries", &failover.to_string())],
        );
        self.shutdown.notify_one();
        Ok(Response::new(plugin_pb::Empty {}))
    }
}
