//! go-plugin AutoMTLS: our self-signed server certificate, and client
//! authentication that accepts exactly the certificate Terraform gave us in
//! `PLUGIN_CLIENT_CERT` and nothing else.
//!
//! Terraform's client certificate is ECDSA P-521 / SHA-512 and a CA. Path
//! validation would reject a CA as an end entity, and ring cannot verify
//! P-521; so the verifier compares the certificate's DER byte for byte and
//! verifies the handshake signature with aws-lc-rs, which supports P-521.
//!
//! Everything else (key generation, signing, key exchange, randomness) is
//! ring: aws-lc seeds its RNG from CPU jitter on first use, which costs about
//! 40 ms, and the handshake line must come quickly. Verification needs no
//! randomness, so aws-lc's RNG is never started.

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, ServerConfig, SignatureScheme};
use std::sync::Arc;

/// A certificate and its key.
#[derive(Debug)]
pub struct Identity {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

/// A fresh self-signed server certificate as go-plugin makes them: SAN
/// `localhost`, server and client auth, CA (Terraform trusts it as its own
/// root). ECDSA P-256 here; any curve rustls signs with works.
pub fn server_identity() -> Result<Identity, rcgen::Error> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])?;
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "HashiCorp");
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages =
        vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let now = jiff::Timestamp::now().as_second();
    params.not_before = rcgen::date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs((now - 30).max(0) as u64);
    params.not_after =
        rcgen::date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs((now + 30 * 365 * 86_400) as u64);
    let cert = params.self_signed(&key)?;
    Ok(Identity { cert_der: cert.der().to_vec(), key_der: key.serialize_der() })
}

pub use jit_openbao::tls::pem_to_der;

/// Accepts exactly one client certificate.
#[derive(Debug)]
pub struct ExactClientCert {
    expected: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ExactClientCert {
    pub fn new(expected: Vec<u8>, provider: Arc<CryptoProvider>) -> Self {
        ExactClientCert { expected, provider }
    }
}

impl ClientCertVerifier for ExactClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        if intermediates.is_empty() && end_entity.as_ref() == self.expected.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

pub use jit_openbao::tls::crypto_provider;

/// The rustls server configuration: our identity, exact client
/// authentication, and ALPN `h2` (grpc-go >= 1.67 requires it).
pub fn server_config(identity: &Identity, client_cert_der: Vec<u8>) -> Result<ServerConfig, Error> {
    let provider = Arc::new(crypto_provider());
    let verifier = Arc::new(ExactClientCert::new(client_cert_der, provider.clone()));
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(identity.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_der.clone())),
        )?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(cfg)
}
