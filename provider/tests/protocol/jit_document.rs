//! `data "jit_document"` over the protocol: a document folder feeding a
//! binding.

use super::support::*;

#[tokio::test]
async fn document_data_source_feeds_a_binding() {
    let mut p = start("2027-01-05T00:00:00Z").await;
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policy-compiler/tests/corpus/no-windows.yaml");
    let t = Ty::of_block(p.data_schemas["jit_document"].block.as_ref().unwrap());
    let config = obj(&t, &[("path", M::s(corpus.to_str().unwrap()))]);
    let req = pb::validate_data_resource_config::Request { type_name: "jit_document".into(), config: dv(&config) };
    assert_no_errors(&p.client.validate_data_resource_config(req).await.unwrap().into_inner().diagnostics);
    let req =
        pb::read_data_source::Request { type_name: "jit_document".into(), config: dv(&config), ..Default::default() };
    let r = p.client.read_data_source(req).await.unwrap().into_inner();
    assert_no_errors(&r.diagnostics);
    let state = undv(r.state);
    assert!(state.wholly_known());
    assert_shape(&state, &t, "jit_document");
    let b = state.get("bindings").get("plain");
    assert_eq!(b.get("role"), &M::s("plain-access"));

    // Its binding entry, as `for_each` would pass it, plans and applies.
    let bt = p.ty("jit_binding");
    let subject = obj(
        &bt.attrs()["subject"],
        &["kind", "name", "aws", "gcp", "azure", "openbao"].map(|k| (k, b.get("subject").get(k).clone())),
    );
    let binding = p.cfg(
        "jit_binding",
        &[
            ("name", b.get("name").clone()),
            ("role_spec", b.get("role_spec").clone()),
            ("policy_spec", b.get("policy_spec").clone()),
            ("subject", subject),
            ("not_before", b.get("not_before").clone()),
            ("expires_at", b.get("expires_at").clone()),
            ("justification", b.get("justification").clone()),
            ("ticket", b.get("ticket").clone()),
        ],
    );
    let (_, state, _) = p.plan_and_apply("jit_binding", &M::Nil, &binding, &[]).await;
    assert_eq!(state.get("status"), &M::s("active"));
    for k in ["aws_policy_json", "gcp_binding", "azure_schedule_request_json", "openbao_policy_hcl"] {
        assert!(!state.get(k).is_null(), "`{k}`: the role has every target");
    }

    // A path with nothing in it is an error on `path`.
    let empty = p._dir.path().to_str().unwrap().to_string();
    let req = pb::read_data_source::Request {
        type_name: "jit_document".into(),
        config: dv(&config.with("path", M::s(&empty))),
        ..Default::default()
    };
    let r = p.client.read_data_source(req).await.unwrap().into_inner();
    assert_eq!(error_paths(&r.diagnostics), vec!["path"]);
}

/// The mesh example: `bundle_files` holds the OPA bundle and the Istio
/// objects exactly as `jitc compile --out` writes them (the committed
/// `examples/mesh/generated/`), with the Istio names configurable; its
/// bindings feed `jit_binding`, whose `rego_data` is the binding's entry in
/// the bundle's `data.json`. A name that is not a Kubernetes name is an
/// error on its attribute.
#[tokio::test]
async fn document_data_source_exposes_the_mesh_bundle() {
    let mut p = start("2026-12-15T10:00:00Z").await;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/mesh");
    let t = Ty::of_block(p.data_schemas["jit_document"].block.as_ref().unwrap());
    let config = obj(&t, &[("path", M::s(root.join("policies").to_str().unwrap()))]);
    let req =
        pb::read_data_source::Request { type_name: "jit_document".into(), config: dv(&config), ..Default::default() };
    let r = p.client.read_data_source(req).await.unwrap().into_inner();
    assert_no_errors(&r.diagnostics);
    let state = undv(r.state);
    assert_shape(&state, &t, "jit_document");
    let M::Map(files) = state.get("bundle_files") else {
        panic!("bundle_files is a map: {:?}", state.get("bundle_files"))
    };
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "istio/payments-api.yaml",
            "istio/reports-api.yaml",
            "rego/.manifest",
            "rego/data.json",
            "rego/jit/authz/policy.rego"
        ]
    );
    for (name, text) in files {
        let committed = std::fs::read_to_string(root.join("generated").join(name)).unwrap();
        assert_eq!(text.str(), committed, "{name} differs from examples/mesh/generated");
    }

    // Configured Istio names reach the objects.
    let custom = config
        .with("istio_provider", M::s("opa.istio-system"))
        .with("istio_selector_label", M::s("app.kubernetes.io/name"));
    let req =
        pb::read_data_source::Request { type_name: "jit_document".into(), config: dv(&custom), ..Default::default() };
    let r = p.client.read_data_source(req).await.unwrap().into_inner();
    assert_no_errors(&r.diagnostics);
    let yaml = undv(r.state).get("bundle_files").get("istio/payments-api.yaml").str().to_string();
    assert!(
        yaml.contains("    name: opa.istio-system\n") && yaml.contains("      app.kubernetes.io/name: payments-api\n"),
        "{yaml}"
    );

    // A binding of the document: its `rego_data` is its entry in data.json.
    let b = state.get("bindings").get("reporting-bot-reports").clone();
    let bt = p.ty("jit_binding");
    let subject =
        obj(&bt.attrs()["subject"], &["kind", "name", "spiffe"].map(|k| (k, b.get("subject").get(k).clone())));
    let binding = p.cfg(
        "jit_binding",
        &[
            ("name", b.get("name").clone()),
            ("role_spec", b.get("role_spec").clone()),
            ("policy_spec", b.get("policy_spec").clone()),
            ("subject", subject),
            ("not_before", b.get("not_before").clone()),
            ("expires_at", b.get("expires_at").clone()),
        ],
    );
    let (_, applied, _) = p.plan_and_apply("jit_binding", &M::Nil, &binding, &[]).await;
    let entry: serde_json::Value = serde_json::from_str(applied.get("rego_data").str()).unwrap();
    let data: serde_json::Value = serde_json::from_str(files["rego/data.json"].str()).unwrap();
    assert_eq!(entry, data["jit"]["grants"]["bindings"]["reporting-bot-reports"]);
    assert!(applied.get("aws_policy_json").is_null(), "no aws block, no aws output");

    // Not a Kubernetes name: an error on the attribute.
    let req = pb::validate_data_resource_config::Request {
        type_name: "jit_document".into(),
        config: dv(&config.with("istio_provider", M::s("jit opa: x"))),
    };
    let d = p.client.validate_data_resource_config(req).await.unwrap().into_inner().diagnostics;
    assert_eq!(error_paths(&d), vec!["istio_provider"]);
}
