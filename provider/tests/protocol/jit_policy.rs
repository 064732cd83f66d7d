//! `jit_policy` over the protocol: diagnostics on list items, JSON
//! DynamicValues, numbers in every encoding.

use super::support::*;

#[tokio::test]
async fn policy_window_day_error_points_at_the_list_item() {
    let mut p = start(NB).await;
    let t = p.ty("jit_policy");
    let window = |days: &[&str]| {
        obj(
            &t.attrs()["window"].clone().list_elem(),
            &[("days", M::strs(days)), ("start", M::s("09:00")), ("end", M::s("17:00"))],
        )
    };
    let good = p.cfg("jit_policy", &[("name", M::s("office")), ("window", M::Arr(vec![window(&["mon", "tue"])]))]);
    assert_no_errors(&p.validate("jit_policy", &good).await);

    let bad = good.with("window", M::Arr(vec![window(&["monday"])]));
    let d = p.validate("jit_policy", &bad).await;
    assert_eq!(error_paths(&d), vec!["window[0].days[0]"], "{d:#?}");

    let bad2 = good.with("window", M::Arr(vec![window(&["mon"]), window(&["tue", "fry"])]));
    let d = p.validate("jit_policy", &bad2).await;
    assert_eq!(error_paths(&d), vec!["window[1].days[1]"], "{d:#?}");

    // The same error at plan time, and the plan echoes the proposed state.
    let plan = p.plan("jit_policy", &M::Nil, &bad, &[]).await;
    assert_eq!(error_paths(&plan.diags), vec!["window[0].days[0]"]);
}

#[tokio::test]
async fn config_as_json_dynamic_value_is_accepted() {
    let mut p = start(NB).await;
    let json = br#"{"name":"office","window":[{"days":["monday"],"start":"09:00","end":"17:00","timezone":null}],"id":null,"document":null,"description":null,"spec":null,"digest":null,"max_session":null,"max_grant":null,"require":null,"approval":null}"#;
    let req = pb::validate_resource_config::Request {
        type_name: "jit_policy".into(),
        config: Some(pb::DynamicValue { msgpack: vec![], json: json.to_vec() }),
        client_capabilities: None,
    };
    let d = p.client.validate_resource_config(req).await.unwrap().into_inner().diagnostics;
    assert_eq!(error_paths(&d), vec!["window[0].days[0]"], "{d:#?}");
}

#[tokio::test]
async fn numbers_as_int_float_and_string_are_one_number() {
    let mut p = start(NB).await;
    let t = p.ty("jit_policy");
    let approval =
        |n: M| obj(&t.attrs()["approval"], &[("approvers", M::strs(&["user:ana", "group:sre"])), ("min_approvals", n)]);
    let block = p.block("jit_policy").clone();
    let config = |n: M| block_obj(&block, &[("name", M::s("two-eyes")), ("approval", approval(n))]);
    let mut spec = None;
    for n in [M::Int(2), M::F64(2.0), M::s("2")] {
        let c = config(n.clone());
        assert_no_errors(&p.validate("jit_policy", &c).await);
        let req_proposed = proposed_new(p.block("jit_policy"), &M::Nil, &c);
        let plan = p.plan_raw("jit_policy", &M::Nil, &req_proposed, &c, &[]).await;
        assert_no_errors(&plan.diags);
        assert_eq!(plan.planned.get("approval").get("min_approvals"), &M::Int(2), "{n:?} plans as the number 2");
        let this = plan.planned.get("spec").str().to_string();
        let j: serde_json::Value = serde_json::from_str(&this).unwrap();
        assert_eq!(j["approval"]["min_approvals"], 2, "{this}");
        if let Some(s) = &spec {
            assert_eq!(s, &this, "{n:?} compiles like the int");
        }
        spec = Some(this);
    }
    // A fraction is a real value, not truncated.
    let d = p.validate("jit_policy", &config(M::F64(1.5))).await;
    assert_eq!(error_paths(&d), vec!["approval.min_approvals"], "{d:#?}");
}
