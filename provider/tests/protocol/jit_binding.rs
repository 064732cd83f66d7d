//! `jit_binding` over the protocol: validation paths, the lifecycle,
//! unknown inputs, state upgrades and `status` anchored at the last refresh.

use super::support::*;
use jit_policy::target::Target;

#[tokio::test]
async fn binding_validation_points_at_the_attribute() {
    let mut p = start(NB).await;
    let s = specs(&mut p).await;
    let good = binding_config(&p, &s, "pat-reports", NB, EXP);
    let d = p.validate("jit_binding", &good).await;
    assert_no_errors(&d);

    let bad_time = good.with("expires_at", M::s("next tuesday"));
    let d = p.validate("jit_binding", &bad_time).await;
    assert_eq!(error_paths(&d), vec!["expires_at"], "{d:#?}");

    let bad_role = good.with("role_spec", M::s("{\"not\": \"a role\"}"));
    let d = p.validate("jit_binding", &bad_role).await;
    assert_eq!(error_paths(&d), vec!["role_spec"], "{d:#?}");
    let not_json = good.with("policy_spec", M::s("jit_policy.short.spec"));
    let d = p.validate("jit_binding", &not_json).await;
    assert_eq!(error_paths(&d), vec!["policy_spec"], "{d:#?}");
    assert!(errors(&d)[0].summary.contains("policy_spec"), "the summary names it: {d:#?}");

    // A grant longer than the policy's max_grant (10d) is an error on a
    // time attribute.
    let too_long = good.with("expires_at", M::s("2030-02-01T00:00:00Z"));
    let d = p.validate("jit_binding", &too_long).await;
    assert_eq!(error_paths(&d), vec!["expires_at"], "{d:#?}");

    // Unknown (and refined unknown) inputs are validated at plan time.
    for unknown in [M::Unknown, M::Refined(vec![0x81, 0x01, 0xc3])] {
        let d = p.validate("jit_binding", &good.with("role_spec", unknown)).await;
        assert!(d.is_empty(), "nothing to say about an unknown role_spec: {d:#?}");
    }

    // A subject block attribute.
    let t = p.ty("jit_binding");
    let bad_subject = good.with(
        "subject",
        obj(
            &t.attrs()["subject"],
            &[("kind", M::s("robot")), ("name", M::s("pat")), ("aws", M::s("arn:aws:iam::123456789012:user/pat"))],
        ),
    );
    let d = p.validate("jit_binding", &bad_subject).await;
    assert_eq!(error_paths(&d), vec!["subject.kind"], "{d:#?}");
}

#[tokio::test]
async fn binding_create_update_replace_destroy() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    let rt = "jit_binding";
    let s = specs(&mut p).await;
    let config = binding_config(&p, &s, "pat-reports", NB, EXP);

    // Create: compiled outputs known at plan time, status after apply.
    let (plan, state, private) = p.plan_and_apply(rt, &M::Nil, &config, &[]).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.get("id"), &M::s("pat-reports"));
    // The role has an `aws` block only, without a role to assume: the
    // outputs of targets that read another role block, and of elevation,
    // are null, the others known.
    let absent: Vec<&str> = Target::ALL
        .iter()
        .filter(|t| t.role_block().is_some_and(|b| b != "aws") || **t == Target::AwsTrust)
        .flat_map(|t| t.flat_outputs().iter().map(|o| o.name))
        .collect();
    assert!(absent.contains(&"gcp_binding") && absent.contains(&"openbao_role"), "{absent:?}");
    for k in outputs().iter().filter(|k| !absent.contains(k)) {
        let v = plan.planned.get(k);
        // A policy that covers the whole grant has no horizon: null.
        let null = *k == "aws_valid_until";
        assert!(!v.is_unknown() && v.is_null() == null, "`{k}` is known at plan time: {v:?}");
    }
    for k in &absent {
        assert!(plan.planned.get(k).is_null(), "`{k}` is null: the role has no such target");
    }
    let aws: serde_json::Value = serde_json::from_str(plan.planned.get("aws_policy_json").str()).unwrap();
    assert!(aws.to_string().contains("s3:GetObject"), "{aws}");
    assert!(plan.planned.get("status").is_unknown(), "a new binding's status is known after apply");
    assert_eq!(state.get("status"), &M::s("active"));
    assert!(!private.is_empty());

    // No-op with the private state of the apply.
    let noop = p.plan(rt, &state, &config, &private).await;
    assert_no_errors(&noop.diags);
    assert_eq!(noop.planned, state, "no change: {:?}", noop.planned.diff(&state));

    // Update in place: a new ticket and a later expiry.
    let changed = config.with("ticket", M::s("OPS-7")).with("expires_at", M::s("2030-01-09T00:00:00Z"));
    let (upd, state2, private2) = p.plan_and_apply(rt, &state, &changed, &private).await;
    assert!(upd.requires_replace.is_empty(), "{:?}", upd.requires_replace);
    assert!(upd.planned.wholly_known(), "an update of a known config is known at plan time");
    let diff = state.diff(&state2);
    assert!(diff.contains("ticket") && diff.contains("expires_at") && diff.contains("digest"), "{diff:?}");
    assert!(!diff.contains("name") && !diff.contains("id"));

    // Replace on a new name.
    let renamed = changed.with("name", M::s("pat-reports-2"));
    let rep = p.plan(rt, &state2, &renamed, &private2).await;
    assert_no_errors(&rep.diags);
    assert_eq!(rep.requires_replace, vec!["name"]);

    // Destroy.
    let destroy = p.plan_raw(rt, &state2, &M::Nil, &M::Nil, &private2).await;
    assert!(destroy.planned.is_null());
    let (gone, _, d) = p.apply(rt, &state2, &destroy, &M::Nil).await;
    assert_no_errors(&d);
    assert!(gone.is_null());
}

