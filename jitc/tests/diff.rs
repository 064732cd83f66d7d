//! `jitc diff` over a scripted git repository: one commit per kind of
//! change, plus a rename and a move that must report nothing. The JSON of
//! each step is asserted and the Markdown of the whole history snapshotted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

#[derive(Clone)]
struct Doc {
    extra_binding: bool,
    window_end: &'static str,
    expires: &'static str,
    max_session: &'static str,
    min_approvals: u32,
    approval: bool,
    mfa: bool,
    cidrs: &'static str,
    wildcard: bool,
    aws_identity: &'static str,
    extra_path: bool,
}

impl Doc {
    fn role(&self) -> String {
        let actions = if self.wildcard { r#"["s3:*"]"# } else { r#"["s3:GetObject"]"# };
        let extra = if self.extra_path { "\n    path \"kv/data/y\" { capabilities = [\"read\"] }" } else { "" };
        format!(
            "role \"r\" {{\n  allow_wildcards = {}\n  aws {{\n    actions   = {actions}\n    resources = [\"arn:aws:s3:::b/*\"]\n  }}\n  openbao {{\n    path \"kv/data/x\" {{ capabilities = [\"read\"] }}{extra}\n  }}\n}}\n",
            self.wildcard
        )
    }
    fn policy(&self) -> String {
        let approval = if self.approval {
            format!(
                "  approval {{\n    approvers     = [\"group:a\", \"group:b\"]\n    min_approvals = {}\n  }}\n",
                self.min_approvals
            )
        } else {
            String::new()
        };
        let cidrs = if self.cidrs.is_empty() { String::new() } else { format!("    source_cidrs = {}\n", self.cidrs) };
        format!(
            "policy \"p\" {{\n  max_session = \"{}\"\n  window {{\n    days     = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\n    start    = \"09:00\"\n    end      = \"{}\"\n    timezone = \"Europe/Paris\"\n  }}\n  require {{\n    mfa = {}\n{cidrs}  }}\n{approval}}}\n",
            self.max_session, self.window_end, self.mfa
        )
    }
    fn binding(&self, name: &str, expires: &str) -> String {
        format!(
            "binding \"{name}\" {{\n  role   = \"r\"\n  policy = \"p\"\n  subject {{\n    kind    = \"human\"\n    name    = \"{name}-person\"\n    aws     = \"{}\"\n    openbao = \"{name}\"\n  }}\n  not_before = \"2026-12-01T00:00:00Z\"\n  expires_at = \"{expires}\"\n}}\n",
            self.aws_identity
        )
    }
    fn main(&self, with_binding: bool) -> String {
        let mut s = format!("version = \"jit/v1\"\n\n{}\n{}", self.role(), self.policy());
        if with_binding {
            s.push('\n');
            s.push_str(&self.binding("alice", self.expires));
        }
        if self.extra_binding {
            s.push('\n');
            s.push_str(&self.binding("carol", "2026-12-05T00:00:00Z"));
        }
        s
    }
}

struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = std::env::temp_dir().join(format!("jitc-diff-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("policies")).unwrap();
        let r = Repo { dir };
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "user.email", "t@example.com"]);
        r.git(&["config", "user.name", "t"]);
        r
    }
    fn git(&self, args: &[&str]) {
        let ok = Command::new("git").args(args).current_dir(&self.dir).output().unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    }
    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.dir.join(rel), text).unwrap();
    }
    fn commit(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
    }
    fn jitc(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_jitc")).args(args).current_dir(&self.dir).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        )
    }
    fn step(&self) -> Vec<(String, String, bool)> {
        let (code, out) = self.jitc(&["diff", "HEAD~1", "HEAD", "policies", "--format", "json"]);
        assert_eq!(code, 0, "{out}");
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["kind"].as_str().unwrap().to_string(),
                    c["target"].as_str().unwrap().to_string(),
                    c["widens"].as_bool().unwrap(),
                )
            })
            .collect()
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn kinds(v: &[(String, String, bool)]) -> Vec<&str> {
    v.iter().map(|c| c.0.as_str()).collect()
}

