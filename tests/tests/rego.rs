//! The `rego` target against real Rego engines we did not write: the
//! `regorus` crate (in process) and OPA's own Go engine (OPA 1.x as a
//! shared library, `tests/tools/rego_check.py`). Both load the compiled
//! bundle as OPA does (the policy module, `data.json` at the data root)
//! and decide Envoy `CheckRequest`s; `allow` must equal what the language
//! says (some binding of the caller is active by `ir::is_active`, its
//! source network admits the peer, and its role's `http` blocks admit the
//! service, method and path), and `decision` must name the first such
//! binding. Requests vary everything the module reads: callers with and
//! without the `spiffe://` scheme, other and unknown callers, hosts with
//! namespaces, ports and capitals, other services, methods not granted,
//! paths just outside a prefix or with a query, peer addresses in and out
//! of the networks, and the request time as an RFC 3339 string or as
//! `{seconds, nanos}`, at both sides of every boundary the IR knows of
//! (down to the nanosecond) around the DST changes of Paris and New York.

use jiff::Timestamp;
use jit_e2e_tests::{run_tool, Rng};
use jit_policy::ir::{self, http};
use jit_policy::lower::Options;
use jit_policy::render::{self, rego};
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

const SUBJECTS: &[&str] = &[
    "spiffe://acme.example/ns/reporting/sa/reporting-bot",
    "spiffe://acme.example/ns/payments/sa/settlement-batch",
    "spiffe://acme.example/ns/audit/sa/auditor-console",
    "spiffe://partner.example/ns/ingest/sa/loader",
];

const ROLES: &str = r#"
role "reports" {
  http {
    service = "reports-api"
    methods = ["GET", "HEAD"]
    paths   = ["/v1/reports", "/v1/reports/*"]
  }
}
role "payments" {
  http {
    service = "payments-api"
    methods = ["POST"]
    paths   = ["/v1/settlements"]
  }
  http {
    service = "payments-api"
    methods = ["GET"]
    paths   = ["/v1/settlements/*"]
  }
}
role "ledger" {
  http {
    service = "ledger"
    methods = ["GET", "PUT", "DELETE"]
    paths   = ["/accounts/*", "/health"]
  }
  http {
    service = "reports-api"
    methods = ["GET"]
    paths   = ["/v1/exports/*"]
  }
}
"#;