#[tokio::test]
async fn unknown_config_plans_unknown_outputs() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    let rt = "jit_binding";
    let s = specs(&mut p).await;
    let known = binding_config(&p, &s, "pat-reports", NB, EXP);
    for unknown in [M::Unknown, M::Refined(vec![0x81, 0x01, 0xc3])] {
        let config = known.with("role_spec", unknown.clone());
        let plan = p.plan(rt, &M::Nil, &config, &[]).await;
        assert_no_errors(&plan.diags);
        for k in outputs().iter().chain(&["status"]) {
            assert!(plan.planned.get(k).is_unknown(), "`{k}` is unknown while role_spec is: {unknown:?}");
        }
        assert_eq!(plan.planned.get("id"), &M::s("pat-reports"), "id is the (known) name");
        assert!(plan.planned.get("role_spec").is_unknown());

        // During apply the value is known: the re-plan agrees with the plan
        // and apply fills in everything.
        let again = p.plan(rt, &M::Nil, &known, &[]).await;
        assert_compatible(&plan.planned, &again.planned, "re-plan");
        let (new, _, d) = p.apply(rt, &M::Nil, &again, &known).await;
        assert_no_errors(&d);
        assert_compatible(&plan.planned, &new, "apply against the first plan");

        // Apply with computed outputs still unknown in the planned state
        // (only the configured role_spec known by now): apply computes them.
        let partly = Plan { planned: plan.planned.with("role_spec", M::s(&s.role)), ..plan.clone() };
        let (new2, _, d) = p.apply(rt, &M::Nil, &partly, &known).await;
        assert_eq!(errors(&d).len(), 0, "{d:#?}");
        assert_eq!(new2, new);
    }

    // jit_role: an unknown description makes spec, digest and id unknown,
    // the configured name stays known.
    let role = role_config(&p, "reports-reader", Some("x")).with("description", M::Unknown);
    let plan = p.plan("jit_role", &M::Nil, &role, &[]).await;
    assert_no_errors(&plan.diags);
    for k in ["spec", "digest", "id"] {
        assert!(plan.planned.get(k).is_unknown(), "`{k}`");
    }
    assert_eq!(plan.planned.get("name"), &M::s("reports-reader"));
    // An unknown name on an existing role may replace it.
    let (_, state, _) = p.plan_and_apply("jit_role", &M::Nil, &role_config(&p, "reports-reader", None), &[]).await;
    let plan = p.plan("jit_role", &state, &role_config(&p, "reports-reader", None).with("name", M::Unknown), &[]).await;
    assert_eq!(plan.requires_replace, vec!["name"]);
}