#[test]
fn every_kind_of_change_over_a_scripted_history() {
    let repo = Repo::new();
    let mut d = Doc {
        extra_binding: false,
        window_end: "17:00",
        expires: "2026-12-10T00:00:00Z",
        max_session: "1h",
        min_approvals: 2,
        approval: true,
        mfa: true,
        cidrs: "[\"10.0.0.0/8\"]",
        wildcard: false,
        aws_identity: "arn:aws:iam::123456789012:user/alice",
        extra_path: false,
    };
    repo.write("policies/main.hcl", &d.main(true));
    repo.commit("base");

    let expect = |repo: &Repo, d: &Doc, msg: &str, want: &[&str], widens: bool| {
        repo.write("policies/main.hcl", &d.main(true));
        repo.commit(msg);
        let got = repo.step();
        assert_eq!(kinds(&got), want, "{msg}: {got:?}");
        assert!(got.iter().all(|c| c.2 == widens), "{msg}: widens should be {widens}: {got:?}");
    };
    d.extra_binding = true;
    expect(&repo, &d, "grant added", &["grant_added"], true);
    d.extra_binding = false;
    expect(&repo, &d, "grant removed", &["grant_removed"], false);
    d.window_end = "19:00";
    expect(&repo, &d, "window widened", &["window_widened"], true);
    d.window_end = "18:00";
    expect(&repo, &d, "window narrowed", &["window_narrowed"], false);
    d.expires = "2026-12-15T00:00:00Z";
    expect(&repo, &d, "lengthened", &["grant_lengthened"], true);
    d.expires = "2026-12-12T00:00:00Z";
    expect(&repo, &d, "shortened", &["grant_shortened"], false);
    d.max_session = "2h";
    expect(&repo, &d, "session raised", &["max_session_raised"], true);
    d.max_session = "30m";
    expect(&repo, &d, "session lowered", &["max_session_lowered"], false);
    d.min_approvals = 1;
    expect(&repo, &d, "approval weakened", &["approval_weakened"], true);
    d.approval = false;
    expect(&repo, &d, "approval removed", &["approval_removed"], true);
    d.mfa = false;
    expect(&repo, &d, "mfa removed", &["mfa_removed"], true);
    d.cidrs = "";
    expect(&repo, &d, "cidr requirement removed", &["cidr_requirement_removed"], true);
    d.cidrs = "[\"192.168.0.0/16\"]";
    expect(&repo, &d, "cidr requirement added", &["cidr_requirement_added"], false);
    d.wildcard = true;
    expect(&repo, &d, "wildcard", &["wildcard_introduced"], true);
    d.aws_identity = "arn:aws:iam::123456789012:user/mallory";
    expect(&repo, &d, "identity", &["subject_changed"], true);
    d.extra_path = true;
    expect(&repo, &d, "permissions added", &["permissions_added"], true);
    d.extra_path = false;
    expect(&repo, &d, "permissions removed", &["permissions_removed"], false);

    // A rename and a move change nothing.
    repo.git(&["mv", "policies/main.hcl", "policies/access.hcl"]);
    repo.commit("rename");
    assert!(repo.step().is_empty(), "a rename is not a change");
    repo.write("policies/access.hcl", &d.main(false));
    repo.write("policies/bindings.hcl", &format!("version = \"jit/v1\"\n\n{}", d.binding("alice", d.expires)));
    repo.commit("move the binding");
    assert!(repo.step().is_empty(), "moving a binding is not a change");

    // Exit codes and the Markdown of the whole history.
    let (code, md) = repo.jitc(&["diff", "HEAD~19", "HEAD", "policies"]);
    assert_eq!(code, 0, "{md}");
    assert!(md.starts_with("## Access changes: `HEAD~19` → `HEAD`"), "{md}");
    assert_eq!(repo.jitc(&["diff", "HEAD~19", "HEAD", "policies", "--fail-on", "widen"]).0, 3);
    assert_eq!(repo.jitc(&["diff", "HEAD~1", "HEAD", "policies", "--fail-on", "any"]).0, 0);
    let (code, empty) = repo.jitc(&["diff", "HEAD", "policies"]);
    assert_eq!(code, 0);
    assert!(empty.contains("No access changes."), "{empty}");
    assert_eq!(repo.jitc(&["diff", "no-such-rev", "policies"]).0, 1, "errors exit 1");
    insta::assert_snapshot!("diff_history", md);
}
