//! `jit_role` over the protocol: the lifecycle (create, update, no-op,
//! replace, destroy), a role from a `document`, read.

use super::support::*;

#[tokio::test]
async fn role_create_update_noop_replace_destroy() {
    let mut p = start(NB).await;
    let rt = "jit_role";
    // Create.
    let config = role_config(&p, "reports-reader", Some("read the reports"));
    let (plan, state, private) = p.plan_and_apply(rt, &M::Nil, &config, &[]).await;
    assert!(plan.requires_replace.is_empty());
    for k in ["id", "name", "spec", "digest"] {
        assert!(!plan.planned.get(k).is_unknown() && !plan.planned.get(k).is_null(), "`{k}` is known at plan time");
    }
    assert_eq!(plan.planned.get("id"), &M::s("reports-reader"));
    let spec: serde_json::Value = serde_json::from_str(plan.planned.get("spec").str()).unwrap();
    assert_eq!(spec["name"], "reports-reader");
    assert_eq!(spec["description"], "read the reports");
    assert!(plan.planned.get("digest").str().starts_with("sha256:"));
    assert_eq!(state, plan.planned, "nothing unknown: the state is the plan");

    // No-op: the same configuration plans the prior state exactly.
    let noop = p.plan(rt, &state, &config, &private).await;
    assert_no_errors(&noop.diags);
    assert_eq!(noop.planned, state);
    assert!(noop.requires_replace.is_empty());

    // Update in place.
    let changed = role_config(&p, "reports-reader", Some("read the quarterly reports"));
    let (upd, state2, private2) = p.plan_and_apply(rt, &state, &changed, &private).await;
    assert!(upd.requires_replace.is_empty(), "a description change is in place: {:?}", upd.requires_replace);
    assert_eq!(state.diff(&state2), ["description", "digest", "spec"].iter().map(|s| s.to_string()).collect());

    // Replace: a new name.
    let renamed = role_config(&p, "reports-viewer", Some("read the quarterly reports"));
    let rep = p.plan(rt, &state2, &renamed, &private2).await;
    assert_no_errors(&rep.diags);
    assert_eq!(rep.requires_replace, vec!["name"]);
    assert_eq!(rep.planned.get("id"), &M::s("reports-viewer"));

    // Destroy: proposed null plans null; apply returns null.
    let destroy = p.plan_raw(rt, &state2, &M::Nil, &M::Nil, &private2).await;
    assert_no_errors(&destroy.diags);
    assert!(destroy.planned.is_null(), "plan_destroy: planned state is null");
    let (gone, _, d) = p.apply(rt, &state2, &destroy, &M::Nil).await;
    assert_no_errors(&d);
    assert!(gone.is_null(), "a destroy returns a null new_state");
}

#[tokio::test]
async fn role_from_a_document() {
    let mut p = start(NB).await;
    let yaml = "version: jit/v1\nroles:\n  doc-role:\n    aws:\n      actions: [s3:GetObject]\n      resources: [\"arn:aws:s3:::docs/*\"]\n";
    let config = p.cfg("jit_role", &[("document", M::s(yaml))]);
    let (plan, state, _) = p.plan_and_apply("jit_role", &M::Nil, &config, &[]).await;
    assert_eq!(plan.planned.get("name"), &M::s("doc-role"), "optional+computed name taken from the document");
    assert_eq!(state.get("id"), &M::s("doc-role"));
    // Both a document and arguments: an error on the argument.
    let both = config.with("description", M::s("x"));
    assert_eq!(error_paths(&p.validate("jit_role", &both).await), vec!["description"]);
}

#[tokio::test]
async fn read_resource_returns_the_state() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    let (_, role, _) = p.plan_and_apply("jit_role", &M::Nil, &role_config(&p, "r1", None), &[]).await;
    let (read, private, d) = p.read("jit_role", &role, b"opaque").await;
    assert!(d.is_empty());
    assert_eq!(read, role);
    assert_eq!(private, b"opaque", "private state is carried through a read");

    // A null current state reads as null (the object is gone).
    let (read, _, d) = p.read("jit_role", &M::Nil, &[]).await;
    assert!(d.is_empty() && read.is_null());
}

/// Mesh access: repeated `http` blocks land in the spec in order, and a
/// bad method, path or service is an error on that list item.
#[tokio::test]
async fn role_with_http_blocks() {
    let mut p = start(NB).await;
    let t = p.ty("jit_role");
    let http = |service: &str, methods: &[&str], paths: &[&str]| {
        obj(
            &t.attrs()["http"].clone().list_elem(),
            &[("service", M::s(service)), ("methods", M::strs(methods)), ("paths", M::strs(paths))],
        )
    };
    let good = p.cfg(
        "jit_role",
        &[
            ("name", M::s("read-reports")),
            (
                "http",
                M::Arr(vec![
                    http("reports-api", &["GET", "HEAD"], &["/v1/reports", "/v1/reports/*"]),
                    http("payments-api", &["POST"], &["/v1/settlements"]),
                ]),
            ),
        ],
    );
    assert_no_errors(&p.validate("jit_role", &good).await);
    let spec: serde_json::Value = serde_json::from_str(&spec_of(&mut p, "jit_role", &good).await).unwrap();
    assert_eq!(spec["http"][0]["paths"], serde_json::json!(["/v1/reports", "/v1/reports/*"]));
    assert_eq!(spec["http"][1]["service"], "payments-api");

    let cases = [
        (http("reports-api", &["GET", "post"], &["/v1/reports"]), "http[1].methods[1]"),
        (http("reports-api", &["GET"], &["/v1/re*ports"]), "http[1].paths[0]"),
        (http("Reports.API", &["GET"], &["/v1/reports"]), "http[1].service"),
    ];
    for (bad, at) in cases {
        let config = good.with("http", M::Arr(vec![http("reports-api", &["GET"], &["/v1/reports"]), bad]));
        let d = p.validate("jit_role", &config).await;
        assert_eq!(error_paths(&d), vec![at], "{d:#?}");
    }
}
