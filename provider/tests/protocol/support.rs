//! What every protocol test uses: a small msgpack codec for cty values
//! (independent of the provider's), schemas as Terraform reads them and
//! Terraform's own checks on plans and applies, diagnostics, the provider
//! under test on a unix socket, and configurations.

pub use hyper_util::rt::TokioIo;
pub use jit_provider::clock::FixedClock;
pub use jit_provider::proto::tfplugin6 as pb;
pub use jit_provider::resources::Ctx;
pub use jit_provider::server::{self, Env, StartError, MAGIC_COOKIE_VALUE};
pub use std::collections::{BTreeMap, BTreeSet};
pub use std::path::PathBuf;
pub use std::sync::Arc;
pub use std::time::Duration;
pub use tokio::net::UnixStream;
pub use tokio::sync::Notify;
pub use tonic::transport::{Channel, Endpoint, Uri};

/// Every wait in these tests is bounded by this.
pub const BOUND: Duration = Duration::from_secs(10);

// ===========================================================================
// A tiny msgpack codec for cty values.

/// A cty value as msgpack carries it.
#[derive(Debug, Clone)]
pub enum M {
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
    pub fn s(x: &str) -> M {
        M::Str(x.to_string())
    }
    pub fn strs(xs: &[&str]) -> M {
        M::Arr(xs.iter().map(|x| M::s(x)).collect())
    }
    pub fn num(&self) -> Option<f64> {
        match self {
            M::Int(i) => Some(*i as f64),
            M::F64(f) => Some(*f),
            _ => None,
        }
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, M::Unknown | M::Refined(_))
    }
    pub fn is_null(&self) -> bool {
        matches!(self, M::Nil)
    }
    pub fn wholly_known(&self) -> bool {
        match self {
            M::Unknown | M::Refined(_) => false,
            M::Arr(v) => v.iter().all(M::wholly_known),
            M::Map(m) => m.values().all(M::wholly_known),
            _ => true,
        }
    }
    pub fn get(&self, k: &str) -> &M {
        static NIL: M = M::Nil;
        match self {
            M::Map(m) => m.get(k).unwrap_or(&NIL),
            _ => &NIL,
        }
    }
    pub fn str(&self) -> &str {
        match self {
            M::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
    /// A copy with attribute `k` set.
    pub fn with(&self, k: &str, v: M) -> M {
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
    pub fn diff(&self, other: &M) -> BTreeSet<String> {
        match (self, other) {
            (M::Map(a), M::Map(b)) => a.keys().chain(b.keys()).filter(|k| a.get(*k) != b.get(*k)).cloned().collect(),
            _ => panic!("not objects"),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    pub fn write(&self, out: &mut Vec<u8>) {
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

    pub fn decode(b: &[u8]) -> M {
        let mut i = 0;
        let v = M::read(b, &mut i);
        assert_eq!(i, b.len(), "trailing bytes after the value");
        v
    }

    pub fn read(b: &[u8], i: &mut usize) -> M {
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

pub fn dv(v: &M) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: v.encode(), json: vec![] })
}

pub fn undv(d: Option<pb::DynamicValue>) -> M {
    let d = d.expect("a DynamicValue");
    assert!(d.json.is_empty(), "the provider answers msgpack, not JSON");
    assert!(!d.msgpack.is_empty(), "an answer is never empty (null is 0xc0)");
    M::decode(&d.msgpack)
}

#[test]
pub fn codec_sanity() {
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
pub enum Ty {
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
    pub fn parse(j: &serde_json::Value) -> Result<Ty, String> {
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
    pub fn of_block(b: &pb::schema::Block) -> Ty {
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

    pub fn attrs(&self) -> &BTreeMap<String, Ty> {
        match self {
            Ty::Object(m) => m,
            other => panic!("not an object type: {other:?}"),
        }
    }
}

/// An object of type `t`: the given attributes, every other one null.
pub fn obj(t: &Ty, fields: &[(&str, M)]) -> M {
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
pub fn block_obj(b: &pb::schema::Block, fields: &[(&str, M)]) -> M {
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
pub fn assert_shape(v: &M, t: &Ty, at: &str) {
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
pub fn proposed_new(b: &pb::schema::Block, prior: &M, config: &M) -> M {
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
pub fn numbers(v: &M, t: &Ty) -> M {
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
pub fn assert_plan_valid(b: &pb::schema::Block, config: &M, planned: &M, at: &str) {
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
pub fn assert_compatible(planned: &M, actual: &M, at: &str) {
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

pub fn path_string(p: &pb::AttributePath) -> String {
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

pub fn errors(d: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    d.iter().filter(|x| x.severity() == pb::diagnostic::Severity::Error).collect()
}

#[track_caller]
pub fn assert_no_errors(d: &[pb::Diagnostic]) {
    let e = errors(d);
    assert!(e.is_empty(), "unexpected error diagnostics: {e:#?}");
}

/// The paths of the error diagnostics.
pub fn error_paths(d: &[pb::Diagnostic]) -> Vec<String> {
    errors(d).iter().map(|x| x.attribute.as_ref().map(path_string).unwrap_or_default()).collect()
}

// ===========================================================================
// The provider under test.

pub struct Provider {
    pub _dir: tempfile::TempDir,
    pub client: pb::provider_client::ProviderClient<Channel>,
    pub clock: Arc<FixedClock>,
    pub schemas: BTreeMap<String, pb::Schema>,
    pub data_schemas: BTreeMap<String, pb::Schema>,
    pub schema_resp: pb::get_provider_schema::Response,
    pub shutdown: Arc<Notify>,
    pub serve: Option<tokio::task::JoinHandle<Result<(), StartError>>>,
}

pub fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

pub async fn start(now: &str) -> Provider {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        cookie: Some(MAGIC_COOKIE_VALUE.into()),
        protocol_versions: Some("6".into()),
        client_cert: None,
        disable_tls: true,
        tcp: false,
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
pub struct Plan {
    pub planned: M,
    pub requires_replace: Vec<String>,
    pub private: Vec<u8>,
    pub diags: Vec<pb::Diagnostic>,
}

impl Provider {
    pub fn block(&self, rt: &str) -> &pb::schema::Block {
        self.schemas[rt].block.as_ref().unwrap()
    }
    pub fn ty(&self, rt: &str) -> Ty {
        Ty::of_block(self.block(rt))
    }
    /// A configuration of resource type `rt`.
    pub fn cfg(&self, rt: &str, fields: &[(&str, M)]) -> M {
        block_obj(self.block(rt), fields)
    }
    pub fn set_clock(&self, t: &str) {
        self.clock.set(ts(t));
    }

    pub async fn validate(&mut self, rt: &str, config: &M) -> Vec<pb::Diagnostic> {
        let req = pb::validate_resource_config::Request {
            type_name: rt.into(),
            config: dv(config),
            client_capabilities: None,
        };
        self.client.validate_resource_config(req).await.unwrap().into_inner().diagnostics
    }

    /// PlanResourceChange with Terraform's proposed new state, checked by
    /// Terraform's rules.
    pub async fn plan(&mut self, rt: &str, prior: &M, config: &M, prior_private: &[u8]) -> Plan {
        let proposed = proposed_new(self.block(rt), prior, config);
        self.plan_raw(rt, prior, &proposed, config, prior_private).await
    }

    pub async fn plan_raw(&mut self, rt: &str, prior: &M, proposed: &M, config: &M, prior_private: &[u8]) -> Plan {
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
    pub async fn apply(&mut self, rt: &str, prior: &M, plan: &Plan, config: &M) -> (M, Vec<u8>, Vec<pb::Diagnostic>) {
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
    pub async fn plan_and_apply(&mut self, rt: &str, prior: &M, config: &M, private: &[u8]) -> (Plan, M, Vec<u8>) {
        let plan = self.plan(rt, prior, config, private).await;
        assert_no_errors(&plan.diags);
        let again = self.plan(rt, prior, config, private).await;
        assert_compatible(&plan.planned, &again.planned, &format!("{rt} (apply-time re-plan)"));
        let (new, new_private, diags) = self.apply(rt, prior, &again, config).await;
        assert_no_errors(&diags);
        (plan, new, new_private)
    }

    pub async fn read(&mut self, rt: &str, state: &M, private: &[u8]) -> (M, Vec<u8>, Vec<pb::Diagnostic>) {
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

pub fn role_config(p: &Provider, name: &str, description: Option<&str>) -> M {
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

pub fn policy_config(p: &Provider, name: &str) -> M {
    p.cfg("jit_policy", &[("name", M::s(name)), ("max_grant", M::s("10d"))])
}

/// The `spec` a role or policy plans (known at plan time).
pub async fn spec_of(p: &mut Provider, rt: &str, config: &M) -> String {
    let plan = p.plan(rt, &M::Nil, config, &[]).await;
    assert_no_errors(&plan.diags);
    plan.planned.get("spec").str().to_string()
}

pub struct Specs {
    pub role: String,
    pub policy: String,
}

pub async fn specs(p: &mut Provider) -> Specs {
    let role = role_config(p, "reports-reader", None);
    let policy = policy_config(p, "short");
    Specs { role: spec_of(p, "jit_role", &role).await, policy: spec_of(p, "jit_policy", &policy).await }
}

pub fn binding_config(p: &Provider, s: &Specs, name: &str, not_before: &str, expires_at: &str) -> M {
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

pub const NB: &str = "2030-01-01T00:00:00Z";
pub const EXP: &str = "2030-01-08T00:00:00Z";

/// The compiled outputs of a binding: each registered target's flat
/// outputs, then `enforcement` and `digest`.
pub fn outputs() -> Vec<&'static str> {
    jit_policy::target::Target::ALL
        .iter()
        .flat_map(|t| t.flat_outputs())
        .map(|o| o.name)
        .chain(["enforcement", "digest"])
        .collect()
}

// ===========================================================================
// Schema.

// ===========================================================================
// Validation.

impl Ty {
    pub fn list_elem(self) -> Ty {
        match self {
            Ty::List(t) | Ty::Set(t) => *t,
            other => panic!("not a list: {other:?}"),
        }
    }
}

// ===========================================================================
// Plan and apply.

// ===========================================================================
// Read, import, upgrade.

// ===========================================================================
// Time: jit_binding.status.
