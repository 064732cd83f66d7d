//! Mutual TLS over the unix socket, exactly as Terraform (go-plugin AutoMTLS)
//! does it: the client makes an ECDSA P-521 / SHA-512 self-signed CA
//! certificate, passes it in `PLUGIN_CLIENT_CERT`, reads the server
//! certificate from field 6 of the handshake line, trusts only that, dials
//! with ServerName `localhost` and ALPN `h2`, and presents its certificate.
//! Everything runs in-process on a unix socket in a temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use base64::Engine;
use hyper_util::rt::TokioIo;
use jit_provider::clock::FixedClock;
use jit_provider::proto::plugin as plugin_pb;
use jit_provider::proto::tfplugin6 as pb;
use jit_provider::resources::Ctx;
use jit_provider::server::{self, Env, Prepared, StartError, MAGIC_COOKIE_VALUE};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::Notify;
use tonic::transport::{Channel, Endpoint, Uri};

/// Every wait in this file is bounded by this.
const BOUND: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------
// Certificates, as go-plugin makes them.

struct Identity {
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
    pem: String,
}

/// go-plugin's `generateCert`: ECDSA P-521 signed with SHA-512, self-signed,
/// CA:true, SAN localhost, client and server auth.
fn go_plugin_cert() -> Identity {
    cert_with(&rcgen::PKCS_ECDSA_P521_SHA512)
}

fn cert_with(alg: &'static rcgen::SignatureAlgorithm) -> Identity {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyAgreement,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth, rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.self_signed(&key).unwrap();
    Identity { cert_der: cert.der().to_vec(), key_der: key.serialize_der(), pem: cert.pem() }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

// ---------------------------------------------------------------------------
// The client side: Terraform's view of the connection.

/// Trusts exactly one server certificate (the one from field 6) for the name
/// `localhost`, and verifies handshake signatures with aws-lc-rs. This is
/// what Go's verifier amounts to with that certificate as the only root:
/// webpki would refuse it, as a CA used as an end entity.
#[derive(Debug)]
struct PinnedServer {
    der: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name_ok = matches!(server_name, ServerName::DnsName(n) if n.as_ref() == "localhost");
        if name_ok && intermediates.is_empty() && end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Presents a certificate with whatever key it is given, without rustls
/// checking that they match (an attacker holding only the public cert).
#[derive(Debug)]
struct AnyKey(Arc<CertifiedKey>);

impl ResolvesClientCert for AnyKey {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

enum ClientAuth<'a> {
    None,
    Cert(&'a Identity),
    /// This certificate, signing with that key.
    Mismatched {
        cert: &'a Identity,
        key: &'a Identity,
    },
}

fn client_config(server_der: &[u8], auth: ClientAuth<'_>, tls12_only: bool) -> Arc<ClientConfig> {
    let p = provider();
    let versions: &[&rustls::SupportedProtocolVersion] =
        if tls12_only { &[&rustls::version::TLS12] } else { rustls::DEFAULT_VERSIONS };
    let builder = ClientConfig::builder_with_provider(p.clone())
        .with_protocol_versions(versions)
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer { der: server_der.to_vec(), provider: p.clone() }));
    let mut cfg = match auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Cert(id) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(id.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
            )
            .unwrap(),
        ClientAuth::Mismatched { cert, key } => {
            let signing = p
                .key_provider
                .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key_der.clone())))
                .unwrap();
            let ck = CertifiedKey::new(vec![CertificateDer::from(cert.cert_der.clone())], signing);
            assert!(ck.keys_match().is_err(), "the test needs a key that does not match the certificate");
            builder.with_client_cert_resolver(Arc::new(AnyKey(Arc::new(ck))))
        }
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(cfg)
}

/// What the last TLS connection negotiated.
#[derive(Debug, Default, Clone)]
struct Negotiated {
    alpn: Option<Vec<u8>>,
    version: Option<rustls::ProtocolVersion>,
}

/// A gRPC channel over TLS over the unix socket.
async fn connect(
    socket: &Path,
    cfg: Arc<ClientConfig>,
    seen: Arc<Mutex<Negotiated>>,
) -> Result<Channel, tonic::transport::Error> {
    let socket: PathBuf = socket.to_path_buf();
    let connector = tower::service_fn(move |_: Uri| {
        let (socket, cfg, seen) = (socket.clone(), cfg.clone(), seen.clone());
        async move {
            let stream = UnixStream::connect(&socket).await?;
            let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
            let tls = tokio_rustls::TlsConnector::from(cfg).connect(name, stream).await?;
            {
                let (_, conn) = tls.get_ref();
                let mut s = seen.lock().unwrap();
                s.alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
                s.version = conn.protocol_version();
            }
            Ok::<_, std::io::Error>(TokioIo::new(tls))
        }
    });
    Endpoint::from_static("http://localhost")
        .connect_timeout(BOUND)
        .timeout(BOUND)
        .connect_with_connector(connector)
        .await
}

