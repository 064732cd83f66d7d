//! The provider as a whole: its schema, metadata, import of every resource,
//! undecodable values, provider configuration and unused RPCs, StopProvider,
//! large messages and concurrent requests.

use super::support::*;

/// The checks of Terraform's `configschema.Block.InternalValidate` plus the
/// protocol's: exactly one of type / nested_type, type JSON a cty type,
/// Required excludes Optional and Computed.
fn check_block(b: &pb::schema::Block, at: &str) {
    let valid_name =
        |n: &str| !n.is_empty() && n.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
    let mut names = BTreeSet::new();
    for a in &b.attributes {
        let here = format!("{at}.{}", a.name);
        assert!(valid_name(&a.name), "{here}: invalid name");
        assert!(names.insert(a.name.clone()), "{here}: duplicate");
        assert!(a.nested_type.is_none() != a.r#type.is_empty(), "{here}: exactly one of type / nested_type");
        let j: serde_json::Value =
            serde_json::from_slice(&a.r#type).unwrap_or_else(|e| panic!("{here}: type is not JSON: {e}"));
        Ty::parse(&j).unwrap_or_else(|e| panic!("{here}: type is not a cty type: {e}"));
        assert!(
            !serde_json::to_string(&j).unwrap().contains(' ')
                && std::str::from_utf8(&a.r#type).unwrap().trim() == std::str::from_utf8(&a.r#type).unwrap(),
            "{here}: compact type JSON"
        );
        assert!(a.required || a.optional || a.computed, "{here}: one of required / optional / computed");
        if a.required {
            assert!(!a.optional && !a.computed, "{here}: required excludes optional and computed");
        }
        assert!(!a.description.is_empty(), "{here}: documented");
    }
    for nb in &b.block_types {
        let here = format!("{at}.{}", nb.type_name);
        assert!(valid_name(&nb.type_name), "{here}: invalid name");
        assert!(names.insert(nb.type_name.clone()), "{here}: duplicate of an attribute or block");
        use pb::schema::nested_block::NestingMode as N;
        match nb.nesting() {
            N::Single | N::Group => {
                assert_eq!(nb.min_items, nb.max_items, "{here}: MinItems and MaxItems must match in NestingSingle");
                assert!((0..=1).contains(&nb.min_items), "{here}: MinItems 0 or 1 in NestingSingle");
            }
            N::List | N::Set => {
                assert!(nb.min_items >= 0 && nb.max_items >= 0, "{here}: counts");
                assert!(nb.max_items == 0 || nb.min_items <= nb.max_items, "{here}: MinItems <= MaxItems");
            }
            N::Map => assert!(nb.min_items == 0 && nb.max_items == 0, "{here}: no counts in NestingMap"),
            N::Invalid => panic!("{here}: INVALID nesting"),
        }
        check_block(nb.block.as_ref().unwrap_or_else(|| panic!("{here}: no block")), &here);
    }
}

#[tokio::test]
async fn provider_schema_is_well_formed() {
    let p = start(NB).await;
    let r = &p.schema_resp;
    assert_no_errors(&r.diagnostics);
    assert!(r.diagnostics.is_empty());
    let resources: Vec<&str> = p.schemas.keys().map(String::as_str).collect();
    assert_eq!(resources, vec!["jit_binding", "jit_policy", "jit_role"]);
    let data: Vec<&str> = p.data_schemas.keys().map(String::as_str).collect();
    assert_eq!(data, vec!["jit_document"]);
    let caps = r.server_capabilities.as_ref().expect("server capabilities");
    assert!(caps.plan_destroy, "plan_destroy: planned state of a destroy is null");
    assert!(r.provider.as_ref().and_then(|s| s.block.as_ref()).is_some(), "a provider schema, even empty");
    for (name, s) in r.resource_schemas.iter().chain(&r.data_source_schemas) {
        check_block(s.block.as_ref().unwrap_or_else(|| panic!("{name}: no block")), name);
    }
    check_block(r.provider.as_ref().and_then(|s| s.block.as_ref()).unwrap(), "provider");
    // A few facts the rest of the tests rely on.
    let b = p.block("jit_binding");
    let attr = |n: &str| b.attributes.iter().find(|a| a.name == n).unwrap_or_else(|| panic!("no `{n}`"));
    assert!(attr("name").required && attr("role_spec").required && attr("expires_at").required);
    assert!(attr("status").computed && !attr("status").optional);
    assert_eq!(attr("enforcement").r#type, br#"["map","string"]"#);
    assert_eq!(attr("aws_max_session_duration").r#type, br#""number""#);
    let subject = b.block_types.iter().find(|x| x.type_name == "subject").expect("subject block");
    assert_eq!(subject.nesting(), pb::schema::nested_block::NestingMode::Single);
    let role = p.block("jit_role");
    let rattr = |n: &str| role.attributes.iter().find(|a| a.name == n).unwrap_or_else(|| panic!("no `{n}`"));
    assert!(rattr("name").optional && rattr("name").computed, "jit_role.name is optional+computed (document)");
    assert!(rattr("spec").computed && !rattr("spec").optional);
    let doc = p.data_schemas["jit_document"].block.as_ref().unwrap();
    let bindings = doc.attributes.iter().find(|a| a.name == "bindings").unwrap();
    let j: serde_json::Value = serde_json::from_slice(&bindings.r#type).unwrap();
    assert!(matches!(Ty::parse(&j).unwrap(), Ty::Map(t) if matches!(*t, Ty::Object(_))));
}

#[tokio::test]
async fn resource_identity_schemas_are_empty() {
    let mut p = start(NB).await;
    let r = p
        .client
        .get_resource_identity_schemas(pb::get_resource_identity_schemas::Request {})
        .await
        .expect("answered (Terraform >= 1.12 calls it after every GetProviderSchema)")
        .into_inner();
    assert!(r.identity_schemas.is_empty());
    assert!(r.diagnostics.is_empty());
}

#[tokio::test]
async fn metadata_lists_the_types() {
    let mut p = start(NB).await;
    let r = p.client.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    let names: Vec<&str> = r.resources.iter().map(|x| x.type_name.as_str()).collect();
    assert_eq!(names, vec!["jit_binding", "jit_policy", "jit_role"]);
    assert!(r.server_capabilities.is_some_and(|c| c.plan_destroy));
}

#[tokio::test]
async fn undecodable_values_are_diagnostics() {
    let mut p = start(NB).await;
    let req = pb::plan_resource_change::Request {
        type_name: "jit_role".into(),
        prior_state: None,
        proposed_new_state: Some(pb::DynamicValue { msgpack: vec![0x81, 0xa1, b'x'], json: vec![] }),
        config: Some(pb::DynamicValue { msgpack: vec![0xc1], json: vec![] }),
        ..Default::default()
    };
    let r = p.client.plan_resource_change(req).await.expect("answered, not a transport error").into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1, "{:#?}", r.diagnostics);
    // An unknown resource type is a gRPC error, not a crash.
    let req =
        pb::validate_resource_config::Request { type_name: "jit_nope".into(), config: None, client_capabilities: None };
    assert_eq!(p.client.validate_resource_config(req).await.unwrap_err().code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn import_by_name() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    for rt in ["jit_role", "jit_policy", "jit_binding"] {
        let req =
            pb::import_resource_state::Request { type_name: rt.into(), id: "ops-reader".into(), ..Default::default() };
        let r = p.client.import_resource_state(req).await.unwrap().into_inner();
        assert_no_errors(&r.diagnostics);
        assert_eq!(r.imported_resources.len(), 1);
        let imp = &r.imported_resources[0];
        assert_eq!(imp.type_name, rt);
        let state = undv(imp.state.clone());
        assert_shape(&state, &p.ty(rt), rt);
        assert_eq!(state.get("id"), &M::s("ops-reader"));
        assert_eq!(state.get("name"), &M::s("ops-reader"));

        let bad =
            pb::import_resource_state::Request { type_name: rt.into(), id: "Ops Reader!".into(), ..Default::default() };
        let r = p.client.import_resource_state(bad).await.unwrap().into_inner();
        assert_eq!(errors(&r.diagnostics).len(), 1, "an invalid name is an error");
        assert!(r.imported_resources.is_empty());
    }
    // Terraform reads after import, then plans the configuration: an update
    // in place, not a replacement.
    let req = pb::import_resource_state::Request {
        type_name: "jit_role".into(),
        id: "ops-reader".into(),
        ..Default::default()
    };
    let r = p.client.import_resource_state(req).await.unwrap().into_inner();
    let imported = undv(r.imported_resources[0].state.clone());
    let (state, private, _) = p.read("jit_role", &imported, &[]).await;
    let (plan, new, _) = p.plan_and_apply("jit_role", &state, &role_config(&p, "ops-reader", None), &private).await;
    assert!(plan.requires_replace.is_empty(), "{:?}", plan.requires_replace);
    assert!(new.get("spec").str().contains("ops-reader"));

    // The same for a binding: the read anchors its status.
    let s = specs(&mut p).await;
    let req = pb::import_resource_state::Request {
        type_name: "jit_binding".into(),
        id: "pat-reports".into(),
        ..Default::default()
    };
    let r = p.client.import_resource_state(req).await.unwrap().into_inner();
    let imported = undv(r.imported_resources[0].state.clone());
    let (state, private, _) = p.read("jit_binding", &imported, &r.imported_resources[0].private).await;
    let config = binding_config(&p, &s, "pat-reports", NB, EXP);
    let (plan, new, _) = p.plan_and_apply("jit_binding", &state, &config, &private).await;
    assert!(plan.requires_replace.is_empty(), "{:?}", plan.requires_replace);
    assert_eq!(plan.planned.get("status"), &M::s("active"), "known at plan time: the read anchored it");
    assert_eq!(new.get("status"), &M::s("active"));
}

#[tokio::test]
async fn stop_provider_is_not_exit() {
    let mut p = start(NB).await;
    let r = p.client.stop_provider(pb::stop_provider::Request {}).await.unwrap().into_inner();
    assert!(r.error.is_empty());
    // Later requests are served and succeed.
    let (_, state, _) = p.plan_and_apply("jit_role", &M::Nil, &role_config(&p, "after-stop", None), &[]).await;
    assert_eq!(state.get("id"), &M::s("after-stop"));
}

#[tokio::test]
async fn provider_config_and_unused_rpcs() {
    let mut p = start(NB).await;
    // The provider block is empty: Terraform sends an empty object.
    let empty = Some(pb::DynamicValue { msgpack: vec![0x80], json: vec![] });
    let req = pb::validate_provider_config::Request { config: empty.clone() };
    assert!(p.client.validate_provider_config(req).await.unwrap().into_inner().diagnostics.is_empty());
    let req =
        pb::configure_provider::Request { terraform_version: "1.14.0".into(), config: empty, ..Default::default() };
    assert!(p.client.configure_provider(req).await.unwrap().into_inner().diagnostics.is_empty());
    // RPCs for features this provider does not have answer Unimplemented
    // (Terraform treats that as "none"), promptly and without harm.
    let code = p.client.get_functions(pb::get_functions::Request {}).await.map(|_| ()).unwrap_err().code();
    assert_eq!(code, tonic::Code::Unimplemented);
    let code = p
        .client
        .upgrade_resource_identity(pb::upgrade_resource_identity::Request::default())
        .await
        .map(|_| ())
        .unwrap_err()
        .code();
    assert_eq!(code, tonic::Code::Unimplemented);
    let code =
        p.client.move_resource_state(pb::move_resource_state::Request::default()).await.map(|_| ()).unwrap_err().code();
    assert_eq!(code, tonic::Code::Unimplemented);
    // And the service still works afterwards.
    let r = p.client.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert_eq!(r.resource_schemas.len(), 3);
}

#[tokio::test]
async fn messages_larger_than_4_mib_pass() {
    // Go providers accept 256 MiB; tonic's default is 4 MiB each way.
    let mut p = start(NB).await;
    let big = "x".repeat(5 << 20);
    let config = role_config(&p, "big", None).with("description", M::s(&big));
    let plan = p.plan("jit_role", &M::Nil, &config, &[]).await;
    assert_eq!(plan.planned.get("description").str().len(), big.len(), "a 5 MiB value goes there and back");
}

#[tokio::test]
async fn concurrent_requests_are_served() {
    // Terraform plans up to 10 resources at once over one connection.
    let p = start("2030-01-02T00:00:00Z").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let mut client = p.client.clone();
        let config = role_config(&p, &format!("role-{i}"), None);
        let block = p.block("jit_role").clone();
        tasks.push(tokio::spawn(async move {
            let req = pb::plan_resource_change::Request {
                type_name: "jit_role".into(),
                prior_state: dv(&M::Nil),
                proposed_new_state: dv(&proposed_new(&block, &M::Nil, &config)),
                config: dv(&config),
                ..Default::default()
            };
            let r = client.plan_resource_change(req).await.unwrap().into_inner();
            assert_no_errors(&r.diagnostics);
            undv(r.planned_state).get("id").str().to_string()
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let id = tokio::time::timeout(BOUND, t).await.unwrap().unwrap();
        assert_eq!(id, format!("role-{i}"));
    }
}

#[tokio::test]
async fn jit_binding_has_every_registered_target_output() {
    let p = start(NB).await;
    let b = p.block("jit_binding");
    for name in outputs() {
        let a = b.attributes.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("jit_binding lacks `{name}`"));
        assert!(a.computed && !a.optional && !a.required, "`{name}` must be computed only");
    }
    assert!(outputs().len() >= 2 + jit_policy::target::Target::ALL.len(), "every target has an output");
}
