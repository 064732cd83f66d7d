//! `make bench` (rego part): a bundle of 10,000 bindings (2,500 workloads,
//! 200 services, windows in four zones): compile time of the bundle, the
//! size of `data.json`, and the decision time of one request in regorus
//! against it (median and p99 over 20,000 requests; target: median under
//! 1 ms, so a sidecar can afford it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)] // a benchmark

use jit_e2e_tests::Rng;
use jit_policy::lower::Options;
use jit_policy::render::{self, rego};
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use std::time::Instant;

const BINDINGS: usize = 10_000;
const WORKLOADS: usize = 2_500;
const SERVICES: usize = 200;
const ROLES: usize = 400;
const REQUESTS: usize = 20_000;

fn corpus() -> String {
    let zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"];
    let mut s = String::from("version = \"jit/v1\"\n");
    for r in 0..ROLES {
        let (a, b) = (r % SERVICES, (r * 7 + 3) % SERVICES);
        s.push_str(&format!(
            "role \"r{r}\" {{\n  http {{\n    service = \"svc-{a}\"\n    methods = [\"GET\", \"HEAD\"]\n    paths = [\"/v1/items\", \"/v1/items/*\"]\n  }}\n  http {{\n    service = \"svc-{b}\"\n    methods = [\"POST\"]\n    paths = [\"/v1/jobs\"]\n  }}\n}}\n"
        ));
    }
    for (z, zone) in zones.iter().enumerate() {
        s.push_str(&format!(
            "policy \"p{z}\" {{\n  max_grant = \"90d\"\n  window {{\n    days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n    start = \"08:30\"\n    end = \"18:15\"\n    timezone = \"{zone}\"\n  }}\n  window {{\n    days = [\"sat\"]\n    start = \"22:00\"\n    end = \"04:00\"\n    timezone = \"{zone}\"\n  }}\n}}\n"
        ));
    }
    for i in 0..BINDINGS {
        s.push_str(&format!(
            "binding \"b{i:05}\" {{\n  role = \"r{}\"\n  policy = \"p{}\"\n  subject {{\n    kind = \"workload\"\n    name = \"w{}\"\n    spiffe = \"spiffe://acme.example/ns/team-{}/sa/w{}\"\n  }}\n  not_before = \"2027-01-04T00:00:00Z\"\n  expires_at = \"2027-03-01T00:00:00Z\"\n}}\n",
            i % ROLES,
            i % 4,
            i % WORKLOADS,
            i % 17,
            i % WORKLOADS
        ));
    }
    s
}

fn main() {
    let text = corpus();
    let t = Instant::now();
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("bench.hcl", Syntax::Hcl, text));
    let opts = Options::default();
    let c = jit_policy::compile(sources, &[Target::Rego], &opts);
    assert!(!c.has_errors(), "bench corpus has errors");
    let files = render::shared_files(&c.outputs, &opts);
    let compile = t.elapsed().as_secs_f64();
    let data = files.iter().find(|(p, _)| p == "rego/data.json").map(|(_, d)| d.clone()).expect("data.json");
    let module = files.iter().find(|(p, _)| p == rego::POLICY_PATH).map(|(_, m)| m.clone()).expect("module");
    assert_eq!(c.outputs.len(), BINDINGS);

    let t = Instant::now();
    let mut engine = regorus::Engine::new();
    engine.add_policy(rego::POLICY_PATH.to_string(), module).expect("module");
    engine.add_data(regorus::Value::from_json_str(&data).expect("data")).expect("data loads");
    let load = t.elapsed().as_secs_f64();

    // Requests by the workload of a random binding to a service its role
    // grants (allowed when inside the window), to other services, and by
    // unknown callers; instants over the grant, both time forms.
    let mut rng = Rng::new(0xbe7c);
    let inputs: Vec<String> = (0..REQUESTS)
        .map(|k| {
            let i = rng.range(0, BINDINGS as i64) as usize;
            let w = if k % 10 == 9 { WORKLOADS + i } else { i % WORKLOADS };
            let svc = if k % 5 == 4 { rng.range(0, SERVICES as i64) as usize } else { (i % ROLES) % SERVICES };
            let at = 1_799_020_800 + rng.range(0, 55 * 86_400); // 2027-01-04 .. 2027-02-28
            let time = if k % 2 == 0 {
                format!("\"{}\"", jiff::Timestamp::from_second(at).unwrap())
            } else {
                format!("{{\"seconds\": {at}, \"nanos\": 500}}")
            };
            format!(
                r#"{{"attributes": {{"source": {{"principal": "acme.example/ns/team-{}/sa/w{w}", "address": {{"socketAddress": {{"address": "10.0.0.1"}}}}}}, "request": {{"time": {time}, "http": {{"host": "svc-{svc}.prod.svc.cluster.local:8080", "method": "GET", "path": "/v1/items/{k}?q=1"}}}}}}}}"#,
                i % 17
            )
        })
        .collect();
    let inputs: Vec<regorus::Value> = inputs.iter().map(|s| regorus::Value::from_json_str(s).expect("input")).collect();
    // Warm up (the first evaluation prepares the query).
    engine.set_input(inputs[0].clone());
    engine.eval_rule(rego::DECISION_RULE.to_string()).expect("decision");
    let mut times = Vec::with_capacity(REQUESTS);
    let mut allowed = 0usize;
    for input in &inputs {
        let t = Instant::now();
        engine.set_input(input.clone());
        let d = engine.eval_rule(rego::DECISION_RULE.to_string()).expect("decision");
        times.push(t.elapsed().as_secs_f64() * 1e6);
        allowed += usize::from(d["allowed"] == regorus::Value::from(true));
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    println!("rego bundle: {BINDINGS} bindings, {WORKLOADS} workloads, {SERVICES} services");
    println!("  compile     {compile:8.3} s    (bundle of {} files)", files.len());
    println!("  data.json   {:8.1} MB   ({} bytes)", data.len() as f64 / 1e6, data.len());
    println!("  load        {load:8.3} s    (regorus: module + data)");
    println!("  decision    median {median:7.1} us   p99 {p99:7.1} us   target: median < 1000 us");
    println!("              {REQUESTS} requests, {allowed} allowed");
    assert!(allowed > 0 && allowed < REQUESTS, "the requests must see both decisions");
}