/// Bindings of four workloads to three roles under windows in four zones
/// (overnight, minute-level, DST hours), one policy without windows and
/// one with source networks, over grants around the 2026 DST changes
/// (Paris: 03-29 and 10-25; New York: 03-08 and 11-01).
fn document() -> String {
    let windows: &[&[(&str, &str, &str, &str)]] = &[
        &[("sun, mon, sat", "22:00", "06:00", "Europe/Paris")],
        &[("sun", "02:30", "04:15", "Europe/Paris")],
        &[("sun", "01:30", "02:45", "America/New_York")],
        &[("sat, sun", "23:47", "01:13", "America/New_York")],
        &[("mon, tue, wed, thu, fri", "08:30", "12:15", "Asia/Tokyo")],
        &[("sun, mon", "01:30", "03:10", "Australia/Lord_Howe")],
        &[("fri", "17:00", "00:00", "UTC")],
        &[("wed, thu", "12:01", "12:02", "America/New_York"), ("sun", "02:59", "03:01", "Europe/Paris")],
        &[
            ("sun, mon, tue, wed, thu, fri, sat", "09:00", "17:30", "Europe/Paris"),
            ("mon", "21:15", "03:45", "Asia/Tokyo"),
        ],
        &[],
    ];
    let grants: &[(&str, &str)] = &[
        ("2026-03-26T13:17:00Z", "2026-04-02T08:00:00Z"),
        ("2026-03-05T00:00:00-05:00", "2026-03-12T00:00:00Z"),
        ("2026-10-22T21:59:00Z", "2026-10-29T02:01:00+01:00"),
        ("2026-10-29T00:00:00Z", "2026-11-05T23:47:00Z"),
    ];
    let mut s = format!("version = \"jit/v1\"\n{ROLES}");
    for (pi, ws) in windows.iter().enumerate() {
        s.push_str(&format!("policy \"p{pi}\" {{\n  max_grant = \"14d\"\n"));
        for (days, start, end, tz) in ws.iter() {
            let days: Vec<String> = days.split(", ").map(|d| format!("\"{d}\"")).collect();
            s.push_str(&format!(
                "  window {{\n    days = [{}]\n    start = \"{start}\"\n    end = \"{end}\"\n    timezone = \"{tz}\"\n  }}\n",
                days.join(", ")
            ));
        }
        if pi % 3 == 1 {
            s.push_str("  require {\n    source_cidrs = [\"10.20.0.0/16\", \"fd00::/8\"]\n  }\n");
        }
        s.push_str("}\n");
        for (gi, (nb, exp)) in grants.iter().enumerate() {
            let k = pi * grants.len() + gi;
            let role = ["reports", "payments", "ledger"][k % 3];
            let subject = SUBJECTS[(k / 3 + gi) % SUBJECTS.len()];
            s.push_str(&format!(
                "binding \"b{pi:02}-{gi}\" {{\n  role = \"{role}\"\n  policy = \"p{pi}\"\n  subject {{\n    kind = \"workload\"\n    name = \"w{k}\"\n    spiffe = \"{subject}\"\n  }}\n  not_before = \"{nb}\"\n  expires_at = \"{exp}\"\n}}\n"
            ));
        }
    }
    s
}

/// One request, and what the language says of it.
struct Request {
    input: Value,
    /// The first allowing binding by name, if any.
    want: Option<String>,
}

fn cidr_contains(cidr: &str, ip: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (cidr.split_once('/'), ip.parse::<IpAddr>()) else {
        return false;
    };
    let len: u32 = len.parse().expect("a prefix length");
    match (net.parse::<IpAddr>().expect("a network"), ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// What the language says: the first binding by name whose subject is the
/// caller, active at `at`, from an allowed network, granting the request.
fn allowed_by(
    bindings: &[ir::Binding],
    principal: &str,
    host: &str,
    method: &str,
    path: &str,
    ip: &str,
    at: Timestamp,
) -> Option<String> {
    let service = http::service_of_host(host);
    let path = http::path_of(path);
    let mut names: Vec<&ir::Binding> = bindings.iter().collect();
    names.sort_by(|a, b| a.name.cmp(&b.name));
    names
        .into_iter()
        .find(|b| {
            b.subject.identity("spiffe").is_some_and(|id| http::caller_matches(id, principal))
                && ir::is_active(b, at)
                && (b.policy.require.source_cidrs.is_empty()
                    || b.policy.require.source_cidrs.iter().any(|c| cidr_contains(&c.0, ip)))
                && b.role.http.iter().any(|h| h.allows(&service, method, path))
        })
        .map(|b| b.name.clone())
}

/// Instants around one binding: random ones over its grant and a day
/// either side, and both sides of every boundary (a second, and a
/// nanosecond, before each).
fn instants(b: &ir::Binding, rng: &mut Rng) -> Vec<Timestamp> {
    let lo = b.not_before.as_second() - 86_400;
    let hi = b.expires_at.as_second() + 86_400;
    let mut out: Vec<Timestamp> = (0..40).filter_map(|_| Timestamp::from_second(rng.range(lo, hi)).ok()).collect();
    let mut edges = vec![b.not_before, b.expires_at];
    for (a, z) in ir::active_intervals(&b.policy.windows, b.not_before, b.expires_at) {
        edges.extend([a, z]);
    }
    for e in edges {
        for d in [-61, -1, 0, 1, 59] {
            out.extend(Timestamp::from_second(e.as_second() + d).ok());
        }
        out.extend(Timestamp::from_nanosecond(e.as_nanosecond() - 1).ok());
    }
    out
}

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.range(0, xs.len() as i64) as usize]
}

