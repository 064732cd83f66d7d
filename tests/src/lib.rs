//! Shared helpers of the end-to-end tests: the repository root and the
//! project-local Python and Node tools (CEL engines, IAM evaluators,
//! parliament, JSON Schema).
//!
//! These tests drive real, independent implementations; they need no
//! network once `tools/setup-python.sh` has installed the pinned tools.

pub mod cluster;
pub mod openbao;
pub mod postgres;
pub mod terraform;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Run a `tools/setup-*.sh` script (it installs what is missing and prints
/// one path on stdout) and return that path.
pub fn setup(script: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("tools").join(script))
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run tools/{script}: {e}"));
    assert!(out.status.success(), "tools/{script} failed");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The venv's python, installing the pinned tools on first use.
pub fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| setup("setup-python.sh"))
}

/// Node with the pinned Node tools (`tools/node`: iam-simulate), installed
/// on first use by `tools/setup-node.sh`.
pub fn node() -> &'static Path {
    static NODE: OnceLock<PathBuf> = OnceLock::new();
    NODE.get_or_init(|| setup("setup-node.sh"))
}

/// Run a script of `tests/tools/` with arguments and stdin; returns
/// (exit code, stdout, stderr). `.mjs` scripts run on [`node`], the rest on
/// [`python`].
pub fn run_tool(script: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let interpreter = if script.ends_with(".mjs") { node() } else { python() };
    let mut child = Command::new(interpreter)
        .arg(root().join("tests/tools").join(script))
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).unwrap_or_else(|e| panic!("writing to {script}: {e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("waiting for {script}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The debug build of `jitc` (built once if needed).
pub fn jitc_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = root().join("target/debug/jitc");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "-q", "-p", "jitc"])
            .current_dir(root())
            .status()
            .unwrap_or_else(|e| panic!("cannot build jitc: {e}"));
        assert!(status.success() && bin.is_file(), "jitc build failed");
        bin
    })
    .clone()
}

/// The start of a broker-mode configuration: the provider with an empty
/// `openbao` block (address and token from the environment) and a role
/// `r` granting `read` on `path`.
pub fn broker_header(path: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    jit = {{ source = \"registry.terraform.io/jit/jit\" }}\n  }}\n}}\nprovider \"jit\" {{\n  openbao {{}}\n}}\nresource \"jit_role\" \"r\" {{\n  name = \"kv\"\n  openbao {{\n    path {{\n      path         = \"{path}\"\n      capabilities = [\"read\"]\n    }}\n  }}\n}}\n"
    )
}

/// Every policy file under a folder, sorted.
pub fn policy_files(dir: &Path) -> Vec<PathBuf> {
    jit_policy::load::policy_files(dir).unwrap_or_else(|e| panic!("{e}"))
}

/// A small deterministic generator (xorshift64*), so sampled tests are
/// reproducible without a seed file.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..hi` (hi > lo).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo).max(1) as u64)) as i64
    }
}
