//! Broker mode with real Terraform and a real OpenBao server: objects exist
//! only while a binding is active, drift is shown and repaired, time
//! boundaries move objects in and out with in-place updates, and faults give
//! clear diagnostics while state keeps matching the server. Every object is
//! checked over OpenBao's HTTP API, not through the provider.

use jiff::{Timestamp, ToSpan};
use jit_e2e_tests::openbao::{tokens_in, Bao};
use jit_e2e_tests::terraform::{plan_file_text, Install, Run, Version, Workdir};
use std::time::Duration;

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.all());
}

fn whole(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).expect("timestamp")
}

fn tfvars(w: &Workdir, nb: Timestamp, exp: Timestamp) {
    w.write("terraform.tfvars", &format!("not_before = \"{nb}\"\nexpires_at = \"{exp}\"\n"));
}

fn exists(bao: &Bao, binding: &str) -> (bool, bool) {
    let p = bao.get(&format!("sys/policies/acl/jit-{binding}")).0 == 200;
    let r = bao.get(&format!("auth/approle/role/jit-{binding}")).0 == 200;
    (p, r)
}

#[test]
fn example_applies_real_objects_and_repairs_drift() {
    let bao = Bao::start("example");
    let w = Workdir::new("openbao-example", Version::Latest, Install::DevOverrides);
    w.copy_from("examples/openbao");
    let now = whole(Timestamp::now());
    tfvars(&w, now - 1.hour(), now + 48.hours());
    let env = bao.env();
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply");

    // Checked over the HTTP API.
    let (status, role) = bao.get("auth/approle/role/jit-reporting-bot");
    assert_eq!(status, 200, "{role}");
    let d = &role["data"];
    for k in ["token_ttl", "token_max_ttl", "token_explicit_max_ttl", "secret_id_ttl"] {
        assert_eq!(d[k], 1800, "{k}: {d}");
    }
    assert_eq!(d["secret_id_num_uses"], 1);
    assert_eq!(d["token_bound_cidrs"], serde_json::json!(["10.0.0.0/8", "127.0.0.0/8"]));
    assert_eq!(d["secret_id_bound_cidrs"], serde_json::json!(["10.0.0.0/8", "127.0.0.0/8"]));
    assert_eq!(d["token_policies"], serde_json::json!(["jit-reporting-bot"]));
    let (status, policy) = bao.get("sys/policies/acl/jit-reporting-bot");
    assert_eq!(status, 200);
    let text = policy["data"]["policy"].as_str().expect("policy text");
    assert!(text.contains("path \"kv/data/reporting/*\" {\n  capabilities = [\"read\", \"list\"]\n}"), "{text}");
    assert!(text.contains("path \"kv/metadata/reporting/*\""), "{text}");
    let again = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env);
    assert_eq!(again.code, 0, "{}", again.all());

    // Out of band: a role's token_ttl changed and the policy deleted.
    let (s, _) =
        bao.request("POST", "auth/approle/role/jit-reporting-bot", Some(&serde_json::json!({"token_ttl": 60})), None);
    assert_eq!(s, 204);
    assert_eq!(bao.request("DELETE", "sys/policies/acl/jit-reporting-bot", None, None).0, 204);
    let drift = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env);
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert!(drift.stdout.contains("token_ttl") && drift.stdout.contains("60 -> 1800"), "{}", drift.stdout);
    assert!(drift.stdout.contains("+ \"sys/policies/acl/jit-reporting-bot\""), "{}", drift.stdout);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply restores");
    assert_eq!(bao.get("auth/approle/role/jit-reporting-bot").1["data"]["token_ttl"], 1800);
    assert_eq!(exists(&bao, "reporting-bot"), (true, true));
    assert_eq!(w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env).code, 0);

    // Import by name reads the objects back.
    ok(&w.run(&["state", "rm", "jit_binding.reporting"]), "state rm");
    let imp = w.run_env(&["import", "-input=false", "-no-color", "jit_binding.reporting", "reporting-bot"], &env);
    ok(&imp, "import");
    let show = w.run(&["state", "show", "-no-color", "jit_binding.reporting"]);
    assert!(
        show.stdout.contains("\"auth/approle/role/jit-reporting-bot\"") && show.stdout.contains("kv/data/reporting"),
        "{}",
        show.stdout
    );
    let after_import = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env);
    assert_eq!(after_import.code, 2, "{}", after_import.all());
    assert!(after_import.stdout.contains("1 to change, 0 to destroy"), "{}", after_import.stdout);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply after import");

    // Both objects deleted: the binding shows as a create, never an error.
    bao.request("DELETE", "auth/approle/role/jit-reporting-bot", None, None);
    bao.request("DELETE", "sys/policies/acl/jit-reporting-bot", None, None);
    let gone = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env);
    assert_eq!(gone.code, 2, "{}", gone.all());
    assert!(gone.stdout.contains("jit_binding.reporting will be created"), "{}", gone.stdout);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply recreates");
    assert_eq!(exists(&bao, "reporting-bot"), (true, true));

    ok(&w.run_env(&["destroy", "-input=false", "-auto-approve", "-no-color"], &env), "destroy");
    assert_eq!(exists(&bao, "reporting-bot"), (false, false));
}