fn requests(bindings: &[ir::Binding], n: usize) -> Vec<Request> {
    let mut rng = Rng::new(0x0e9a_2026);
    let pools: Vec<Vec<Timestamp>> = bindings.iter().map(|b| instants(b, &mut rng)).collect();
    let methods = jit_policy::ast::shape::HTTP_METHODS;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let i = rng.range(0, bindings.len() as i64) as usize;
        let b = &bindings[i];
        let at = *pick(&mut rng, &pools[i]);
        let id = b.subject.identity("spiffe").expect("a SPIFFE ID");
        let principal = match rng.range(0, 10) {
            0..=3 => id.to_string(),
            4..=6 => http::strip_scheme(id).to_string(),
            7 => "acme.example/ns/reporting/sa/someone-else".to_string(),
            _ => pick(&mut rng, SUBJECTS).to_string(),
        };
        let rule = pick(&mut rng, &b.role.http);
        let service = if rng.range(0, 5) == 0 {
            pick(&mut rng, &["reports-api", "payments-api", "ledger", "inventory"]).to_string()
        } else {
            rule.service.clone()
        };
        let host = match rng.range(0, 4) {
            0 => service.clone(),
            1 => format!("{service}.prod.svc.cluster.local"),
            2 => format!("{service}.prod.svc.cluster.local:8080"),
            _ => format!("{}:443", service.to_uppercase()),
        };
        let method = if rng.range(0, 4) == 0 {
            pick(&mut rng, methods).to_string()
        } else {
            pick(&mut rng, &rule.methods).clone()
        };
        let pattern = pick(&mut rng, &rule.paths).clone();
        let path = match (http::prefix_of(&pattern), rng.range(0, 6)) {
            (Some(prefix), 0) => prefix.to_string(),
            (Some(prefix), 1) => prefix.trim_end_matches('/').to_string(),
            (Some(prefix), 2) => format!("{}X/2026", prefix.trim_end_matches('/')),
            (Some(prefix), _) => format!("{prefix}2026/03?format=csv"),
            (None, 0) => format!("{pattern}/"),
            (None, 1) => format!("{pattern}x"),
            (None, 2) => "/other".to_string(),
            (None, _) => format!("{pattern}?page=2"),
        };
        let ip = pick(&mut rng, &["10.20.3.4", "10.21.0.1", "fd00::1", "192.168.1.1"]).to_string();
        let time = if rng.range(0, 2) == 0 {
            json!(at.to_string())
        } else {
            json!({"seconds": at.as_second(), "nanos": at.subsec_nanosecond()})
        };
        let want = allowed_by(bindings, &principal, &host, &method, &path, &ip, at);
        let input = json!({"attributes": {
            "source": {"principal": principal, "address": {"socketAddress": {"address": ip, "portValue": 41000}}},
            "destination": {"principal": format!("spiffe://acme.example/ns/prod/sa/{service}")},
            "request": {"time": time, "http": {"id": "1", "host": host, "method": method, "path": path, "headers": {}}}
        }});
        out.push(Request { input, want });
    }
    out
}

/// The bundle: its policy modules by path, and its data document.
fn bundle(files: &[(String, String)]) -> (BTreeMap<String, String>, Value) {
    let modules: BTreeMap<String, String> =
        files.iter().filter(|(p, _)| p.starts_with("rego/") && p.ends_with(".rego")).cloned().collect();
    let data = files.iter().find(|(p, _)| p == "rego/data.json").expect("rego/data.json");
    (modules, serde_json::from_str(&data.1).expect("data.json is JSON"))
}

/// What an engine answered for one request.
type Answer = Result<(bool, Value), String>;