/// GetProviderSchema through a fresh connection; `Err` with a description
/// when the connection or the call fails.
async fn call_schema(
    socket: &Path,
    cfg: Arc<ClientConfig>,
) -> Result<(pb::get_provider_schema::Response, Negotiated), String> {
    let seen = Arc::new(Mutex::new(Negotiated::default()));
    let attempt = async {
        let channel = connect(socket, cfg, seen.clone()).await.map_err(|e| format!("connect: {e:?}"))?;
        let mut client =
            pb::provider_client::ProviderClient::new(channel).max_decoding_message_size(server::MAX_MESSAGE);
        client
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await
            .map(tonic::Response::into_inner)
            .map_err(|s| format!("rpc: {s:?}"))
    };
    let resp = tokio::time::timeout(BOUND, attempt).await.map_err(|_| "timed out".to_string())??;
    let n = seen.lock().unwrap().clone();
    Ok((resp, n))
}

/// The server refused the TLS handshake with an alert (not a timeout, not
/// some later gRPC error).
fn assert_refused_by_tls(err: &str) {
    assert!(err.contains("alert") || err.contains("Alert"), "refused by a TLS alert from the server: {err}");
}

// ---------------------------------------------------------------------------
// The server side.

struct Running {
    _dir: tempfile::TempDir,
    socket: PathBuf,
    server_der: Vec<u8>,
    client: Identity,
    shutdown: Arc<Notify>,
    serve: tokio::task::JoinHandle<Result<(), StartError>>,
}

fn tls_env(client: &Identity) -> Env {
    Env {
        cookie: Some(MAGIC_COOKIE_VALUE.to_string()),
        protocol_versions: Some("5,6".to_string()),
        client_cert: Some(client.pem.clone()),
        disable_tls: false,
        tcp: false,
    }
}

/// Check the handshake line and return the server certificate's DER.
fn check_line(p: &Prepared) -> Vec<u8> {
    let fields: Vec<&str> = p.line.split('|').collect();
    assert_eq!(fields.len(), 6, "exactly six fields: {}", p.line);
    assert_eq!(&fields[..3], &["1", "6", "unix"], "core version, app protocol, network");
    assert_eq!(fields[3], p.socket.display().to_string(), "address is the socket");
    assert_eq!(fields[4], "grpc");
    assert!(!p.line.contains('\n'), "one line");
    assert!(!fields[5].is_empty(), "a client certificate was given: the server certificate must follow");
    assert!(!fields[5].contains('='), "base64 without padding");
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("field 6 is standard base64 without padding")
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let client = go_plugin_cert();
    let prepared = server::prepare(&tls_env(&client), dir.path()).unwrap();
    assert!(prepared.tls.is_some(), "TLS is on when a client certificate is given");
    let server_der = check_line(&prepared);
    let socket = prepared.socket.clone();
    assert!(socket.starts_with(dir.path()), "the socket lives in the directory given");
    let shutdown = Arc::new(Notify::new());
    let ctx = Ctx::new(Arc::new(FixedClock::new("2030-01-01T00:00:00Z".parse().unwrap())));
    let serve = tokio::spawn(server::serve(prepared, ctx, shutdown.clone()));
    Running { _dir: dir, socket, server_der, client, shutdown, serve }
}

impl Running {
    fn good_config(&self) -> Arc<ClientConfig> {
        client_config(&self.server_der, ClientAuth::Cert(&self.client), false)
    }

    /// The right client still gets through: a refusal before was about the
    /// certificate, not a dead server.
    async fn assert_still_serving(&self) {
        let (resp, _) = call_schema(&self.socket, self.good_config()).await.expect("the right client is served");
        assert!(resp.resource_schemas.contains_key("jit_binding"));
    }

    async fn stop(self) {
        self.shutdown.notify_one();
        let _ = tokio::time::timeout(BOUND, self.serve).await;
    }
}

// ---------------------------------------------------------------------------
// The handshake line and `prepare`.