#[tokio::test]
async fn upgrade_resource_state_reads_json() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    let s = specs(&mut p).await;
    let config = binding_config(&p, &s, "pat-reports", NB, EXP);
    let (_, state, private) = p.plan_and_apply("jit_binding", &M::Nil, &config, &[]).await;

    // The state as Terraform stores it (JSON), with the number written as a
    // string, an attribute missing and an unknown extra one.
    let mut json = m_to_json(&state);
    let dur = state.get("aws_max_session_duration").num().unwrap();
    json["aws_max_session_duration"] = serde_json::Value::String(format!("{dur}"));
    json.as_object_mut().unwrap().remove("ticket");
    json["removed_attribute"] = serde_json::json!(1);
    let req = pb::upgrade_resource_state::Request {
        type_name: "jit_binding".into(),
        version: 0,
        raw_state: Some(pb::RawState { json: serde_json::to_vec(&json).unwrap(), flatmap: Default::default() }),
    };
    let r = p.client.upgrade_resource_state(req).await.unwrap().into_inner();
    assert_no_errors(&r.diagnostics);
    let up = undv(r.upgraded_state);
    assert_shape(&up, &p.ty("jit_binding"), "upgraded");
    assert_eq!(up, state, "same state, the string number read as a number: {:?}", up.diff(&state));
    assert!(matches!(up.get("aws_max_session_duration"), M::Int(_) | M::F64(_)));
    // The upgraded state plans as a no-op.
    let plan = p.plan("jit_binding", &up, &config, &private).await;
    assert_eq!(plan.planned, state);

    // A newer schema version, and flatmap, are errors.
    let newer = pb::upgrade_resource_state::Request {
        type_name: "jit_binding".into(),
        version: 1,
        raw_state: Some(pb::RawState { json: b"{}".to_vec(), flatmap: Default::default() }),
    };
    let r = p.client.upgrade_resource_state(newer).await.unwrap().into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);
    let flat = pb::upgrade_resource_state::Request {
        type_name: "jit_binding".into(),
        version: 0,
        raw_state: Some(pb::RawState { json: vec![], flatmap: [("id".to_string(), "x".to_string())].into() }),
    };
    let r = p.client.upgrade_resource_state(flat).await.unwrap().into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);
    let garbage = pb::upgrade_resource_state::Request {
        type_name: "jit_binding".into(),
        version: 0,
        raw_state: Some(pb::RawState { json: b"{not json".to_vec(), flatmap: Default::default() }),
    };
    let r = p.client.upgrade_resource_state(garbage).await.unwrap().into_inner();
    assert_eq!(errors(&r.diagnostics).len(), 1);
}

fn m_to_json(v: &M) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        M::Nil => J::Null,
        M::Bool(b) => J::Bool(*b),
        M::Int(i) => J::from(*i),
        M::F64(f) => J::from(*f),
        M::Str(s) => J::String(s.clone()),
        M::Arr(a) => J::Array(a.iter().map(m_to_json).collect()),
        M::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), m_to_json(v))).collect()),
        M::Unknown | M::Refined(_) => panic!("state is never unknown"),
    }
}

fn as_of(private: &[u8]) -> String {
    let j: serde_json::Value = serde_json::from_slice(private).expect("private state is JSON");
    j["as_of"].as_str().expect("as_of").to_string()
}

#[tokio::test]
async fn binding_status_is_anchored_at_the_last_refresh() {
    let mut p = start("2029-12-31T12:00:00Z").await;
    let rt = "jit_binding";
    let s = specs(&mut p).await;
    let config = binding_config(&p, &s, "pat-reports", NB, EXP);

    // Create before not_before: unknown in the plan, pending after apply.
    let plan = p.plan(rt, &M::Nil, &config, &[]).await;
    assert!(plan.planned.get("status").is_unknown());
    let (state, private, d) = p.apply(rt, &M::Nil, &plan, &config).await;
    assert_no_errors(&d);
    assert_eq!(state.get("status"), &M::s("pending"), "status at the clock, which is before not_before");
    assert_eq!(as_of(&private), "2029-12-31T12:00:00Z", "apply records when status was evaluated");

    // Refresh at T1 (active): the read records T1.
    p.set_clock("2030-01-03T00:00:00Z");
    let (state, private, d) = p.read(rt, &state, &private).await;
    assert!(d.is_empty());
    assert_eq!(as_of(&private), "2030-01-03T00:00:00Z", "ReadResource stores the clock in private");
    assert_eq!(state.get("status"), &M::s("pending"), "read does not rewrite the state itself");
    let plan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(plan.planned.get("status"), &M::s("active"), "status at T1");
    assert!(plan.requires_replace.is_empty(), "a status change is in place");
    let (state, private, d) = p.apply(rt, &state, &plan, &config).await;
    assert_no_errors(&d);
    assert_eq!(state.get("status"), &M::s("active"));

    // A later refresh at T1' (still active), then the clock passes
    // expires_at between plan and apply: the plan and the apply-time
    // re-plan both read status at T1' and agree.
    p.set_clock("2030-01-04T00:00:00Z");
    let (state, private, _) = p.read(rt, &state, &private).await;
    let plan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(plan.planned, state, "no change while active");
    p.set_clock("2030-01-09T00:00:00Z");
    let replan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(replan.planned.get("status"), &M::s("active"), "the re-plan uses the refresh's anchor, not the clock");
    assert_compatible(&plan.planned, &replan.planned, "apply-time re-plan");
    assert_eq!(as_of(&replan.private), "2030-01-04T00:00:00Z", "planned_private carries the anchor");

    // The next refresh (T2, after expires_at) moves the anchor: the plan
    // shows `expired` as an in-place update of status alone.
    let (state, private, _) = p.read(rt, &state, &private).await;
    assert_eq!(as_of(&private), "2030-01-09T00:00:00Z");
    let (plan, new, new_private) = p.plan_and_apply(rt, &state, &config, &private).await;
    assert_eq!(plan.planned.get("status"), &M::s("expired"));
    assert!(plan.requires_replace.is_empty(), "expiry never replaces: {:?}", plan.requires_replace);
    assert_eq!(state.diff(&plan.planned), ["status".to_string()].into_iter().collect());
    assert!(errors(&plan.diags).is_empty(), "expiry is not an error");
    assert_eq!(new.get("status"), &M::s("expired"));
    assert!(!new_private.is_empty());

    // And it stays expired, a no-op from then on.
    p.set_clock("2030-02-01T00:00:00Z");
    let (state, private, _) = p.read(rt, &new, &new_private).await;
    let plan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(plan.planned, state);
}