/// A token from an AppRole login through the binding's role (a fresh secret id).
/// The capabilities a token has on a path.
fn capabilities(bao: &Bao, token: &str, path: &str) -> Vec<String> {
    let (s, v) = bao.request("POST", "sys/capabilities-self", Some(&serde_json::json!({"paths": [path]})), Some(token));
    assert_eq!(s, 200, "{v}");
    v["capabilities"].as_array().expect("capabilities").iter().filter_map(|c| c.as_str().map(String::from)).collect()
}

fn two_bindings(starts: Timestamp, ends: Timestamp) -> String {
    let header = jit_e2e_tests::broker_header("kv/data/x");
    let binding = |name: &str, nb: Timestamp, exp: Timestamp| {
        format!(
            r#"
resource "jit_binding" "{name}" {{
  name        = "{name}"
  role_spec   = jit_role.r.spec
  policy_spec = jit_policy.p.spec
  subject {{
    kind    = "workload"
    name    = "{name}"
    openbao = "{name}"
  }}
  not_before = "{nb}"
  expires_at = "{exp}"
}}
"#
        )
    };
    format!(
        r#"{header}resource "jit_policy" "p" {{
  name      = "p"
  max_grant = "2d"
  require {{
    source_cidrs = ["127.0.0.0/8"]
  }}
}}
{}{}"#,
        binding("later", starts, starts + 24.hours()),
        binding("ending", ends - 1.hour(), ends)
    )
}

#[test]
fn objects_follow_not_before_and_expires_at() {
    let bao = Bao::start("time");
    let env = bao.env();
    let w = Workdir::new("openbao-time", Version::Latest, Install::DevOverrides);
    let now = whole(Timestamp::now());
    let boundary = now + 30.seconds();
    w.write("main.tf", &two_bindings(boundary, boundary));
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply");
    assert!(Timestamp::now() < boundary, "apply took too long for this test");
    assert_eq!(exists(&bao, "later"), (false, false), "a pending binding creates no objects");
    assert_eq!(exists(&bao, "ending"), (true, true));
    // The policy carries the binding's expires_at: OpenBao removes it then.
    let (_, policy) = bao.get("sys/policies/acl/jit-ending");
    assert_eq!(policy["data"]["expiration"], boundary.to_string(), "{policy}");
    // A login through the role while active can read the path.
    let token = bao.approle_login("ending");
    assert_eq!(capabilities(&bao, &token, "kv/data/x"), ["read"]);
    let wait = boundary.as_millisecond() - Timestamp::now().as_millisecond() + 1500;
    std::thread::sleep(Duration::from_millis(wait.max(0) as u64));
    // With no Terraform run, the policy is gone; the role left behind grants
    // nothing: a new login's token has no capability on the path.
    assert_eq!(exists(&bao, "ending"), (false, true), "OpenBao removed the policy at expires_at");
    let token = bao.approle_login("ending");
    assert_eq!(capabilities(&bao, &token, "kv/data/x"), ["deny"]);
    // jit_credential refuses a binding past expires_at although its role
    // still exists.
    w.write(
        "credential.tf",
        "ephemeral \"jit_credential\" \"late\" {\n  rule = jit_binding.ending.broker_rule_json\n}\n",
    );
    let refused = w.run_env(&["plan", "-input=false", "-no-color"], &env);
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(refused.all().contains("binding `ending` has ended"), "{}", refused.all());
    std::fs::remove_file(w.dir.join("credential.tf")).expect("remove credential.tf");
    let plan = w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains(r#""pending" -> "active""#) && plan.stdout.contains(r#""active" -> "expired""#),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("0 to add, 2 to change, 0 to destroy"), "{}", plan.stdout);
    let apply = w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env);
    ok(&apply, "apply the transitions");
    assert!(apply.stdout.contains("0 added, 2 changed, 0 destroyed"), "{}", apply.stdout);
    assert_eq!(exists(&bao, "later"), (true, true), "objects appear once active");
    assert_eq!(exists(&bao, "ending"), (false, false), "expiry removes the objects");
    assert_eq!(w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env).code, 0);
}

