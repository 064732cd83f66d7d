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