fn regorus_answers(modules: &BTreeMap<String, String>, data: &Value, inputs: &[&Value]) -> Vec<Answer> {
    let mut engine = regorus::Engine::new();
    for (path, text) in modules {
        engine.add_policy(path.clone(), text.clone()).expect("regorus parses the module");
    }
    engine.add_data(regorus::Value::from_json_str(&data.to_string()).expect("data")).expect("regorus loads the data");
    inputs
        .iter()
        .map(|input| {
            engine.set_input(regorus::Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())?);
            let allow = engine.eval_rule(rego::ALLOW_RULE.to_string()).map_err(|e| e.to_string())?;
            let decision = engine.eval_rule(rego::DECISION_RULE.to_string()).map_err(|e| e.to_string())?;
            let decision: Value =
                serde_json::from_str(&decision.to_json_str().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            Ok((allow == regorus::Value::from(true), decision))
        })
        .collect()
}

fn opa_answers(modules: &BTreeMap<String, String>, data: &Value, inputs: &[&Value]) -> Vec<Answer> {
    let request = json!({"modules": modules, "data": data, "inputs": inputs});
    let (code, stdout, stderr) = run_tool("rego_check.py", &[], &request.to_string());
    assert_eq!(code, 0, "rego_check.py failed: {stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("rego_check.py: {e}: {stdout}"));
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| match r["error"].as_str() {
            Some(e) => Err(e.to_string()),
            None => Ok((r["allow"] == true, r["decision"].clone())),
        })
        .collect()
}

#[test]
fn rego_engines_decide_every_request_as_the_language_does() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("mesh.hcl", Syntax::Hcl, document()));
    let opts = Options::default();
    let c = jit_policy::compile(sources, &[Target::Rego], &opts);
    let errors: Vec<String> = c.diagnostics.errors().map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "the mesh corpus compiles: {errors:?}");
    assert_eq!(c.outputs.len(), c.model.bindings.len(), "every binding has a rego entry");
    assert!(c.outputs.len() >= 40, "{} bindings", c.outputs.len());
    let (modules, data) = bundle(&render::shared_files(&c.outputs, &opts));
    assert_eq!(modules.len(), 1, "one generic policy module");

    let reqs = requests(&c.model.bindings, 12_000);
    let inputs: Vec<&Value> = reqs.iter().map(|r| &r.input).collect();
    let allowed = reqs.iter().filter(|r| r.want.is_some()).count();
    assert!(
        allowed > reqs.len() / 20 && allowed < reqs.len() * 9 / 10,
        "sampling must see both sides: {allowed} allowed"
    );

    type Engine = fn(&BTreeMap<String, String>, &Value, &[&Value]) -> Vec<Answer>;
    let engines: [(&str, Engine); 2] =
        [("regorus", regorus_answers), ("OPA (Go, opa-golib-python-bindings)", opa_answers)];
    let mut failures = Vec::new();
    for (engine, run) in engines {
        let answers = run(&modules, &data, &inputs);
        assert_eq!(answers.len(), reqs.len(), "{engine}: one answer per request");
        let mut mismatches = 0;
        for (r, answer) in reqs.iter().zip(answers) {
            let want_decision = match &r.want {
                Some(name) => json!({"allowed": true, "headers": {"x-jit-binding": name}}),
                None => json!({"allowed": false}),
            };
            let ok = match &answer {
                Ok((allow, decision)) => *allow == r.want.is_some() && *decision == want_decision,
                Err(_) => false,
            };
            if !ok {
                mismatches += 1;
                if failures.len() < 20 {
                    failures.push(format!("{engine}: {} -> {answer:?}, want {want_decision}", r.input));
                }
            }
        }
        eprintln!("rego agreement: {engine}: {} requests ({allowed} allowed), {mismatches} mismatch(es)", reqs.len());
    }
    assert!(failures.is_empty(), "{:#?}", failures);
}

