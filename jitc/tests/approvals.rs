//! `jitc approvals` over scripted repositories: one base commit, one head
//! commit per case, and reviews in the shape of GitHub's pull request
//! reviews. Exit codes and the JSON verdict are asserted per case.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// The documents of one revision.
#[derive(Clone)]
struct Doc {
    leads: Vec<&'static str>,
    prod_approvers: &'static str,
    prod_min: u32,
    /// (name, subject, policy, expires_at)
    bindings: Vec<(&'static str, &'static str, &'static str, &'static str)>,
}

impl Doc {
    fn base() -> Doc {
        Doc {
            leads: vec!["alice", "bob"],
            prod_approvers: r#"["group:dba-leads", "user:dana"]"#,
            prod_min: 2,
            bindings: vec![("carol-db", "carol", "prod", "2027-01-20T00:00:00Z")],
        }
    }

    fn text(&self) -> String {
        let members: Vec<String> = self.leads.iter().map(|m| format!("\"user:{m}\"")).collect();
        let mut s = format!(
            r#"version = "jit/v1"

group "dba-leads" {{
  members = [{}]
}}

role "db-read" {{
  openbao {{
    path "database/creds/ro" {{ capabilities = ["read"] }}
  }}
}}

policy "prod" {{
  approval {{
    approvers     = {}
    min_approvals = {}
  }}
}}

policy "dev" {{
  approval {{
    approvers     = ["user:erin"]
    min_approvals = 1
  }}
}}

policy "sandbox" {{
}}
"#,
            members.join(", "),
            self.prod_approvers,
            self.prod_min
        );
        for (name, subject, policy, expires) in &self.bindings {
            s.push_str(&format!(
                r#"
binding "{name}" {{
  role   = "db-read"
  policy = "{policy}"
  subject {{
    kind    = "human"
    name    = "{subject}"
    openbao = "{subject}"
  }}
  not_before = "2027-01-04T00:00:00Z"
  expires_at = "{expires}"
}}
"#
            ));
        }
        s
    }
}

struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn new(case: &str, base: &Doc, head: &Doc) -> Repo {
        let dir = std::env::temp_dir().join(format!("jitc-approvals-{}-{case}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("policies")).unwrap();
        let r = Repo { dir };
        r.git(&["init", "-q", "-b", "main"]);
        r.git(&["config", "user.email", "t@example.com"]);
        r.git(&["config", "user.name", "t"]);
        for (doc, msg) in [(base, "base"), (head, "head")] {
            std::fs::write(r.dir.join("policies/access.hcl"), doc.text()).unwrap();
            r.git(&["add", "-A"]);
            r.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        }
        r
    }

    fn git(&self, args: &[&str]) {
        let ok = Command::new("git").args(args).current_dir(&self.dir).output().unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    }

    /// Run `jitc approvals` with these reviews; exit code, stdout, stderr.
    fn approvals(&self, reviews: &[(&str, &str)], author: &str, format: &str) -> (i32, String, String) {
        let on: Vec<(&str, &str, &str)> = reviews.iter().map(|(l, s)| (*l, *s, "0000000")).collect();
        self.approvals_on(&on, author, &["--format", format])
    }

    /// The commit HEAD names.
    fn head(&self) -> String {
        let out = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&self.dir).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Reviews (login, state, commit_id) one minute apart, in the order given.
    fn approvals_on(&self, reviews: &[(&str, &str, &str)], author: &str, extra: &[&str]) -> (i32, String, String) {
        let items: Vec<String> = reviews
            .iter()
            .enumerate()
            .map(|(i, (login, state, commit))| {
                format!(
                    r#"{{"id": {i}, "user": {{"login": "{login}", "type": "User"}}, "body": "", "state": "{state}", "submitted_at": "2027-01-02T10:{i:02}:00Z", "commit_id": "{commit}"}}"#
                )
            })
            .collect();
        std::fs::write(self.dir.join("reviews.json"), format!("[{}]", items.join(",\n"))).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_jitc"))
            .args(["approvals", "HEAD~1", "HEAD", "policies", "--reviews", "reviews.json", "--author", author])
            .args(extra)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn json(&self, reviews: &[(&str, &str)], author: &str, expect: i32) -> Value {
        let (code, out, err) = self.approvals(reviews, author, "json");
        assert_eq!(code, expect, "stdout: {out}\nstderr: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// The one required binding's quorums: (policy, revision, approved_by, missing).
fn quorums(v: &Value, binding: &str) -> Vec<(String, String, Vec<String>, u64)> {
    let req = v["required"].as_array().unwrap().iter().find(|r| r["binding"] == binding);
    let req = req.unwrap_or_else(|| panic!("`{binding}` not required: {v}"));
    req["quorums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["policy"].as_str().unwrap().to_string(),
                q["revision"].as_str().unwrap().to_string(),
                strings(&q["approved_by"]),
                q["missing"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn not_counted(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in v["required"].as_array().unwrap() {
        for q in r["quorums"].as_array().unwrap() {
            for n in q["not_counted"].as_array().unwrap() {
                out.push((n["login"].as_str().unwrap().to_string(), n["reason"].as_str().unwrap().to_string()));
            }
        }
    }
    out
}

/// HEAD grants `frank` the prod database.
fn grant_frank() -> Doc {
    let mut d = Doc::base();
    d.bindings.push(("frank-db", "frank", "prod", "2027-01-10T00:00:00Z"));
    d
}

#[test]
fn quorum_met() {
    let r = Repo::new("met", &Doc::base(), &grant_frank());
    // A comment after an approval changes nothing; logins compare without case.
    let v = r.json(&[("ALICE", "APPROVED"), ("dana", "APPROVED"), ("alice", "COMMENTED")], "frank", 0);
    assert_eq!(v["satisfied"], true);
    assert_eq!(quorums(&v, "frank-db"), vec![("prod".into(), "head".into(), vec!["ALICE".into(), "dana".into()], 0)]);
    let kinds: Vec<&str> =
        v["required"][0]["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["grant_added"]);
    assert_eq!(v["required"][0]["quorums"][0]["new_policy"], false);
    let (code, trailers, _) = r.approvals(&[("ALICE", "APPROVED"), ("dana", "APPROVED")], "frank", "trailers");
    assert_eq!((code, trailers.as_str()), (0, "Approved-by: ALICE\nApproved-by: dana\n"));
}

#[test]
fn quorum_unmet_lists_who_could_approve() {
    let r = Repo::new("unmet", &Doc::base(), &grant_frank());
    let v = r.json(&[("alice", "APPROVED"), ("zed", "APPROVED")], "frank", 3);
    assert_eq!(v["satisfied"], false);
    assert_eq!(quorums(&v, "frank-db"), vec![("prod".into(), "head".into(), vec!["alice".into()], 1)]);
    assert_eq!(strings(&v["required"][0]["quorums"][0]["could_approve"]), ["bob", "dana"]);
    assert_eq!(not_counted(&v), [("zed".to_string(), "not an approver of policy `prod`".to_string())]);
    let (code, md, _) = r.approvals(&[("alice", "APPROVED")], "frank", "markdown");
    assert_eq!(code, 3);
    assert!(
        md.contains("❌ approval missing")
            && md.contains("| `frank-db` | `frank` | `prod` (head) | 2 | alice | ❌ 1 | bob, dana |"),
        "{md}"
    );
}

#[test]
fn the_author_approving_their_own_pull_request_does_not_count() {
    let r = Repo::new("author", &Doc::base(), &grant_frank());
    let v = r.json(&[("alice", "APPROVED"), ("dana", "APPROVED")], "Alice", 3);
    assert_eq!(quorums(&v, "frank-db")[0].2, ["dana"]);
    assert_eq!(not_counted(&v), [("alice".to_string(), "author of the pull request".to_string())]);
    assert_eq!(strings(&v["required"][0]["quorums"][0]["could_approve"]), ["bob"]);
}

#[test]
fn the_subject_approving_their_own_grant_does_not_count() {
    let mut head = Doc::base();
    head.bindings.push(("bob-db", "bob", "prod", "2027-01-10T00:00:00Z"));
    let r = Repo::new("subject", &Doc::base(), &head);
    let v = r.json(&[("bob", "APPROVED"), ("alice", "APPROVED")], "frank", 3);
    assert_eq!(quorums(&v, "bob-db"), vec![("prod".into(), "head".into(), vec!["alice".into()], 1)]);
    assert_eq!(not_counted(&v), [("bob".to_string(), "subject of binding `bob-db`".to_string())]);
    assert_eq!(strings(&v["required"][0]["quorums"][0]["could_approve"]), ["dana"]);
}

#[test]
fn approval_through_group_membership() {
    let r = Repo::new("group", &Doc::base(), &grant_frank());
    // bob is an approver only as a member of dba-leads.
    let v = r.json(&[("bob", "APPROVED"), ("dana", "APPROVED")], "frank", 0);
    assert_eq!(quorums(&v, "frank-db")[0].2, ["bob", "dana"]);
}

#[test]
fn an_approval_later_dismissed_does_not_count() {
    let r = Repo::new("dismissed", &Doc::base(), &grant_frank());
    let v = r.json(&[("alice", "APPROVED"), ("dana", "APPROVED"), ("alice", "DISMISSED")], "frank", 3);
    assert_eq!(quorums(&v, "frank-db")[0].2, ["dana"]);
    let standing: Vec<(&str, &str)> = v["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["login"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(standing, [("alice", "DISMISSED"), ("dana", "APPROVED")]);
}

#[test]
fn changes_requested_after_approved_withdraws_the_approval() {
    let r = Repo::new("changes", &Doc::base(), &grant_frank());
    r.json(&[("alice", "APPROVED"), ("dana", "APPROVED"), ("alice", "CHANGES_REQUESTED")], "frank", 3);
    // Approving again restores it.
    let reviews = [("alice", "APPROVED"), ("dana", "APPROVED"), ("alice", "CHANGES_REQUESTED"), ("alice", "APPROVED")];
    r.json(&reviews, "frank", 0);
}

#[test]
fn a_narrowing_change_needs_no_approval() {
    let mut head = Doc::base();
    head.bindings[0].3 = "2027-01-10T00:00:00Z";
    let r = Repo::new("narrow", &Doc::base(), &head);
    let v = r.json(&[], "carol", 0);
    assert_eq!(v["required"].as_array().unwrap().len(), 0);
    assert_eq!(strings(&v["not_required"]), ["carol-db"]);
    // So is a removal.
    let mut gone = Doc::base();
    gone.bindings.clear();
    let r = Repo::new("removed", &Doc::base(), &gone);
    let v = r.json(&[], "carol", 0);
    assert_eq!(strings(&v["not_required"]), ["carol-db"]);
}

#[test]
fn a_move_to_a_weaker_policy_needs_both_quorums() {
    let mut head = Doc::base();
    head.bindings[0].2 = "dev";
    let r = Repo::new("moved", &Doc::base(), &head);
    let v = r.json(&[("erin", "APPROVED")], "carol", 3);
    assert_eq!(
        quorums(&v, "carol-db"),
        vec![("dev".into(), "head".into(), vec!["erin".into()], 0), ("prod".into(), "base".into(), vec![], 2)]
    );
    let v = r.json(&[("erin", "APPROVED"), ("alice", "APPROVED"), ("dana", "APPROVED")], "carol", 0);
    assert_eq!(quorums(&v, "carol-db")[1].2, ["alice", "dana"]);
}

#[test]
fn a_group_member_added_widens_and_cannot_approve_yet() {
    let mut head = Doc::base();
    head.leads.push("mallory");
    let r = Repo::new("member", &Doc::base(), &head);
    let v = r.json(&[("mallory", "APPROVED"), ("alice", "APPROVED")], "mallory", 3);
    let kinds: Vec<&str> =
        v["required"][0]["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["approver_group_changed"]);
    assert_eq!(quorums(&v, "carol-db").iter().map(|q| q.1.as_str()).collect::<Vec<_>>(), ["head", "base"]);
    assert!(not_counted(&v).contains(&("mallory".to_string(), "author of the pull request".to_string())));
    // Someone else's pull request: mallory still does not count for it.
    let v = r.json(&[("mallory", "APPROVED"), ("alice", "APPROVED")], "frank", 3);
    assert!(
        not_counted(&v).contains(&("mallory".to_string(), "added to group:dba-leads by this change".to_string())),
        "{v}"
    );
    r.json(&[("mallory", "APPROVED"), ("alice", "APPROVED"), ("bob", "APPROVED")], "frank", 0);
}

#[test]
fn a_group_referenced_but_undeclared_is_an_error() {
    let mut head = Doc::base();
    head.prod_approvers = r#"["group:dba-lead", "user:dana"]"#;
    let r = Repo::new("undeclared", &Doc::base(), &head);
    let (code, out, err) = r.approvals(&[("alice", "APPROVED")], "frank", "json");
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty());
    assert!(err.contains("error[JIT049]") && err.contains("did you mean `group:dba-leads`"), "{err}");
    assert!(err.contains("the documents at HEAD do not compile"), "{err}");
}

#[test]
fn a_policy_whose_quorum_is_unreachable_is_an_error() {
    let mut head = Doc::base();
    head.prod_min = 4;
    let r = Repo::new("unreachable", &Doc::base(), &head);
    let (code, out, err) = r.approvals(&[("alice", "APPROVED")], "frank", "json");
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("error[JIT057]"), "{err}");
}

#[test]
fn a_policy_without_approval_needs_none() {
    let mut head = Doc::base();
    head.bindings.push(("gina-sandbox", "gina", "sandbox", "2027-01-10T00:00:00Z"));
    let r = Repo::new("sandbox", &Doc::base(), &head);
    let v = r.json(&[], "gina", 0);
    assert_eq!(quorums(&v, "gina-sandbox"), vec![("sandbox".into(), "head".into(), vec![], 0)]);
}

#[test]
fn a_bad_review_list_is_an_error_naming_the_entry() {
    let r = Repo::new("badreviews", &Doc::base(), &grant_frank());
    std::fs::write(
        r.dir.join("bad.json"),
        r#"[{"user": {"login": "a"}, "state": "LGTM", "submitted_at": "2027-01-01T00:00:00Z"}]"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jitc"))
        .args(["approvals", "HEAD~1", "HEAD", "policies", "--reviews", "bad.json", "--author", "frank"])
        .current_dir(&r.dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.json`: review [0]: `state` is `LGTM`"), "{err}");
}

#[test]
fn approvals_of_an_earlier_commit_are_stale_with_the_head_commit_given() {
    let r = Repo::new("stale", &Doc::base(), &grant_frank());
    let head = r.head();
    let reviews = [("alice", "APPROVED", "1111111111111111"), ("dana", "APPROVED", head.as_str())];
    // Without --commit, both count.
    let (code, out, err) = r.approvals_on(&reviews, "frank", &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = r.approvals_on(&reviews, "frank", &["--format", "json", "--commit", &head]);
    assert_eq!(code, 3, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["commit"], head.as_str());
    assert_eq!(quorums(&v, "frank-db")[0].2, ["dana"]);
    let alice: Vec<&Value> = v["reviews"].as_array().unwrap().iter().filter(|s| s["login"] == "alice").collect();
    assert_eq!(alice[0]["state"], "STALE_APPROVAL");
    assert_eq!(strings(&v["required"][0]["quorums"][0]["could_approve"]), ["alice", "bob"]);
    // Approving the head commit again counts.
    let again = [reviews[0], reviews[1], ("alice", "APPROVED", &head[..12])];
    let (code, _, err) = r.approvals_on(&again, "frank", &["--commit", &head]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = r.approvals_on(&reviews, "frank", &["--commit", "xyz"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn a_group_gaining_a_member_needs_its_policies_quorum_even_with_no_binding() {
    let mut base = Doc::base();
    base.bindings.clear();
    let mut head = base.clone();
    head.leads.push("mallory");
    let r = Repo::new("groupalone", &base, &head);
    let v = r.json(&[("mallory", "APPROVED"), ("alice", "APPROVED")], "mallory", 3);
    assert_eq!(v["required"].as_array().unwrap().len(), 0);
    let g = &v["rules"][0];
    assert_eq!((g["rule"].as_str(), g["change"].as_str()), (Some("group:dba-leads"), Some("gains mallory")));
    assert_eq!(g["quorums"][0]["policy"], "prod");
    assert_eq!(g["quorums"][0]["revision"], "base");
    assert_eq!(g["quorums"][0]["missing"], 1);
    assert_eq!(strings(&g["quorums"][0]["could_approve"]), ["bob", "dana"]);
    let v = r.json(&[("alice", "APPROVED"), ("dana", "APPROVED")], "mallory", 0);
    assert_eq!(v["rules"][0]["satisfied"], true);
    // Removing a member needs nothing.
    let mut fewer = base.clone();
    fewer.leads.retain(|m| *m != "bob");
    let r = Repo::new("groupfewer", &base, &fewer);
    let v = r.json(&[], "alice", 0);
    assert_eq!(v["rules"].as_array().unwrap().len(), 0);
}

#[test]
fn a_policy_weakened_with_no_binding_needs_its_own_quorum() {
    let mut base = Doc::base();
    base.bindings.clear();
    let mut head = base.clone();
    head.prod_min = 1;
    let r = Repo::new("policyalone", &base, &head);
    let v = r.json(&[("alice", "APPROVED")], "frank", 3);
    let rule = &v["rules"][0];
    assert_eq!((rule["rule"].as_str(), rule["change"].as_str()), (Some("policy:prod"), Some("min_approvals 2 → 1")));
    assert_eq!(rule["quorums"][0]["missing"], 1);
    r.json(&[("alice", "APPROVED"), ("bob", "APPROVED")], "frank", 0);
    // A new direct approver is a widening too; a raised quorum is not.
    let mut more = base.clone();
    more.prod_approvers = r#"["group:dba-leads", "user:dana", "user:zed"]"#;
    let r = Repo::new("policyapprover", &base, &more);
    let v = r.json(&[], "frank", 3);
    assert_eq!(v["rules"][0]["change"], "approvers added: user:zed");
    let mut stricter = base.clone();
    stricter.prod_min = 3;
    let r = Repo::new("policystricter", &base, &stricter);
    let v = r.json(&[], "frank", 0);
    assert_eq!(v["rules"].as_array().unwrap().len(), 0);
}

#[test]
fn a_policy_new_in_the_change_is_flagged() {
    let base = Doc::base();
    let mut head = base.clone();
    head.bindings.push(("frank-db", "frank", "dev", "2027-01-10T00:00:00Z"));
    let r = Repo::new("newpolicy", &base, &head);
    assert_eq!(r.json(&[("erin", "APPROVED")], "frank", 0)["required"][0]["quorums"][0]["new_policy"], false);
    // The same binding under a policy HEAD introduces.
    std::fs::write(r.dir.join("policies/access.hcl"), head.text().replace("\"dev\"", "\"dev2\"")).unwrap();
    r.git(&["commit", "-q", "--amend", "-am", "head"]);
    let v = r.json(&[("erin", "APPROVED")], "frank", 0);
    assert_eq!(v["required"][0]["quorums"][0]["new_policy"], true);
    let (code, md, err) = r.approvals(&[("erin", "APPROVED")], "frank", "markdown");
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("Policy `dev2` is new in this change"), "{md}");
}