#[test]
fn faults_are_clear_and_state_matches_the_server() {
    let bao = Bao::start("faults");
    let w = Workdir::new("openbao-faults", Version::Latest, Install::DevOverrides);
    w.copy_from("examples/openbao");
    let now = whole(Timestamp::now());
    tfvars(&w, now - 1.hour(), now + 48.hours());

    // A token without rights: 403 names the path and the capability.
    let weak = bao.powerless_token();
    let env = vec![("BAO_ADDR", bao.addr.as_str()), ("BAO_TOKEN", weak.as_str())];
    let denied = w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env);
    assert_ne!(denied.code, 0);
    assert!(
        denied.all().contains("permission denied on `sys/policies/acl/jit-reporting-bot`")
            && denied.all().contains("`update` capability"),
        "{}",
        denied.all()
    );
    assert_eq!(exists(&bao, "reporting-bot"), (false, false));

    // With rights it converges.
    let env = bao.env();
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply");
    assert_eq!(exists(&bao, "reporting-bot"), (true, true));

    // Sealed: said plainly.
    bao.seal();
    let sealed = w.run_env(&["plan", "-input=false", "-no-color"], &env);
    assert_ne!(sealed.code, 0);
    assert!(sealed.all().contains("is sealed"), "{}", sealed.all());
    bao.unseal();
    assert_eq!(w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color"], &env).code, 0);

    // A closed port: the address is named.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let addr = format!("http://127.0.0.1:{closed}");
    let env_closed = vec![("BAO_ADDR", addr.as_str()), ("BAO_TOKEN", bao.token.as_str())];
    let unreachable = w.run_env(&["plan", "-input=false", "-no-color"], &env_closed);
    assert_ne!(unreachable.code, 0);
    assert!(unreachable.all().contains(&format!("OpenBao at {addr} is unreachable")), "{}", unreachable.all());

    // The server stopped: same, and the state still describes it.
    bao.stop();
    let stopped = w.run_env(&["plan", "-input=false", "-no-color"], &env);
    assert_ne!(stopped.code, 0);
    assert!(stopped.all().contains("is unreachable"), "{}", stopped.all());
    let show = w.run(&["state", "list"]);
    assert!(show.stdout.contains("jit_binding.reporting"), "{}", show.stdout);
}

const CHECK_PY: &str = r#"import json, os, urllib.request, urllib.error
req = urllib.request.Request(os.environ["BAO_ADDR"] + "/v1/auth/token/lookup-self", headers={"X-Vault-Token": os.environ["TOKEN"]})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        data = json.load(r)["data"]
        out = {"status": r.status, "accessor": data["accessor"], "expire_time": data["expire_time"]}
except urllib.error.HTTPError as e:
    out = {"status": e.code}
json.dump(out, open("lookup.json", "w"))
open("token.txt", "w").write(os.environ["TOKEN"])
if "EXPIRES_AT" in os.environ:
    open("expires_at.txt", "w").write(os.environ["EXPIRES_AT"])
"#;

