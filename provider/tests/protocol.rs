//! The `tfplugin6.Provider` service driven in-process the way Terraform
//! drives it: a tonic client on a unix socket (plaintext, as with
//! `TF_DISABLE_PLUGIN_TLS`), msgpack `DynamicValue`s built and read by a
//! small codec of this file (independent of the provider's), and
//! Terraform's own checks on the answers: objects carry every attribute,
//! plans keep configured values, applies keep every known planned value,
//! the apply-time re-plan agrees with the plan.
//!
//! `jit_binding.status` is checked against a [`FixedClock`] the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use hyper_util::rt::TokioIo;
use jit_provider::clock::FixedClock;
use jit_provider::proto::tfplugin6 as pb;
use jit_provider::resources::Ctx;
use jit_provider::server::{self, Env, StartError, MAGIC_COOKIE_VALUE};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::Notify;
use tonic::transport::{Channel, Endpoint, Uri};

/// Every wait in this file is bounded by this.
const BOUND: Duration = Duration::from_secs(10);

// ===========================================================================
// A tiny msgpack codec for cty values.

/// A cty value as msgpack carries it.
#[derive(Debug, Clone)]
enum M {
    Nil,
    Bool(bool),
    Int(i64),
    F64(f64),
    Str(String),
    Arr(Vec<M>),
    Map(BTreeMap<String, M>),
    /// Extension type 0 (`d4 00 00`).
    Unknown,
    /// A refined unknown: extension type 12 with a msgpack map payload.
    Refined(Vec<u8>),
}

/// Semantic equality, as cty compares: numbers by value, any unknown equals
/// any unknown.
impl PartialEq for M {
    fn eq(&self, other: &M) -> bool {
        match (self, other) {
            (M::Nil, M::Nil) => true,
            (M::Bool(a), M::Bool(b)) => a == b,
            (a, b) if a.num().is_some() && b.num().is_some() => a.num() == b.num(),
            (M::Str(a), M::Str(b)) => a == b,
            (M::Arr(a), M::Arr(b)) => a == b,
            (M::Map(a), M::Map(b)) => a == b,
            (a, b) => a.is_unknown() && b.is_unknown(),
        }
    }
}

