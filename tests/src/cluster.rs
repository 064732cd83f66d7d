//! A real three-node OpenBao cluster (integrated storage) on loopback per
//! test, stopped on drop (`tools/bao-cluster.sh`; it also stops itself after
//! an hour), with a small HTTP client that asks whichever node answers.

use crate::openbao::Bao;
use crate::root;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
pub struct Cluster {
    pub dir: PathBuf,
    /// Each node's API address, nodes 1 to 3.
    pub addrs: Vec<String>,
    pub token: String,
}

fn script(args: &[&str]) -> (bool, String) {
    let out = Command::new("bash")
        .args(args)
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    (out.status.success(), String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Cluster {
    pub fn start(name: &str) -> Cluster {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("jit-cluster-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (ok, out) = script(&["tools/bao-cluster.sh", "start", &dir.display().to_string()]);
        assert!(ok, "tools/bao-cluster.sh start failed");
        let env = std::fs::read_to_string(out.lines().last().unwrap_or_default()).expect("env file");
        let get = |k: &str| env.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_default().to_string();
        let addrs = (1..=3).map(|i| get(&format!("BAO_ADDR_{i}"))).collect();
        Cluster { addrs, token: get("BAO_TOKEN"), dir }
    }

    /// The active node (1 to 3), if one is.
    pub fn active(&self) -> Option<usize> {
        let (ok, out) = script(&["tools/bao-cluster.sh", "active", &self.dir.display().to_string()]);
        ok.then(|| out.parse().ok()).flatten()
    }

    /// SIGKILL node `n`.
    pub fn kill(&self, n: usize) {
        let (ok, _) = script(&["tools/bao-cluster.sh", "kill", &self.dir.display().to_string(), &n.to_string()]);
        assert!(ok, "kill node {n}");
    }

    /// A client of node `n` (1 to 3), with the root token.
    pub fn node(&self, n: usize) -> Bao {
        Bao::client(&self.addrs[n - 1], &self.token)
    }

    /// A request answered by the first live node that serves it (standbys
    /// forward to the active node).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut last = (0, Value::Null);
        for n in 1..=3 {
            last = self.node(n).try_request(method, path, body, None);
            if (200..500).contains(&last.0) {
                return last;
            }
        }
        last
    }

    pub fn stop(&self) {
        let _ = script(&["tools/bao-cluster.sh", "stop", &self.dir.display().to_string()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