#[test]
fn ephemeral_credential_works_during_apply_and_is_revoked_and_never_stored() {
    let bao = Bao::start("ephemeral");
    let env = bao.env();
    let w = Workdir::new("openbao-ephemeral", Version::Latest, Install::DevOverrides);
    w.copy_from("examples/openbao");
    let now = whole(Timestamp::now());
    tfvars(&w, now - 1.hour(), now + 48.hours());
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply the binding");
    w.write("check.py", CHECK_PY);
    w.write(
        "credential.tf",
        r#"
ephemeral "jit_credential" "bot" {
  rule = jit_binding.reporting.broker_rule_json
  ttl  = "10m"
}

resource "terraform_data" "use" {
  input = jit_binding.reporting.digest
  provisioner "local-exec" {
    command     = "python3 check.py"
    environment = {
      TOKEN    = ephemeral.jit_credential.bot.token
      BAO_ADDR = "BAO_ADDR_HERE"
    }
  }
}
"#
        .replace("BAO_ADDR_HERE", &bao.addr)
        .as_str(),
    );
    let mut trace = env.clone();
    let log = w.dir.join("trace.log");
    let log_s = log.display().to_string();
    trace.push(("TF_LOG", "trace"));
    trace.push(("TF_LOG_PATH", log_s.as_str()));
    ok(&w.run_env(&["plan", "-input=false", "-no-color", "-out=use.tfplan"], &trace), "plan with the credential");
    let plan_text = plan_file_text(&w.dir.join("use.tfplan"));
    let apply = w.run_env(&["apply", "-input=false", "-no-color", "use.tfplan"], &trace);
    ok(&apply, "apply with the credential");

    // During the apply the token authenticated.
    let lookup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.dir.join("lookup.json")).expect("lookup.json")).expect("json");
    assert_eq!(lookup["status"], 200, "lookup-self during apply: {lookup}");
    let token = std::fs::read_to_string(w.dir.join("token.txt")).expect("token");
    assert!(token.starts_with("s.") || token.len() > 20, "a real token: {}", token.len());
    // After the run it is revoked.
    let (status, _) = bao.request("GET", "auth/token/lookup-self", None, Some(&token));
    assert_eq!(status, 403, "the credential must be revoked after the run");

    // The token never reaches state, the saved plan or the trace logs.
    let state = std::fs::read_to_string(w.dir.join("terraform.tfstate")).expect("state");
    let logs = std::fs::read_to_string(&log).expect("trace log");
    assert!(logs.len() > 10_000, "trace logging was on");
    for (what, text) in [("state", &state), ("plan file", &plan_text), ("trace log", &logs), ("output", &apply.all())] {
        assert!(!text.contains(token.trim()), "the token appears in the {what}");
        assert!(tokens_in(text).is_empty(), "an OpenBao token appears in the {what}: {:?}", tokens_in(text).len());
    }

    // Something that is not a binding's rule is refused.
    w.write("credential.tf", "ephemeral \"jit_credential\" \"nope\" {\n  rule = \"{}\"\n}\n");
    let refused = w.run_env(&["plan", "-input=false", "-no-color"], &env);
    assert_ne!(refused.code, 0);
    assert!(refused.all().contains("is not a binding's broker rule"), "{}", refused.all());
}

/// `HH:MM` (UTC) and the three-letter day of an instant.
fn clock(t: Timestamp) -> (String, &'static str) {
    let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let day = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][dt.weekday().to_sunday_zero_offset() as usize];
    (format!("{:02}:{:02}", dt.hour(), dt.minute()), day)
}

fn floor_minute(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(60)).expect("timestamp")
}

/// A binding of role `r` under a policy with one UTC window from `from` to
/// `to` (starting on `from`'s day), its dates around now.
fn windowed(name: &str, from: Timestamp, to: Timestamp, now: Timestamp) -> String {
    let ((start, day), (end, _)) = (clock(from), clock(to));
    format!(
        r#"
resource "jit_policy" "{name}" {{
  name = "{name}"
  window {{
    days     = ["{day}"]
    start    = "{start}"
    end      = "{end}"
    timezone = "UTC"
  }}
}}
resource "jit_binding" "{name}" {{
  name        = "{name}"
  role_spec   = jit_role.r.spec
  policy_spec = jit_policy.{name}.spec
  subject {{
    kind    = "workload"
    name    = "{name}"
    openbao = "{name}"
  }}
  not_before = "{}"
  expires_at = "{}"
}}
"#,
        now - 1.hour(),
        now + 24.hours()
    )
}

