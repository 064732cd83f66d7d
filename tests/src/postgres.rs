//! A real PostgreSQL server per test, on loopback with an ephemeral port,
//! in a temporary folder, stopped on drop (`tools/pg-dev.sh`; the server
//! also stops itself after an hour), and `psql` to use it.

use crate::root;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
pub struct Postgres {
    pub dir: PathBuf,
    pub port: u16,
    /// The superuser (`admin`) and its password.
    pub user: String,
    pub password: String,
}

impl Postgres {
    pub fn start(name: &str) -> Postgres {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("jit-pg-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("pg dir");
        let out = Command::new("bash")
            .args(["tools/pg-dev.sh", "start", &dir.display().to_string()])
            .current_dir(root())
            .stderr(Stdio::inherit())
            .output()
            .expect("run tools/pg-dev.sh");
        assert!(out.status.success(), "tools/pg-dev.sh start failed");
        let env_file = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string();
        let env = std::fs::read_to_string(env_file).expect("env file");
        let get = |k: &str| env.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).unwrap_or_default().to_string();
        Postgres { port: get("PGPORT").parse().expect("PGPORT"), user: get("PGUSER"), password: get("PGPASSWORD"), dir }
    }

    /// `postgresql://` URL template for OpenBao's database engine (with its
    /// `{{username}}`/`{{password}}` placeholders).
    pub fn connection_url(&self) -> String {
        format!("postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    /// Run `sql` as `user` over TCP (password authentication); stdout, or
    /// the server's refusal.
    pub fn query_as(&self, user: &str, password: &str, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", user)
            .env("PGPASSWORD", password)
            .env("PGDATABASE", "postgres")
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .expect("psql");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Run `sql` as the superuser.
    pub fn admin(&self, sql: &str) -> String {
        self.query_as(&self.user, &self.password, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub fn stop(&self) {
        let _ = Command::new("bash")
            .args(["tools/pg-dev.sh", "stop", &self.dir.display().to_string()])
            .current_dir(root())
            .output();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
