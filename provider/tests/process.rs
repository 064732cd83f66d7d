//! The provider binary as a process: run by hand it explains itself and
//! exits 1; run as a plugin it prints exactly one handshake line on stdout
//! and nothing else, and exits when asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-jit");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

#[test]
fn run_by_hand_prints_the_human_message_and_exits_1() {
    let out = Command::new(BIN).env_remove("TF_PLUGIN_MAGIC_COOKIE").stdin(Stdio::null()).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("This binary is a plugin") && err.contains("Terraform"), "{err}");
    // A wrong cookie is the same as none.
    let out = Command::new(BIN).env("TF_PLUGIN_MAGIC_COOKIE", "nope").stdin(Stdio::null()).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn only_the_handshake_line_reaches_stdout() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert =
        rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params").self_signed(&key).expect("cert");
    let mut child = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", cert.pem())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("handshake line");
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "{line}");
    assert_eq!(&fields[..3], &["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    assert!(std::path::Path::new(fields[3]).exists(), "the socket is bound before the line is printed");
    assert!(!fields[5].is_empty() && !fields[5].ends_with('='), "certificate in base64 without padding");
    // SIGTERM: the provider stops; nothing more was written to stdout.
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let start = Instant::now();
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "provider did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest of stdout");
    assert!(rest.is_empty(), "unexpected stdout after the handshake: {rest:?}");
    assert!(!std::path::Path::new(fields[3]).exists(), "socket removed on exit");
}

#[test]
fn unsupported_protocol_version_is_refused() {
    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}