#[tokio::test]
async fn handshake_line_carries_a_localhost_server_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let client = go_plugin_cert();
    let prepared = server::prepare(&tls_env(&client), dir.path()).unwrap();
    let der = check_line(&prepared);
    assert_ne!(der, client.cert_der, "the server has its own certificate");
    let (rest, cert) = x509_parser::parse_x509_certificate(&der).expect("field 6 is a DER certificate");
    assert!(rest.is_empty(), "nothing after the certificate");
    let san = cert.subject_alternative_name().unwrap().expect("a SAN extension");
    let dns: Vec<String> = san
        .value
        .general_names
        .iter()
        .filter_map(|g| match g {
            x509_parser::extensions::GeneralName::DNSName(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(dns, vec!["localhost".to_string()], "SAN localhost (Terraform dials ServerName localhost)");
    let eku = cert.extended_key_usage().unwrap().expect("an EKU extension");
    assert!(eku.value.server_auth, "EKU serverAuth");
    let validity = cert.validity();
    let now = x509_parser::time::ASN1Time::now();
    assert!(validity.not_before <= now && now < validity.not_after, "valid now");
    // The socket is bound before the line is printed.
    assert!(prepared.socket.exists(), "the socket exists when the line is announced");
    let mut out = Vec::new();
    server::announce(&prepared.line, &mut out).unwrap();
    assert_eq!(out, format!("{}\n", prepared.line).into_bytes(), "announce writes the line and a newline only");
}

#[tokio::test] // `prepare` binds a tokio listener
async fn prepare_refuses_without_the_magic_cookie() {
    let dir = tempfile::tempdir().unwrap();
    for cookie in [None, Some("nope".to_string()), Some(format!("{MAGIC_COOKIE_VALUE} "))] {
        let env =
            Env { cookie, protocol_versions: Some("5,6".into()), client_cert: None, disable_tls: true, tcp: false };
        assert!(matches!(server::prepare(&env, dir.path()), Err(StartError::NotAPlugin)), "{env:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no socket is bound when refusing");
}

#[tokio::test] // `prepare` binds a tokio listener
async fn prepare_needs_protocol_6() {
    let dir = tempfile::tempdir().unwrap();
    let env = |v: &str| Env {
        cookie: Some(MAGIC_COOKIE_VALUE.into()),
        protocol_versions: Some(v.into()),
        client_cert: None,
        disable_tls: true,
        tcp: false,
    };
    match server::prepare(&env("5"), dir.path()) {
        Err(StartError::Protocol(v)) => assert_eq!(v, "5"),
        other => panic!("protocol 5 only must be refused, got {other:?}"),
    }
    assert!(matches!(server::prepare(&env("4,5"), dir.path()), Err(StartError::Protocol(_))));
    for ok in ["6", "6,5", " 5, 6 ", "5,6,7"] {
        let p = server::prepare(&env(ok), dir.path()).unwrap_or_else(|e| panic!("`{ok}` offers 6: {e}"));
        assert!(p.line.starts_with("1|6|unix|"), "{}", p.line);
    }
}

/// Over TCP (Windows' transport, or `JIT_PLUGIN_TRANSPORT=tcp`): the line
/// names 127.0.0.1 and the port that is listening.
#[tokio::test] // `prepare` binds a tokio listener
async fn prepare_over_tcp_announces_a_loopback_port() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env { tcp: true, ..tls_env(&go_plugin_cert()) };
    let p = server::prepare(&env, dir.path()).unwrap();
    let fields: Vec<&str> = p.line.split('|').collect();
    assert_eq!(&fields[..3], ["1", "6", "tcp"], "{}", p.line);
    let addr: std::net::SocketAddr = fields[3].parse().expect("an address");
    assert!(addr.ip().is_loopback() && addr.port() > 0, "{addr}");
    assert!(std::net::TcpStream::connect(addr).is_ok(), "the port is listening");
    assert!(!fields[5].is_empty(), "TLS stays on over TCP");
    assert!(p.socket.as_os_str().is_empty(), "no socket file");
}

#[tokio::test] // `prepare` binds a tokio listener
async fn prepare_without_tls_announces_an_empty_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        cookie: Some(MAGIC_COOKIE_VALUE.into()),
        protocol_versions: Some("5,6".into()),
        client_cert: Some(go_plugin_cert().pem),
        disable_tls: true,
        tcp: false,
    };
    let p = server::prepare(&env, dir.path()).unwrap();
    assert!(p.tls.is_none());
    let fields: Vec<&str> = p.line.split('|').collect();
    assert_eq!(fields.len(), 6, "{}", p.line);
    assert_eq!(fields[5], "", "field 6 is empty without TLS");
}

#[tokio::test] // `prepare` binds a tokio listener
async fn prepare_refuses_a_client_cert_that_is_not_pem() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env {
        cookie: Some(MAGIC_COOKIE_VALUE.into()),
        protocol_versions: Some("6".into()),
        client_cert: Some("not a certificate".into()),
        disable_tls: false,
        tcp: false,
    };
    assert!(matches!(server::prepare(&env, dir.path()), Err(StartError::ClientCert)));
}

