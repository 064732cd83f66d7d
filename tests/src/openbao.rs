//! A real OpenBao dev server per test, on loopback, stopped on drop
//! (`tools/bao-dev.sh`; the server also stops itself after an hour), and a
//! small HTTP client to check objects behind the provider's back.

use crate::root;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
pub struct Bao {
    pub dir: PathBuf,
    pub addr: String,
    pub token: String,
    unseal_key: String,
    /// Whether this value started the server (and stops it on drop).
    owned: bool,
}

fn script(args: &[&str]) -> String {
    let out = Command::new("bash")
        .args(args)
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(out.status.success(), "{args:?} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The `bao` executable (installed by `tools/setup-openbao.sh`, which
/// prints the folder that holds it).
pub fn bao_bin() -> PathBuf {
    PathBuf::from(script(&["tools/setup-openbao.sh"])).join("bao")
}

impl Bao {
    pub fn start(name: &str) -> Bao {
        script(&["tools/setup-openbao.sh"]);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("jit-bao-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("bao dir");
        let env_file = script(&["tools/bao-dev.sh", "start", &dir.display().to_string()]);
        let env = std::fs::read_to_string(env_file.lines().last().unwrap_or_default()).expect("env file");
        let get = |k: &str| {
            env.lines().find_map(|l| l.strip_prefix(&format!("{k}=")).map(str::to_string)).unwrap_or_default()
        };
        Bao { addr: get("BAO_ADDR"), token: get("BAO_TOKEN"), unseal_key: get("BAO_UNSEAL_KEY"), dir, owned: true }
    }

    /// A client of a server started elsewhere (a cluster's node).
    pub fn client(addr: &str, token: &str) -> Bao {
        Bao {
            dir: PathBuf::new(),
            addr: addr.to_string(),
            token: token.to_string(),
            unseal_key: String::new(),
            owned: false,
        }
    }

    /// Environment for Terraform: the provider reads BAO_ADDR and BAO_TOKEN.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![("BAO_ADDR", self.addr.as_str()), ("BAO_TOKEN", self.token.as_str())]
    }

    /// One HTTP/1.1 request to the server; (status, JSON body or Null).
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>, token: Option<&str>) -> (u16, Value) {
        let hostport = self.addr.trim_start_matches("http://");
        assert!(TcpStream::connect(hostport).is_ok(), "connect to OpenBao at {}", self.addr);
        self.try_request(method, path, body, token)
    }

    /// As [`Bao::request`], with status 0 when nothing answers.
    pub fn try_request(&self, method: &str, path: &str, body: Option<&Value>, token: Option<&str>) -> (u16, Value) {
        let hostport = self.addr.trim_start_matches("http://");
        let Ok(mut s) = TcpStream::connect(hostport) else {
            return (0, Value::Null);
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
        let body = body.map(Value::to_string).unwrap_or_default();
        let token = token.unwrap_or(&self.token);
        let req = format!(
            "{method} /v1/{path} HTTP/1.1\r\nHost: {hostport}\r\nX-Vault-Token: {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if s.write_all(req.as_bytes()).is_err() {
            return (0, Value::Null);
        }
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
        // Chunked bodies: take the JSON object between the first { and last }.
        let json = match (body.find('{'), body.rfind('}')) {
            (Some(a), Some(b)) if b > a => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (status, json)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None, None)
    }

    pub fn seal(&self) {
        assert_eq!(self.request("PUT", "sys/seal", None, None).0, 204);
    }

    pub fn unseal(&self) {
        let body = serde_json::json!({ "key": self.unseal_key });
        assert_eq!(self.request("PUT", "sys/unseal", Some(&body), None).0, 200);
    }

    /// A token whose policy allows nothing.
    pub fn powerless_token(&self) -> String {
        let p = serde_json::json!({"policy": "path \"sys/health\" { capabilities = [\"read\"] }"});
        assert_eq!(self.request("PUT", "sys/policies/acl/nothing", Some(&p), None).0, 204);
        let (_, v) = self.request(
            "POST",
            "auth/token/create",
            Some(&serde_json::json!({"policies": ["nothing"], "ttl": "1h"})),
            None,
        );
        v["auth"]["client_token"].as_str().expect("token").to_string()
    }

    /// A token for binding `binding`'s AppRole role (`jit-BINDING`), logged
    /// in as a workload would be without `jit_credential`: a fresh secret
    /// id from the root token, then `auth/approle/login`.
    pub fn approle_login(&self, binding: &str) -> String {
        let role = format!("auth/approle/role/jit-{binding}");
        let (s, id) = self.get(&format!("{role}/role-id"));
        assert_eq!(s, 200, "{id}");
        let (s, secret) = self.request("POST", &format!("{role}/secret-id"), None, None);
        assert_eq!(s, 200, "{secret}");
        let body = serde_json::json!({"role_id": id["data"]["role_id"], "secret_id": secret["data"]["secret_id"]});
        let (s, auth) = self.request("POST", "auth/approle/login", Some(&body), Some(""));
        assert_eq!(s, 200, "{auth}");
        auth["auth"]["client_token"].as_str().expect("token").to_string()
    }

    pub fn stop(&self) {
        let _ = Command::new("bash")
            .args(["tools/bao-dev.sh", "stop", &self.dir.display().to_string()])
            .current_dir(root())
            .output();
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Every OpenBao service-token-looking string (`s.` and 24 alphanumerics)
/// in a text.
pub fn tokens_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for i in 0..b.len().saturating_sub(25) {
        if b[i] == b's'
            && b[i + 1] == b'.'
            && b[i + 2..i + 26].iter().all(u8::is_ascii_alphanumeric)
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            out.push(text[i..i + 26].to_string());
        }
    }
    out
}