/// The bundle's files are what OPA expects: a manifest whose roots hold
/// the module's package and the data, and the module in Rego v1.
#[test]
fn the_bundle_has_a_manifest_one_module_and_data() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("mesh.hcl", Syntax::Hcl, document()));
    let opts = Options::default();
    let c = jit_policy::compile(sources, &[Target::Rego], &opts);
    let files = render::shared_files(&c.outputs, &opts);
    let manifest: Value =
        serde_json::from_str(&files.iter().find(|(p, _)| p == "rego/.manifest").expect("a manifest").1).expect("JSON");
    assert_eq!(manifest["roots"], json!(["jit"]));
    assert_eq!(manifest["rego_version"], json!(1));
    assert!(manifest["revision"].as_str().is_some_and(|r| r.starts_with("sha256:")));
    let (modules, data) = bundle(&files);
    assert!(modules.values().all(|m| m.contains("package jit.authz")));
    assert_eq!(data["jit"]["grants"]["bindings"].as_object().map(|o| o.len()), Some(c.outputs.len()));
    // Callers are keyed without the scheme, each listing its bindings.
    let callers = data["jit"]["grants"]["callers"].as_object().expect("callers");
    assert!(callers.keys().all(|k| !k.starts_with("spiffe://")));
    assert_eq!(callers.values().map(|v| v.as_array().map_or(0, Vec::len)).sum::<usize>(), c.outputs.len());
}

/// The Istio objects validate strictly against Istio's CRD schemas (unknown
/// fields rejected; `tests/tools/istio/`), with the default provider and
/// selector and with configured ones; a field the CRD does not know is
/// refused (so the check can fail).
#[test]
fn istio_objects_validate_strictly_against_the_crd() {
    let dir = jit_e2e_tests::root().join(format!("target/tmp/istio-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let mut written = Vec::new();
    let custom = Options {
        istio_provider: "opa-ext-authz.istio-system".into(),
        istio_selector_label: "app.kubernetes.io/name".into(),
        ..Options::default()
    };
    let example = jit_policy::load::load_paths(&[jit_e2e_tests::root().join("examples/mesh/policies")]).expect("loads");
    let mut generated = SourceMap::new();
    generated.add(SourceFile::new("mesh.hcl", Syntax::Hcl, document()));
    for (i, (sources, opts)) in [(example, Options::default()), (generated, custom)].into_iter().enumerate() {
        let c = jit_policy::compile(sources, &[Target::Rego], &opts);
        assert!(!c.has_errors(), "compiles");
        for (path, text) in render::shared_files(&c.outputs, &opts) {
            if let Some(name) = path.strip_prefix("istio/") {
                assert!(text.contains(&format!("name: {}", opts.istio_provider)), "{path} names the provider");
                let file = dir.join(format!("{i}-{name}"));
                std::fs::write(&file, text).expect("written");
                written.push(file);
            }
        }
    }
    assert!(written.len() >= 5, "one object per service: {written:?}");
    let args: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = run_tool("istio_validate.mjs", &args, "");
    assert_eq!(code, 0, "istio_validate.mjs refused the objects:\n{stderr}");
    assert!(stdout.contains(&format!("{} document(s) validated, 0 error(s)", written.len())), "{stdout}");

    // A field the CRD does not know, and a wrong action, are refused.
    let good = std::fs::read_to_string(&written[0]).expect("read back");
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, good.replace("  action: CUSTOM\n", "  action: CUSTOM\n  bogus: 1\n")).expect("written");
    let (code, _, stderr) = run_tool("istio_validate.mjs", &[&bad.display().to_string()], "");
    assert_eq!(code, 1, "an unknown field must be refused");
    assert!(stderr.contains("/spec/bogus: unknown field"), "{stderr}");
    std::fs::write(&bad, good.replace("action: CUSTOM", "action: MAYBE")).expect("written");
    let (code, _, stderr) = run_tool("istio_validate.mjs", &[&bad.display().to_string()], "");
    assert_eq!(code, 1, "an unknown action must be refused: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