impl M {
    fn s(x: &str) -> M {
        M::Str(x.to_string())
    }
    fn strs(xs: &[&str]) -> M {
        M::Arr(xs.iter().map(|x| M::s(x)).collect())
    }
    fn num(&self) -> Option<f64> {
        match self {
            M::Int(i) => Some(*i as f64),
            M::F64(f) => Some(*f),
            _ => None,
        }
    }
    fn is_unknown(&self) -> bool {
        matches!(self, M::Unknown | M::Refined(_))
    }
    fn is_null(&self) -> bool {
        matches!(self, M::Nil)
    }
    fn wholly_known(&self) -> bool {
        match self {
            M::Unknown | M::Refined(_) => false,
            M::Arr(v) => v.iter().all(M::wholly_known),
            M::Map(m) => m.values().all(M::wholly_known),
            _ => true,
        }
    }
    fn get(&self, k: &str) -> &M {
        static NIL: M = M::Nil;
        match self {
            M::Map(m) => m.get(k).unwrap_or(&NIL),
            _ => &NIL,
        }
    }
    fn str(&self) -> &str {
        match self {
            M::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
    /// A copy with attribute `k` set.
    fn with(&self, k: &str, v: M) -> M {
        let mut c = self.clone();
        match &mut c {
            M::Map(m) => {
                assert!(m.contains_key(k), "no attribute `{k}`");
                m.insert(k.to_string(), v);
            }
            other => panic!("not an object: {other:?}"),
        }
        c
    }
    /// Attribute names whose values differ.
    fn diff(&self, other: &M) -> BTreeSet<String> {
        match (self, other) {
            (M::Map(a), M::Map(b)) => a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect(),
            _ => panic!("not objects"),
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        fn len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, m16: u8, m32: u8) {
            if n <= fix_max {
                out.push(fix | n as u8);
            } else if n <= 0xffff {
                out.push(m16);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(m32);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
        }
        fn string(out: &mut Vec<u8>, s: &str) {
            if s.len() <= 31 {
                out.push(0xa0 | s.len() as u8);
            } else if s.len() <= 0xff {
                out.extend_from_slice(&[0xd9, s.len() as u8]);
            } else {
                len(out, s.len(), 0, 0, 0xda, 0xdb);
            }
            out.extend_from_slice(s.as_bytes());
        }
        match self {
            M::Nil => out.push(0xc0),
            M::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            M::Int(i) if (0..=0x7f).contains(i) => out.push(*i as u8),
            M::Int(i) if (-32..0).contains(i) => out.push(*i as i8 as u8),
            M::Int(i) if (0..=0xffff).contains(i) => {
                out.push(0xcd);
                out.extend_from_slice(&(*i as u16).to_be_bytes());
            }
            M::Int(i) => {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            }
            M::F64(f) => {
                out.push(0xcb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            M::Str(s) => string(out, s),
            M::Arr(v) => {
                len(out, v.len(), 0x90, 15, 0xdc, 0xdd);
                v.iter().for_each(|x| x.write(out));
            }
            M::Map(m) => {
                len(out, m.len(), 0x80, 15, 0xde, 0xdf);
                for (k, v) in m {
                    string(out, k);
                    v.write(out);
                }
            }
            M::Unknown => out.extend_from_slice(&[0xd4, 0x00, 0x00]),
            M::Refined(payload) => {
                out.extend_from_slice(&[0xc7, payload.len() as u8, 0x0c]);
                out.extend_from_slice(payload);
            }
        }
    }

    fn decode(b: &[u8]) -> M {
        let mut i = 0;
        let v = M::read(b, &mut i);
        assert_eq!(i, b.len(), "trailing bytes after the value");
        v
    }

    fn read(b: &[u8], i: &mut usize) -> M {
        let mut take = |n: usize| {
            let s = &b[*i..*i + n];
            *i += n;
            s
        };
        let be = |s: &[u8]| s.iter().fold(0u64, |a, x| (a << 8) | u64::from(*x));
        let m = take(1)[0];
        match m {
            0x00..=0x7f => M::Int(i64::from(m)),
            0xe0..=0xff => M::Int(i64::from(m as i8)),
            0xc0 => M::Nil,
            0xc2 => M::Bool(false),
            0xc3 => M::Bool(true),
            0xcb => M::F64(f64::from_bits(be(take(8)))),
            0xcc..=0xcf => M::Int(be(take(1 << (m - 0xcc))) as i64),
            0xd0..=0xd3 => {
                let n = 1 << (m - 0xd0);
                let raw = be(take(n));
                let shift = 64 - 8 * n as u32;
                M::Int(((raw << shift) as i64) >> shift)
            }
            0xa0..=0xbf | 0xd9..=0xdb => {
                let n = if m <= 0xbf { usize::from(m & 0x1f) } else { be(take(1 << (m - 0xd9))) as usize };
                M::Str(String::from_utf8(take(n).to_vec()).expect("UTF-8 string"))
            }
            0x90..=0x9f | 0xdc | 0xdd => {
                let n = match m {
                    0xdc => be(take(2)) as usize,
                    0xdd => be(take(4)) as usize,
                    _ => usize::from(m & 0x0f),
                };
                M::Arr((0..n).map(|_| M::read(b, i)).collect())
            }
            0x80..=0x8f | 0xde | 0xdf => {
                let n = match m {
                    0xde => be(take(2)) as usize,
                    0xdf => be(take(4)) as usize,
                    _ => usize::from(m & 0x0f),
                };
                let mut out = BTreeMap::new();
                for _ in 0..n {
                    let M::Str(k) = M::read(b, i) else { panic!("map key is not a string") };
                    out.insert(k, M::read(b, i));
                }
                M::Map(out)
            }
            0xd4 => {
                let ext = take(2);
                assert_eq!(ext[0], 0, "the provider emits unknowns as extension type 0");
                M::Unknown
            }
            other => panic!("the provider emitted msgpack marker 0x{other:02x}, which cty does not use here"),
        }
    }
}

fn dv(v: &M) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: v.encode(), json: vec![] })
}

fn undv(d: Option<pb::DynamicValue>) -> M {
    let d = d.expect("a DynamicValue");
    assert!(d.json.is_empty(), "the provider answers msgpack, not JSON");
    assert!(!d.msgpack.is_empty(), "an answer is never empty (null is 0xc0)");
    M::decode(&d.msgpack)
}

#[test]
fn codec_sanity() {
    // The codec of this file agrees with the bytes the protocol documents.
    assert_eq!(M::Unknown.encode(), vec![0xd4, 0x00, 0x00]);
    assert_eq!(M::Refined(vec![0x81, 0x01, 0xc3]).encode(), vec![0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]);
    assert_eq!(M::decode(&[0xd0, 0xfb]), M::Int(-5));
    assert_eq!(M::decode(&[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]), M::Int(-2));
    for v in [M::Int(3600), M::Int(-100_000), M::F64(1.5), M::s(&"x".repeat(300))] {
        assert_eq!(M::decode(&v.encode()), v);
    }
    assert_ne!(M::Int(2), M::F64(2.5));
    assert_eq!(M::Int(2), M::F64(2.0));
}

// ===========================================================================
// Schemas as Terraform reads them.

/// A cty type, parsed from the schema's `type` bytes.
#[derive(Debug, Clone, PartialEq)]
enum Ty {
    String,
    Number,
    Bool,
    Dynamic,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Object(BTreeMap<String, Ty>),
}

impl Ty {
    fn parse(j: &serde_json::Value) -> Result<Ty, String> {
        use serde_json::Value as J;
        match j {
            J::String(s) => match s.as_str() {
                "string" => Ok(Ty::String),
                "number" => Ok(Ty::Number),
                "bool" => Ok(Ty::Bool),
                "dynamic" => Ok(Ty::Dynamic),
                other => Err(format!("unknown primitive `{other}`")),
            },
            J::Array(a) if a.len() == 2 => match (&a[0], &a[1]) {
                (J::String(k), t) if k == "list" => Ok(Ty::List(Box::new(Ty::parse(t)?))),
                (J::String(k), t) if k == "set" => Ok(Ty::Set(Box::new(Ty::parse(t)?))),
                (J::String(k), t) if k == "map" => Ok(Ty::Map(Box::new(Ty::parse(t)?))),
                (J::String(k), J::Object(o)) if k == "object" => {
                    o.iter().map(|(n, t)| Ok((n.clone(), Ty::parse(t)?))).collect::<Result<_, String>>().map(Ty::Object)
                }
                _ => Err(format!("bad type {j}")),
            },
            _ => Err(format!("bad type {j}")),
        }
    }

    /// The object type of a block's values.
    fn of_block(b: &pb::schema::Block) -> Ty {
        let mut m = BTreeMap::new();
        for a in &b.attributes {
            let j: serde_json::Value = serde_json::from_slice(&a.r#type).unwrap();
            m.insert(a.name.clone(), Ty::parse(&j).unwrap());
        }
        for nb in &b.block_types {
            let t = Ty::of_block(nb.block.as_ref().unwrap());
            let t = match nb.nesting() {
                pb::schema::nested_block::NestingMode::Single | pb::schema::nested_block::NestingMode::Group => t,
                pb::schema::nested_block::NestingMode::List => Ty::List(Box::new(t)),
                pb::schema::nested_block::NestingMode::Set => Ty::Set(Box::new(t)),
                pb::schema::nested_block::NestingMode::Map => Ty::Map(Box::new(t)),
                pb::schema::nested_block::NestingMode::Invalid => panic!("INVALID nesting for {}", nb.type_name),
            };
            assert!(m.insert(nb.type_name.clone(), t).is_none(), "`{}` is an attribute and a block", nb.type_name);
        }
        Ty::Object(m)
    }

    fn attrs(&self) -> &BTreeMap<String, Ty> {
        match self {
            Ty::Object(m) => m,
            other => panic!("not an object type: {other:?}"),
        }
    }
}

/// An object of type `t`: the given attributes, every other one null.
fn obj(t: &Ty, fields: &[(&str, M)]) -> M {
    let attrs = t.attrs();
    for (k, _) in fields {
        assert!(attrs.contains_key(*k), "`{k}` is not an attribute of {attrs:?}");
    }
    M::Map(
        attrs
            .keys()
            .map(|k| (k.clone(), fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or(M::Nil)))
            .collect(),
    )
}

/// A configuration object of block `b` as Terraform sends it: the given
/// attributes and blocks; other attributes and single blocks null, list
/// blocks empty lists (not null).
fn block_obj(b: &pb::schema::Block, fields: &[(&str, M)]) -> M {
    let M::Map(mut m) = obj(&Ty::of_block(b), fields) else { unreachable!() };
    for nb in &b.block_types {
        use pb::schema::nested_block::NestingMode as N;
        let given = fields.iter().any(|(k, _)| *k == nb.type_name);
        if !given && matches!(nb.nesting(), N::List | N::Set) {
            m.insert(nb.type_name.clone(), M::Arr(vec![]));
        }
    }
    M::Map(m)
}

/// `v` conforms to `t`, with every object attribute present and nothing
/// else (Terraform rejects objects that lack attributes).
fn assert_shape(v: &M, t: &Ty, at: &str) {
    if v.is_null() || v.is_unknown() {
        return;
    }
    match (v, t) {
        (M::Str(_), Ty::String) | (M::Bool(_), Ty::Bool) | (_, Ty::Dynamic) => {}
        (M::Int(_) | M::F64(_), Ty::Number) => {}
        (M::Arr(items), Ty::List(et) | Ty::Set(et)) => {
            items.iter().enumerate().for_each(|(i, x)| assert_shape(x, et, &format!("{at}[{i}]")))
        }
        (M::Map(m), Ty::Map(et)) => m.iter().for_each(|(k, x)| assert_shape(x, et, &format!("{at}[{k:?}]"))),
        (M::Map(m), Ty::Object(attrs)) => {
            let got: BTreeSet<&String> = m.keys().collect();
            let want: BTreeSet<&String> = attrs.keys().collect();
            assert_eq!(got, want, "{at}: an object must carry exactly the schema's attributes");
            attrs.iter().for_each(|(k, at2)| assert_shape(&m[k], at2, &format!("{at}.{k}")));
        }
        _ => panic!("{at}: {v:?} is not a {t:?}"),
    }
}

/// Terraform's `ProposedNew`: config values, with computed attributes that
/// the config leaves null taken from the prior state.
fn proposed_new(b: &pb::schema::Block, prior: &M, config: &M) -> M {
    if config.is_null() {
        return M::Nil;
    }
    let mut out = BTreeMap::new();
    for a in &b.attributes {
        let c = config.get(&a.name);
        let v = if a.computed && c.is_null() { prior.get(&a.name).clone() } else { c.clone() };
        out.insert(a.name.clone(), v);
    }
    for nb in &b.block_types {
        let inner = nb.block.as_ref().unwrap();
        let c = config.get(&nb.type_name);
        let v = match (c, prior.get(&nb.type_name)) {
            (M::Arr(items), p) => M::Arr(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let px = match p {
                            M::Arr(pi) if i < pi.len() => pi[i].clone(),
                            _ => M::Nil,
                        };
                        proposed_new(inner, &px, x)
                    })
                    .collect(),
            ),
            (M::Map(_), p) => proposed_new(inner, p, c),
            (other, _) => other.clone(),
        };
        out.insert(nb.type_name.clone(), v);
    }
    M::Map(out)
}

/// `v` with numbers given as decimal strings read as numbers (for
/// comparisons: cty sends a number as a string when no int64 or float64
/// holds it exactly; it is still a number).
fn numbers(v: &M, t: &Ty) -> M {
    match (v, t) {
        (M::Str(s), Ty::Number) => M::F64(s.parse().expect("a decimal number")),
        (M::Arr(items), Ty::List(et) | Ty::Set(et)) => M::Arr(items.iter().map(|x| numbers(x, et)).collect()),
        (M::Map(m), Ty::Map(et)) => M::Map(m.iter().map(|(k, x)| (k.clone(), numbers(x, et))).collect()),
        (M::Map(m), Ty::Object(attrs)) => {
            M::Map(m.iter().map(|(k, x)| (k.clone(), attrs.get(k).map_or(x.clone(), |at| numbers(x, at)))).collect())
        }
        (other, _) => other.clone(),
    }
}

/// Terraform's `AssertPlanValid`, for the rules that concern this provider.
fn assert_plan_valid(b: &pb::schema::Block, config: &M, planned: &M, at: &str) {
    if config.is_null() {
        assert!(planned.is_null(), "{at}: planned a value for a null block");
        return;
    }
    for a in &b.attributes {
        let (c, p) = (config.get(&a.name), planned.get(&a.name));
        if !a.computed || !c.is_null() {
            assert_eq!(p, c, "{at}.{}: a configured value must be planned as configured", a.name);
        }
    }
    for nb in &b.block_types {
        let inner = nb.block.as_ref().unwrap();
        let (c, p) = (config.get(&nb.type_name), planned.get(&nb.type_name));
        match (c, p) {
            (M::Arr(ci), M::Arr(pi)) => {
                assert_eq!(ci.len(), pi.len(), "{at}.{}: block count", nb.type_name);
                for (i, (cx, px)) in ci.iter().zip(pi).enumerate() {
                    assert_plan_valid(inner, cx, px, &format!("{at}.{}[{i}]", nb.type_name));
                }
            }
            _ => assert_plan_valid(inner, c, p, &format!("{at}.{}", nb.type_name)),
        }
    }
}

/// Terraform's `AssertObjectCompatible`: every known value of `planned` is
/// in `actual`; unknowns may become anything.
fn assert_compatible(planned: &M, actual: &M, at: &str) {
    if planned.is_unknown() {
        return;
    }
    match (planned, actual) {
        (M::Arr(p), M::Arr(a)) => {
            assert_eq!(p.len(), a.len(), "{at}: length changed");
            p.iter().zip(a).enumerate().for_each(|(i, (x, y))| assert_compatible(x, y, &format!("{at}[{i}]")));
        }
        (M::Map(p), M::Map(a)) => {
            assert_eq!(p.keys().collect::<Vec<_>>(), a.keys().collect::<Vec<_>>(), "{at}: keys changed");
            p.iter().for_each(|(k, x)| assert_compatible(x, &a[k], &format!("{at}.{k}")));
        }
        (p, a) => assert_eq!(p, a, "{at}: a known planned value changed"),
    }
}

// ===========================================================================
// Diagnostics.

fn path_string(p: &pb::AttributePath) -> String {
    use pb::attribute_path::step::Selector;
    let mut s = String::new();
    for step in &p.steps {
        match step.selector.as_ref().expect("a step has a selector") {
            Selector::AttributeName(a) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(a);
            }
            Selector::ElementKeyString(k) => s.push_str(&format!("[{k:?}]")),
            Selector::ElementKeyInt(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn errors(d: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    d.iter().filter(|x| x.severity() == pb::diagnostic::Severity::Error).collect()
}

#[track_caller]
fn assert_no_errors(d: &[pb::Diagnostic]) {
    let e = errors(d);
    assert!(e.is_empty(), "unexpected error diagnostics: {e:#?}");
}

/// The paths of the error diagnostics.
fn error_paths(d: &[pb::Diagnostic]) -> Vec<String> {
    errors(d).iter().map(|x| x.attribute.as_ref().map(path_string).unwrap_or_default()).collect()
}

// ===========================================================================
// The provider under test.

struct Provider {
    _dir: tempfile::TempDir,
    client: pb::provider_client::ProviderClient<Channel>,
    clock: Arc<FixedClock>,
    schemas: BTreeMap<String, pb::Schema>,
    data_schemas: BTreeMap<String, pb::Schema>,
    schema_resp: pb::get_provider_schema::Response,
    shutdown: Arc<Notify>,
    serve: Option<tokio::task::JoinHandle<Result<(), StartError>>>,
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

async fn start(now: &str) -> Provider {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        cookie: Some(MAGIC_COOKIE_VALUE.into()),
        protocol_versions: Some("6".into()),
        client_cert: None,
        disable_tls: true,
    };
    let prepared = server::prepare(&env, dir.path()).unwrap();
    assert!(prepared.tls.is_none());
    let socket: PathBuf = prepared.socket.clone();
    let clock = Arc::new(FixedClock::new(ts(now)));
    let shutdown = Arc::new(Notify::new());
    let serve = tokio::spawn(server::serve(prepared, Ctx::new(clock.clone()), shutdown.clone()));
    let connector = tower::service_fn(move |_: Uri| {
        let socket = socket.clone();
        async move { UnixStream::connect(socket).await.map(TokioIo::new) }
    });
    let channel = tokio::time::timeout(
        BOUND,
        Endpoint::from_static("http://localhost")
            .connect_timeout(BOUND)
            .timeout(BOUND)
            .connect_with_connector(connector),
    )
    .await
    .unwrap()
    .unwrap();
    let mut client = pb::provider_client::ProviderClient::new(channel).max_decoding_message_size(server::MAX_MESSAGE);
    let schema_resp = client.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    let schemas = schema_resp.resource_schemas.clone().into_iter().collect();
    let data_schemas = schema_resp.data_source_schemas.clone().into_iter().collect();
    Provider { _dir: dir, client, clock, schemas, data_schemas, schema_resp, shutdown, serve: Some(serve) }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.shutdown.notify_one();
        if let Some(s) = self.serve.take() {
            s.abort();
        }
    }
}

/// One plan's answer, decoded.
#[derive(Debug, Clone)]
struct Plan {
    planned: M,
    requires_replace: Vec<String>,
    private: Vec<u8>,
    diags: Vec<pb::Diagnostic>,
}

impl Provider {
    fn block(&self, rt: &str) -> &pb::schema::Block {
        self.schemas[rt].block.as_ref().unwrap()
    }
    fn ty(&self, rt: &str) -> Ty {
        Ty::of_block(self.block(rt))
    }
    /// A configuration of resource type `rt`.
    fn cfg(&self, rt: &str, fields: &[(&str, M)]) -> M {
        block_obj(self.block(rt), fields)
    }
    fn set_clock(&self, t: &str) {
        self.clock.set(ts(t));
    }

    async fn validate(&mut self, rt: &str, config: &M) -> Vec<pb::Diagnostic> {
        let req = pb::validate_resource_config::Request {
            type_name: rt.into(),
            config: dv(config),
            client_capabilities: None,
        };
        self.client.validate_resource_config(req).await.unwrap().into_inner().diagnostics
    }

    /// PlanResourceChange with Terraform's proposed new state, checked by
    /// Terraform's rules.
    async fn plan(&mut self, rt: &str, prior: &M, config: &M, prior_private: &[u8]) -> Plan {
        let proposed = proposed_new(self.block(rt), prior, config);
        self.plan_raw(rt, prior, &proposed, config, prior_private).await
    }

    async fn plan_raw(&mut self, rt: &str, prior: &M, proposed: &M, config: &M, prior_private: &[u8]) -> Plan {
        let req = pb::plan_resource_change::Request {
            type_name: rt.into(),
            prior_state: dv(prior),
            proposed_new_state: dv(proposed),
            config: dv(config),
            prior_private: prior_private.to_vec(),
            provider_meta: None,
            client_capabilities: None,
            prior_identity: None,
        };
        let r = self.client.plan_resource_change(req).await.unwrap().into_inner();
        let planned = undv(r.planned_state);
        if errors(&r.diagnostics).is_empty() {
            assert_shape(&planned, &self.ty(rt), rt);
            assert_plan_valid(self.block(rt), &numbers(config, &self.ty(rt)), &planned, rt);
        }
        for p in &r.requires_replace {
            let top = p.steps.first().and_then(|s| s.selector.as_ref());
            let Some(pb::attribute_path::step::Selector::AttributeName(a)) = top else {
                panic!("requires_replace path must start with an attribute: {p:?}")
            };
            assert!(self.ty(rt).attrs().contains_key(a), "requires_replace names a real attribute: {a}");
        }
        Plan {
            planned,
            requires_replace: r.requires_replace.iter().map(path_string).collect(),
            private: r.planned_private,
            diags: r.diagnostics,
        }
    }

    /// ApplyResourceChange; returns (new state, private, diagnostics).
    async fn apply(&mut self, rt: &str, prior: &M, plan: &Plan, config: &M) -> (M, Vec<u8>, Vec<pb::Diagnostic>) {
        let req = pb::apply_resource_change::Request {
            type_name: rt.into(),
            prior_state: dv(prior),
            planned_state: dv(&plan.planned),
            config: dv(config),
            planned_private: plan.private.clone(),
            provider_meta: None,
            planned_identity: None,
        };
        let r = self.client.apply_resource_change(req).await.unwrap().into_inner();
        let new = undv(r.new_state);
        if errors(&r.diagnostics).is_empty() {
            assert!(new.wholly_known(), "{rt}: an apply result must be wholly known: {new:?}");
            assert_shape(&new, &self.ty(rt), rt);
            assert_compatible(&plan.planned, &new, rt);
        }
        (new, r.private, r.diagnostics)
    }

    /// Plan, re-plan as Terraform does during apply (it must agree), apply.
    async fn plan_and_apply(&mut self, rt: &str, prior: &M, config: &M, private: &[u8]) -> (Plan, M, Vec<u8>) {
        let plan = self.plan(rt, prior, config, private).await;
        assert_no_errors(&plan.diags);
        let again = self.plan(rt, prior, config, private).await;
        assert_compatible(&plan.planned, &again.planned, &format!("{rt} (apply-time re-plan)"));
        let (new, new_private, diags) = self.apply(rt, prior, &again, config).await;
        assert_no_errors(&diags);
        (plan, new, new_private)
    }

    async fn read(&mut self, rt: &str, state: &M, private: &[u8]) -> (M, Vec<u8>, Vec<pb::Diagnostic>) {
        let req = pb::read_resource::Request {
            type_name: rt.into(),
            current_state: dv(state),
            private: private.to_vec(),
            provider_meta: None,
            client_capabilities: None,
            current_identity: None,
        };
        let r = self.client.read_resource(req).await.unwrap().into_inner();
        let new = undv(r.new_state);
        assert_shape(&new, &self.ty(rt), rt);
        (new, r.private, r.diagnostics)
    }
}

// ===========================================================================
// Configurations.

fn role_config(p: &Provider, name: &str, description: Option<&str>) -> M {
    let t = p.ty("jit_role");
    let aws = obj(
        &t.attrs()["aws"],
        &[("actions", M::strs(&["s3:GetObject"])), ("resources", M::strs(&["arn:aws:s3:::reports/*"]))],
    );
    let mut fields = vec![("name", M::s(name)), ("aws", aws)];
    if let Some(d) = description {
        fields.push(("description", M::s(d)));
    }
    p.cfg("jit_role", &fields)
}

fn policy_config(p: &Provider, name: &str) -> M {
    p.cfg("jit_policy", &[("name", M::s(name)), ("max_grant", M::s("10d"))])
}

/// The `spec` a role or policy plans (known at plan time).
async fn spec_of(p: &mut Provider, rt: &str, config: &M) -> String {
    let plan = p.plan(rt, &M::Nil, config, &[]).await;
    assert_no_errors(&plan.diags);
    plan.planned.get("spec").str().to_string()
}

struct Specs {
    role: String,
    policy: String,
}

async fn specs(p: &mut Provider) -> Specs {
    let role = role_config(p, "reports-reader", None);
    let policy = policy_config(p, "short");
    Specs { role: spec_of(p, "jit_role", &role).await, policy: spec_of(p, "jit_policy", &policy).await }
}

fn binding_config(p: &Provider, s: &Specs, name: &str, not_before: &str, expires_at: &str) -> M {
    let t = p.ty("jit_binding");
    let subject = obj(
        &t.attrs()["subject"],
        &[("kind", M::s("human")), ("name", M::s("pat")), ("aws", M::s("arn:aws:iam::123456789012:user/pat"))],
    );
    p.cfg(
        "jit_binding",
        &[
            ("name", M::s(name)),
            ("role_spec", M::s(&s.role)),
            ("policy_spec", M::s(&s.policy)),
            ("subject", subject),
            ("not_before", M::s(not_before)),
            ("expires_at", M::s(expires_at)),
            ("justification", M::s("quarterly report")),
        ],
    )
}

const NB: &str = "2030-01-01T00:00:00Z";
const EXP: &str = "2030-01-08T00:00:00Z";

/// The compiled outputs of a binding.
const OUTPUTS: &[&str] = &[
    "aws_policy_json",
    "aws_max_session_duration",
    "gcp_binding",
    "azure_schedule_request_json",
    "openbao_policy_hcl",
    "openbao_role",
    "broker_rule_json",
    "enforcement",
    "digest",
];

// ===========================================================================
// Schema.

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

// ===========================================================================
// Validation.

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

impl Ty {
    fn list_elem(self) -> Ty {
        match self {
            Ty::List(t) | Ty::Set(t) => *t,
            other => panic!("not a list: {other:?}"),
        }
    }
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

// ===========================================================================
// Plan and apply.

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
async fn binding_create_update_replace_destroy() {
    let mut p = start("2030-01-02T00:00:00Z").await;
    let rt = "jit_binding";
    let s = specs(&mut p).await;
    let config = binding_config(&p, &s, "pat-reports", NB, EXP);

    // Create: compiled outputs known at plan time, status after apply.
    let (plan, state, private) = p.plan_and_apply(rt, &M::Nil, &config, &[]).await;
    assert!(plan.requires_replace.is_empty());
    assert_eq!(plan.planned.get("id"), &M::s("pat-reports"));
    for k in OUTPUTS
        .iter()
        .filter(|k| !["gcp_binding", "azure_schedule_request_json", "openbao_policy_hcl", "openbao_role"].contains(k))
    {
        let v = plan.planned.get(k);
        assert!(!v.is_unknown() && !v.is_null(), "`{k}` is known at plan time: {v:?}");
    }
    for k in ["gcp_binding", "azure_schedule_request_json", "openbao_policy_hcl", "openbao_role"] {
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
        for k in OUTPUTS.iter().chain(&["status"]) {
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

// ===========================================================================
// Read, import, upgrade.

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

// ===========================================================================
// Time: jit_binding.status.

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
async fn document_data_source_feeds_a_binding() {
    let mut p = start("2027-01-05T00:00:00Z").await;
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/no-windows.yaml");
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