/// A year of weekday windows with three actions and two resources: too
/// large for AWS to unroll whole, so the policy covers a rolling horizon.
fn year_long(p: &Provider) -> M {
    let role = r#"{"name":"wide","aws":{"actions":["s3:GetObject","s3:PutObject","s3:ListBucket"],"resources":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"]}}"#;
    let policy = r#"{"name":"weekdays","max_session":"1h","max_grant":"366d","windows":[{"days":["mon","tue","wed","thu","fri"],"start":"09:00","end":"17:30","timezone":"America/New_York"}]}"#;
    let s = Specs { role: role.into(), policy: policy.into() };
    binding_config(p, &s, "year", "2030-01-07T00:00:00Z", "2031-01-06T00:00:00Z")
}

#[tokio::test]
async fn a_rolling_aws_horizon_moves_weekly_and_never_between_plan_and_apply() {
    let mut p = start("2030-01-09T12:00:00Z").await; // a Wednesday
    let rt = "jit_binding";
    let config = year_long(&p);

    // Create: the horizon starts with the week of the apply, so the policy
    // is known after apply; the rest is known at plan time.
    let plan = p.plan(rt, &M::Nil, &config, &[]).await;
    assert_no_errors(&plan.diags);
    assert!(plan.planned.get("aws_policy_json").is_unknown() && plan.planned.get("aws_valid_until").is_unknown());
    assert_eq!(plan.planned.get("enforcement").get("aws"), &M::s("rolling"));
    let (state, private, d) = p.apply(rt, &M::Nil, &plan, &config).await;
    assert_no_errors(&d);
    let until = state.get("aws_valid_until").str().to_string();
    assert_eq!(until, "2030-02-25T00:00:00Z", "seven whole weeks from Monday 2030-01-07");
    let policy: serde_json::Value = serde_json::from_str(state.get("aws_policy_json").str()).unwrap();
    assert_eq!(policy["Statement"].as_array().map(Vec::len), Some(35));

    // A refresh later in the same week plans no change.
    p.set_clock("2030-01-10T18:00:00Z");
    let (state, private, _) = p.read(rt, &state, &private).await;
    let plan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(plan.planned, state, "the same week: no change");

    // A refresh in the next week moves the horizon: an in-place update.
    p.set_clock("2030-01-15T08:00:00Z");
    let (state, private, _) = p.read(rt, &state, &private).await;
    let plan = p.plan(rt, &state, &config, &private).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.get("aws_valid_until"), &M::s("2030-03-04T00:00:00Z"));
    let changed = state.diff(&plan.planned);
    assert_eq!(changed, ["aws_policy_json", "aws_valid_until"].into_iter().map(String::from).collect());
    let (state, private, d) = p.apply(rt, &state, &plan, &config).await;
    assert_no_errors(&d);

    // Refreshed on Sunday night; the week ends between plan and apply: the
    // apply-time re-plan keeps the refresh's week, and the apply agrees.
    p.set_clock("2030-01-20T23:59:59Z");
    let (state, private, _) = p.read(rt, &state, &private).await;
    let plan = p.plan(rt, &state, &config, &private).await;
    assert_eq!(plan.planned, state, "still the refresh's week");
    p.set_clock("2030-01-21T00:00:05Z");
    let replan = p.plan(rt, &state, &config, &private).await;
    assert_compatible(&plan.planned, &replan.planned, "apply-time re-plan across the week boundary");
    let (applied, _, d) = p.apply(rt, &state, &replan, &config).await;
    assert_no_errors(&d);
    assert_eq!(applied.get("aws_valid_until"), &M::s("2030-03-04T00:00:00Z"));
}
