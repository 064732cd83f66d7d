//! Sizes and digests of models, shared by lowering (which checks target
//! limits and fingerprints grants) and rendering. It sits below both, so
//! neither stage needs the other to measure what it builds.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// SHA-256 of bytes, as `sha256:<hex>`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// SHA-256 of a value's compact JSON, as `sha256:<hex>`.
pub fn json_digest<T: Serialize>(value: &T) -> String {
    sha256(&serde_json::to_vec(value).unwrap_or_default())
}

/// Characters of a value's compact JSON, whitespace not counted (the way
/// AWS measures policy size).
pub fn json_chars_without_whitespace<T: Serialize>(value: &T) -> usize {
    serde_json::to_string(value).map(|s| s.chars().filter(|c| !c.is_whitespace()).count()).unwrap_or(usize::MAX)
}
