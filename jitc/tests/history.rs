//! `jitc history` and `jitc who --history` over a scripted repository of
//! 34 first-parent commits (one of them merging a side branch), each at a
//! pinned commit time. `who --history` is compared with `who` run on a
//! checkout of the revision the test expects; the JSON, CSV and HTML
//! ledgers are checked against the schedule the test wrote; the HTML is
//! opened in headless Chromium when it is installed (`make tools`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = r#"version = "jit/v1"

role "db-read" {
  openbao {
    path "database/creds/ro" { capabilities = ["read"] }
  }
  aws {
    actions   = ["rds-db:connect"]
    resources = ["arn:aws:rds-db:eu-west-1:123456789012:dbuser:db-1/reader"]
  }
}

role "kv-admin" {
  openbao {
    path "kv/data/app/*" { capabilities = ["read", "update"] }
  }
}

policy "always" {
  max_grant = "30d"
}

policy "office" {
  max_grant   = "30d"
  max_session = "1h"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:00"
    timezone = "Europe/Paris"
  }
}
"#;

#[derive(Clone, Debug)]
struct Grant {
    name: String,
    subject: &'static str,
    role: &'static str,
    policy: &'static str,
    not_before: Timestamp,
    expires_at: Timestamp,
}

fn text(grants: &[Grant]) -> String {
    let mut s = HEADER.to_string();
    for g in grants {
        s.push_str(&format!(
            "\nbinding \"{}\" {{\n  role   = \"{}\"\n  policy = \"{}\"\n  subject {{\n    kind    = \"human\"\n    name    = \"{}\"\n    openbao = \"{}\"\n    aws     = \"arn:aws:iam::123456789012:user/{}\"\n  }}\n  not_before = \"{}\"\n  expires_at = \"{}\"\n}}\n",
            g.name, g.role, g.policy, g.subject, g.subject, g.subject, g.not_before, g.expires_at
        ));
    }
    s
}

struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn git(&self, args: &[&str], at: Option<Timestamp>) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(&self.dir);
        if let Some(at) = at {
            let date = format!("{} +0000", at.as_second());
            cmd.env("GIT_COMMITTER_DATE", &date).env("GIT_AUTHOR_DATE", &date);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn commit(&self, grants: &[Grant], at: Timestamp, message: &str) -> String {
        std::fs::write(self.dir.join("policies/access.hcl"), text(grants)).unwrap();
        self.git(&["add", "-A"], None);
        self.git(&["commit", "-q", "-m", message], Some(at));
        self.git(&["rev-parse", "HEAD"], None)
    }

    fn jitc(&self, dir: &Path, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_jitc")).args(args).current_dir(dir).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

/// The scripted history: main-line commits (hash, time, grants after it).
struct Script {
    repo: Repo,
    main: Vec<(String, Timestamp, Vec<Grant>)>,
}

fn script(tag: &str) -> Script {
    let dir = std::env::temp_dir().join(format!("jitc-history-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).unwrap();
    std::fs::write(dir.join("README.md"), "scripted\n").unwrap();
    let repo = Repo { dir };
    repo.git(&["init", "-q", "-b", "main"], None);
    repo.git(&["config", "user.email", "ops@example.com"], None);
    repo.git(&["config", "user.name", "Ops"], None);
    let start = ts("2027-03-01T07:00:00Z");
    let subjects = ["alice", "bob", "carol", "dave", "erin"];
    let mut grants: Vec<Grant> = Vec::new();
    let mut main = Vec::new();
    let mut t = start;
    for i in 0..32usize {
        t += hours(19 + (i as i64 % 5));
        let s = subjects[i % subjects.len()];
        if i == 20 {
            // A side branch, merged with --no-ff: its commits are not in
            // force at their own times, only from the merge.
            repo.git(&["checkout", "-q", "-b", "side"], None);
            let mut side = grants.clone();
            side.push(Grant {
                name: "side-grant".into(),
                subject: "frank",
                role: "kv-admin",
                policy: "always",
                not_before: t - hours(10),
                expires_at: t + hours(72),
            });
            repo.commit(&side, t - hours(6), "Side: grant frank");
            if let Some(g) = side.iter_mut().find(|g| g.name == "side-grant") {
                g.role = "db-read";
            }
            repo.commit(&side, t - hours(4), "Side: frank reads the database instead");
            repo.git(&["checkout", "-q", "main"], None);
            repo.git(
                &["merge", "-q", "--no-ff", "side", "-m", "Merge side\n\nApproved-by: lead-9"],
                Some(t - hours(1)),
            );
            let hash = repo.git(&["rev-parse", "HEAD"], None);
            main.push((hash, t - hours(1), side.clone()));
            grants = side;
        }
        let msg = match i % 4 {
            // A new grant, from a little after the commit, for 2 to 6 days.
            0 | 1 => {
                let name = format!("{s}-{i}");
                grants.push(Grant {
                    name: name.clone(),
                    subject: s,
                    role: if i % 3 == 0 { "kv-admin" } else { "db-read" },
                    policy: if i % 2 == 0 { "office" } else { "always" },
                    not_before: t + hours(2),
                    expires_at: t + hours(96 + 24 * (i as i64 % 5)),
                });
                format!("Grant {name}\n\nApproved-by: lead-{}\nApproved-by: sec-{}", i % 3, i % 2)
            }
            // The oldest grant ends a day earlier.
            2 => {
                let g = grants.first_mut().expect("grants were added");
                if g.expires_at - hours(24) > g.not_before + hours(1) {
                    g.expires_at -= hours(24);
                } else {
                    grants.remove(0);
                }
                "Shorten the oldest grant".to_string()
            }
            // The oldest grant goes.
            _ => {
                assert!(!grants.is_empty(), "step {i} has a grant to remove");
                grants.remove(0);
                "Remove the oldest grant".to_string()
            }
        };
        let hash = repo.commit(&grants, t, &msg);
        main.push((hash, t, grants.clone()));
        if i == 10 {
            // A commit that does not touch the documents.
            std::fs::write(repo.dir.join("README.md"), "scripted, touched\n").unwrap();
            repo.git(&["add", "-A"], None);
            repo.git(&["commit", "-q", "-m", "Docs"], Some(t + hours(3)));
        }
    }
    Script { repo, main }
}

/// The main-line commit in force at `at`: the last at or before it.
fn expected_revision(
    main: &[(String, Timestamp, Vec<Grant>)],
    at: Timestamp,
) -> Option<&(String, Timestamp, Vec<Grant>)> {
    main.iter().rev().find(|(_, t, _)| *t <= at)
}

#[test]
fn who_from_history_equals_who_on_a_checkout_of_the_revision_in_force() {
    let s = script("who");
    let repo = &s.repo;
    assert!(s.main.len() >= 30, "{} main-line commits", s.main.len());
    let first = s.main[0].1;
    let last = s.main[s.main.len() - 1].1;
    // 28 instants: commit times exactly, just before them, 7 h after, and after the last.
    let mut instants = Vec::new();
    for (k, (_, t, _)) in s.main.iter().enumerate().step_by(3) {
        instants.push(*t);
        instants.push(*t - SignedDuration::from_secs(1));
        if k % 2 == 0 {
            instants.push(*t + hours(7));
        }
    }
    instants.push(last + hours(30));
    instants.retain(|t| *t >= first);
    assert!(instants.len() >= 20, "{} instants", instants.len());
    let worktree = repo.dir.with_extension("checkout");
    let mut nonempty = 0;
    for at in &instants {
        let (hash, _, _) = expected_revision(&s.main, *at).unwrap();
        let _ = std::fs::remove_dir_all(&worktree);
        repo.git(&["worktree", "add", "-q", "--detach", worktree.to_str().unwrap(), hash], None);
        let at_s = at.to_string();
        let plain = repo.jitc(&worktree, &["who", "policies", "--at", &at_s, "--format", "json"]);
        let from_history = repo.jitc(&repo.dir, &["who", "policies", "--at", &at_s, "--format", "json", "--history"]);
        repo.git(&["worktree", "remove", "--force", worktree.to_str().unwrap()], None);
        assert_eq!(plain.0, 0, "{}", plain.2);
        assert_eq!(from_history.0, 0, "{}", from_history.2);
        assert_eq!(from_history.1, plain.1, "at {at}");
        assert!(from_history.2.contains(&format!("revision in force at {at}: {hash}")), "{}", from_history.2);
        let v: Value = serde_json::from_str(&plain.1).unwrap();
        nonempty += usize::from(!v["active"].as_array().unwrap().is_empty());
    }
    // The comparison is not between empty answers only.
    assert!(nonempty >= 5, "{nonempty} instants with someone active");
    // Before the first commit there is no revision.
    let before = (first - hours(1)).to_string();
    let (code, _, err) = repo.jitc(&repo.dir, &["who", "policies", "--at", &before, "--history"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no commit of the documents at or before"), "{err}");
}

#[test]
fn the_ledger_in_json_csv_and_html() {
    let s = script("ledger");
    let repo = &s.repo;
    let since = s.main[0].1;
    let until = s.main[s.main.len() - 1].1 + hours(24 * 8);
    let (since_s, until_s) = (since.to_string(), until.to_string());
    let run = |format: &str, extra: &[&str]| {
        let mut args = vec!["history", "policies", "--since", &since_s, "--until", &until_s, "--format", format];
        args.extend_from_slice(extra);
        let (code, out, err) = repo.jitc(&repo.dir, &args);
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let (json, err) = run("json", &[]);
    // One commit per main-line revision; each blob parsed once.
    assert!(err.contains(&format!("history: {} commit(s)", s.main.len())), "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["commits"], s.main.len());
    let bindings = v["bindings"].as_array().unwrap();

    // Every grant the script wrote appears, with its steps and intervals.
    let mut all: std::collections::BTreeMap<String, Vec<(String, Grant)>> = Default::default();
    let mut prev: Vec<Grant> = Vec::new();
    for (hash, _, grants) in &s.main {
        for g in grants {
            let before = prev.iter().find(|p| p.name == g.name);
            if before.is_none_or(|p| p.expires_at != g.expires_at || p.role != g.role) {
                all.entry(g.name.clone()).or_default().push((hash.clone(), g.clone()));
            }
        }
        prev = grants.clone();
    }
    assert!(all.contains_key("side-grant"));
    for (name, revisions) in &all {
        let e = bindings.iter().find(|b| b["binding"] == name.as_str()).unwrap_or_else(|| panic!("{name} missing"));
        let steps: Vec<&str> = e["steps"].as_array().unwrap().iter().map(|s| s["hash"].as_str().unwrap()).collect();
        for (hash, _) in revisions {
            assert!(steps.contains(&hash.as_str()), "{name}: {hash} not among {steps:?}");
        }
        // The side branch's own commits never appear; its merge does.
        if name == "side-grant" {
            let st = &e["steps"][0];
            assert_eq!(st["summary"], "Merge side");
            assert_eq!(st["approved_by"], serde_json::json!(["lead-9"]));
        }
    }
    // A grant on `always` is in force on each of its targets from its
    // start to its end (or its removal), clipped to the period.
    let alice = bindings.iter().find(|b| b["binding"] == "bob-1").unwrap();
    let g = &all["bob-1"][0].1;
    assert_eq!(alice["steps"][0]["approved_by"], serde_json::json!(["lead-1", "sec-1"]));
    // Expected: per revision of bob-1 in force, its bounds cut at the
    // commits that changed or removed it.
    let until_all = until;
    let mut expected: Vec<(Timestamp, Timestamp)> = Vec::new();
    let mut open: Option<(Timestamp, Grant)> = None;
    let close = |from: Timestamp, g: &Grant, to: Timestamp, out: &mut Vec<(Timestamp, Timestamp)>| {
        let (a, z) = (from.max(g.not_before).max(since), to.min(g.expires_at).min(until_all));
        if a < z {
            out.push((a, z));
        }
    };
    for (_, t, grants) in &s.main {
        let now = grants.iter().find(|x| x.name == "bob-1");
        let changed = match (&open, now) {
            (Some((_, o)), Some(n)) => o.expires_at != n.expires_at || o.role != n.role,
            (None, None) => false,
            _ => true,
        };
        if changed {
            if let Some((from, o)) = open.take() {
                close(from, &o, *t, &mut expected);
            }
            open = now.map(|n| (*t, n.clone()));
        }
    }
    if let Some((from, o)) = open.take() {
        close(from, &o, until, &mut expected);
    }
    assert!(!expected.is_empty());
    for target in ["aws", "openbao"] {
        let list = alice["targets"][target].as_array().unwrap_or_else(|| panic!("{target}: {alice}"));
        let spans: Vec<(Timestamp, Timestamp)> =
            list.iter().map(|i| (ts(i["from"].as_str().unwrap()), ts(i["to"].as_str().unwrap()))).collect();
        assert_eq!(spans, expected, "{target}");
    }
    // `office` grants: exact windows on AWS, issuance-checked on OpenBao
    // (each opening extended by the 1h session).
    let office = bindings.iter().find(|b| b["binding"] == "erin-4").unwrap();
    let aws = office["targets"]["aws"].as_array().unwrap();
    let bao = office["targets"]["openbao"].as_array().unwrap();
    assert!(!aws.is_empty());
    for i in aws {
        let (a, z) = (ts(i["from"].as_str().unwrap()), ts(i["to"].as_str().unwrap()));
        let paris = a.to_zoned(jiff::tz::TimeZone::get("Europe/Paris").unwrap());
        assert!(paris.hour() >= 9 && a.duration_until(z) <= SignedDuration::from_hours(8), "{a} → {z}");
    }
    assert_eq!(aws.len(), bao.len());
    for (x, y) in aws.iter().zip(bao) {
        assert_eq!(x["from"], y["from"]);
        let (zx, zy) = (ts(x["to"].as_str().unwrap()), ts(y["to"].as_str().unwrap()));
        assert!(zy >= zx && zy <= zx + hours(1), "{zx} {zy}");
    }

    // CSV: a header and one row per target interval, as in the JSON.
    let (csv, _) = run("csv", &[]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("binding,subject,target,role,policy,from,to,commit,approved_by"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let intervals: usize = bindings
        .iter()
        .map(|b| b["targets"].as_object().unwrap().values().map(|v| v.as_array().unwrap().len()).sum::<usize>())
        .sum();
    assert_eq!(rows.len(), intervals);
    let first_bob = rows.iter().find(|r| r[0] == "bob-1" && r[2] == "openbao").unwrap();
    assert_eq!(first_bob[1..5], ["bob", "openbao", "db-read", "always"]);
    assert_eq!(first_bob[5], g.not_before.to_string());
    assert_eq!(first_bob[8], "lead-1; sec-1");

    // --subject keeps that subject's bindings only.
    let (one, _) = run("json", &["--subject", "frank"]);
    let one: Value = serde_json::from_str(&one).unwrap();
    let names: Vec<&str> = one["bindings"].as_array().unwrap().iter().map(|b| b["binding"].as_str().unwrap()).collect();
    assert_eq!(names, ["side-grant"]);

    // HTML: self-contained, one bar per active interval.
    let (html, _) = run("html", &[]);
    let active: usize = bindings.iter().map(|b| b["active"].as_array().unwrap().len()).sum();
    assert!(active > 20, "{active} active intervals");
    assert_eq!(html.matches("<rect class=\"bar\"").count(), active);
    for external in ["http://", "https://", "src=", "href=", "@import", "url("] {
        let outside_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!outside_svg_namespace.contains(external), "the page fetches `{external}`");
    }
    let page = repo.dir.join("history.html");
    std::fs::write(&page, &html).unwrap();
    match chromium() {
        Some(bin) => {
            let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("history-timeline.png");
            let (dom, console) = open_in_chromium(&bin, &page, &shot);
            assert!(console.is_empty(), "console output: {console:?}");
            let drawn = dom
                .split("<output id=\"rendered-bars\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap_or_else(|| panic!("no result in the DOM: {dom}"));
            assert_eq!(drawn, active.to_string(), "bars drawn by Chromium");
            assert!(std::fs::metadata(&shot).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot");
            eprintln!("screenshot: {}", shot.display());
        }
        None if std::env::var_os("JIT_REQUIRE_CHROMIUM").is_some() => {
            panic!("headless Chromium is required (JIT_REQUIRE_CHROMIUM) but not installed; run `make tools`")
        }
        None => eprintln!("headless Chromium not installed; the page was checked as text only"),
    }
}

fn chromium() -> Option<PathBuf> {
    ["/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Open `page` headless: the DOM after its scripts ran, and every console
/// line (a silent page has none).
fn open_in_chromium(bin: &Path, page: &Path, shot: &Path) -> (String, Vec<String>) {
    let profile = page.with_extension("profile");
    let mut cmd = Command::new("timeout");
    cmd.args(["-k", "5", "60"]).arg(bin);
    if bin.ends_with("chromium") {
        cmd.arg("--headless");
    }
    let out = cmd
        .args([
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1300,900",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    let console =
        String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(String::from).collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}