// ---------------------------------------------------------------------------
// Mutual TLS.

#[tokio::test]
async fn the_right_client_is_served_over_h2() {
    let r = start().await;
    let (resp, seen) = call_schema(&r.socket, r.good_config()).await.expect("Terraform's client is served");
    assert!(resp.diagnostics.is_empty());
    assert!(resp.resource_schemas.contains_key("jit_role"));
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]), "ALPN h2 negotiated (grpc-go >= 1.67 requires it)");
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_3));
    r.stop().await;
}

#[tokio::test]
async fn the_right_client_is_served_over_tls12_too() {
    let r = start().await;
    let cfg = client_config(&r.server_der, ClientAuth::Cert(&r.client), true);
    let (_, seen) = call_schema(&r.socket, cfg).await.expect("TLS 1.2 with a P-521 client certificate works");
    assert_eq!(seen.version, Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(seen.alpn.as_deref(), Some(&b"h2"[..]));
    r.stop().await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let r = start().await;
    for tls12 in [false, true] {
        let cfg = client_config(&r.server_der, ClientAuth::None, tls12);
        let err = call_schema(&r.socket, cfg).await.expect_err("no client certificate must be refused");
        assert_refused_by_tls(&err);
    }
    r.assert_still_serving().await;
    r.stop().await;
}

#[tokio::test]
async fn a_client_with_another_p521_certificate_is_refused() {
    let r = start().await;
    let other = go_plugin_cert();
    assert_ne!(other.cert_der, r.client.cert_der);
    for tls12 in [false, true] {
        let cfg = client_config(&r.server_der, ClientAuth::Cert(&other), tls12);
        let err = call_schema(&r.socket, cfg).await.expect_err("another certificate must be refused");
        assert_refused_by_tls(&err);
    }
    r.assert_still_serving().await;
    r.stop().await;
}

#[tokio::test]
async fn the_right_certificate_with_the_wrong_key_is_refused() {
    // Holding the public certificate is not enough: the handshake signature
    // must verify against it. Another P-521 key (same scheme), and a P-256
    // key (another scheme), both signing for Terraform's certificate.
    let r = start().await;
    let p521 = go_plugin_cert();
    let p256 = cert_with(&rcgen::PKCS_ECDSA_P256_SHA256);
    for key in [&p521, &p256] {
        for tls12 in [false, true] {
            let cfg = client_config(&r.server_der, ClientAuth::Mismatched { cert: &r.client, key }, tls12);
            let err = call_schema(&r.socket, cfg).await.expect_err("a forged handshake signature must be refused");
            assert_refused_by_tls(&err);
        }
    }
    r.assert_still_serving().await;
    r.stop().await;
}

#[tokio::test]
async fn a_client_trusting_another_server_certificate_fails() {
    // The client side of the pinning: a server certificate other than the
    // one announced is not accepted (sanity check of the test client).
    let r = start().await;
    let cfg = client_config(&go_plugin_cert().cert_der, ClientAuth::Cert(&r.client), false);
    let err = call_schema(&r.socket, cfg).await.expect_err("an unpinned server certificate is refused");
    assert!(err.contains("UnknownIssuer"), "the client refused the certificate: {err}");
    r.assert_still_serving().await;
    r.stop().await;
}

#[tokio::test]
async fn shutdown_ends_serve_and_removes_the_socket() {
    let r = start().await;
    let seen = Arc::new(Mutex::new(Negotiated::default()));
    let channel = tokio::time::timeout(BOUND, connect(&r.socket, r.good_config(), seen)).await.unwrap().unwrap();
    let mut provider = pb::provider_client::ProviderClient::new(channel.clone());
    provider.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap();
    let mut controller = plugin_pb::grpc_controller_client::GrpcControllerClient::new(channel);
    let shutdown_call = tokio::time::timeout(BOUND, controller.shutdown(plugin_pb::Empty {})).await;
    assert!(matches!(shutdown_call, Ok(Ok(_))), "Shutdown is answered: {shutdown_call:?}");
    // Terraform kills the plugin 2 s after Shutdown; the connection is
    // still open here (the clients are alive), as it may be in Terraform.
    let done = tokio::time::timeout(Duration::from_secs(5), r.serve).await;
    match done {
        Ok(Ok(Ok(()))) => {}
        other => panic!("serve must return Ok within 5 s of Shutdown, got {other:?}"),
    }
    assert!(!r.socket.exists(), "the socket file is removed");
    drop(provider);
    drop(controller);
}
