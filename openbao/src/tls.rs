//! TLS helpers shared by the provider's server and this client: ring for
//! key exchange, signing and randomness; aws-lc-rs only for signature
//! verification (P-521). aws-lc seeds its RNG from CPU jitter on first use
//! (about 40 ms); verification needs no randomness, so that never runs.

use rustls::crypto::CryptoProvider;

/// The DER of the first certificate in a PEM text.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = pem[start..].find("-----END CERTIFICATE-----")? + start;
    let b64: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// ring for everything but signature verification, which comes from
/// aws-lc-rs (P-521).
pub fn crypto_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.signature_verification_algorithms =
        rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
    provider
}