#[test]
fn ephemeral_credential_enforces_windows_at_issuance() {
    let bao = Bao::start("issuance");
    let env = bao.env();
    let w = Workdir::new("openbao-issuance", Version::Latest, Install::DevOverrides);
    let now = whole(Timestamp::now());
    // Inside: a window that opened an hour ago and closes in 20 minutes.
    // Outside: a window opening in two hours.
    let closes = floor_minute(now + 20.minutes());
    let opens = floor_minute(now + 2.hours());
    let header = jit_e2e_tests::broker_header("kv/data/x");
    let main = format!(
        "{header}{}{}",
        windowed("inside", now - 1.hour(), closes, now),
        windowed("outside", opens, opens + 1.hour(), now)
    );
    w.write("main.tf", &main);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply");
    assert_eq!(exists(&bao, "outside"), (true, true), "both bindings are active by their dates");

    w.write(
        "credential.tf",
        "ephemeral \"jit_credential\" \"out\" {\n  rule = jit_binding.outside.broker_rule_json\n}\n",
    );
    let refused = w.run_env(&["plan", "-input=false", "-no-color"], &env);
    assert_ne!(refused.code, 0, "{}", refused.all());
    let text = refused.all();
    assert!(text.contains("binding `outside` is outside its windows now"), "{text}");
    assert!(text.contains(&format!("it opens next at {opens}")), "{text}");

    w.write("check.py", CHECK_PY);
    w.write(
        "credential.tf",
        &r#"
ephemeral "jit_credential" "in" {
  rule = jit_binding.inside.broker_rule_json
}

resource "terraform_data" "use" {
  input = jit_binding.inside.digest
  provisioner "local-exec" {
    command     = "python3 check.py"
    environment = {
      TOKEN      = ephemeral.jit_credential.in.token
      EXPIRES_AT = ephemeral.jit_credential.in.expires_at
      BAO_ADDR   = "BAO_ADDR_HERE"
    }
  }
}
"#
        .replace("BAO_ADDR_HERE", &bao.addr),
    );
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply with the credential");
    // The credential and the token itself end with the window, not an hour on.
    let expires: Timestamp = std::fs::read_to_string(w.dir.join("expires_at.txt"))
        .expect("expires_at.txt")
        .trim()
        .parse()
        .expect("an instant");
    assert!(expires <= closes && expires > now, "expires_at {expires}, window closes {closes}");
    let lookup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.dir.join("lookup.json")).expect("lookup.json")).expect("json");
    let token_end: Timestamp = lookup["expire_time"].as_str().and_then(|t| t.parse().ok()).expect("expire_time");
    assert!(token_end <= closes + 2.seconds(), "the token expires at {token_end}, after the window's end {closes}");
}

#[test]
fn three_hundred_bindings_in_parallel() {
    let bao = Bao::start("load");
    let env = bao.env();
    let w = Workdir::new("openbao-load", Version::Latest, Install::DevOverrides);
    let now = whole(Timestamp::now());
    let header = jit_e2e_tests::broker_header("kv/data/team/*");
    w.write(
        "main.tf",
        &format!(
            r#"{header}resource "jit_policy" "p" {{
  name = "p"
}}
resource "jit_binding" "b" {{
  count       = 300
  name        = "load-${{count.index}}"
  role_spec   = jit_role.r.spec
  policy_spec = jit_policy.p.spec
  subject {{
    kind    = "workload"
    name    = "svc-${{count.index}}"
    openbao = "svc-${{count.index}}"
  }}
  not_before = "{}"
  expires_at = "{}"
}}
"#,
            now - 1.hour(),
            now + 48.hours()
        ),
    );
    let apply = w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env);
    ok(&apply, "apply 300 bindings");
    let count = |path: &str| {
        bao.request("LIST", path, None, None).1["data"]["keys"]
            .as_array()
            .map(|k| k.iter().filter(|n| n.as_str().is_some_and(|n| n.starts_with("jit-load-"))).count())
            .unwrap_or(0)
    };
    assert_eq!(count("sys/policies/acl"), 300, "300 policies");
    assert_eq!(count("auth/approle/role"), 300, "300 roles");
    assert_eq!(
        w.run_env(&["plan", "-input=false", "-detailed-exitcode", "-no-color", "-parallelism=20"], &env).code,
        0
    );
    ok(&w.run_env(&["destroy", "-input=false", "-auto-approve", "-no-color", "-parallelism=20"], &env), "destroy");
    assert_eq!(count("sys/policies/acl"), 0, "policies removed");
    assert_eq!(count("auth/approle/role"), 0, "roles removed");
}
