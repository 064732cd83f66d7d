//! Machine to machine, end to end (`examples/m2m-postgres`): real
//! Terraform, a real OpenBao dev server whose database secrets engine is
//! pointed at a real PostgreSQL server (both on loopback, ephemeral ports,
//! stopped at the end). A workload gets a just-in-time token through
//! `ephemeral "jit_credential"`, reads a dynamic database user with it and
//! runs a query; the user disappears with the lease and with the token;
//! outside the window no token is issued; after `expires_at` the policy is
//! gone on the server and an old token reads nothing. Neither the token
//! nor the database password reaches state, plan files or logs.

use jiff::{Timestamp, ToSpan};
use jit_e2e_tests::openbao::{bao_bin, tokens_in, Bao};
use jit_e2e_tests::postgres::Postgres;
use jit_e2e_tests::root;
use jit_e2e_tests::terraform::{plan_file_text, Install, Run, Version, Workdir};
use serde_json::Value;
use std::time::{Duration, Instant};

const BINDING: &str = "reporting-job";
/// The database role's lifetimes: short, so expiry is seen in the test.
const DB_DEFAULT_TTL: i64 = 20;
const DB_MAX_TTL: i64 = 40;

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.all());
}

fn whole(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).expect("timestamp")
}

fn floor_minute(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second() - t.as_second().rem_euclid(60)).expect("timestamp")
}

/// The example's variables: the grant, and a UTC window from `from` to `to`
/// starting on `from`'s day.
fn tfvars(w: &Workdir, nb: Timestamp, exp: Timestamp, from: Timestamp, to: Timestamp, run: bool) {
    let hhmm = |t: Timestamp| {
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        format!("{:02}:{:02}", dt.hour(), dt.minute())
    };
    let day = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        [from.to_zoned(jiff::tz::TimeZone::UTC).weekday().to_sunday_zero_offset() as usize];
    w.write(
        "terraform.tfvars",
        &format!(
            "not_before = \"{nb}\"\nexpires_at = \"{exp}\"\nrun_report = {run}\nwindow = {{\n  days  = [\"{day}\"]\n  start = \"{}\"\n  end   = \"{}\"\n}}\n",
            hhmm(from),
            hhmm(to)
        ),
    );
}

/// Poll `f` every 250 ms for at most `limit`; whether it became true.
fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if f() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Whether PostgreSQL has a role of that name.
fn has_role(pg: &Postgres, name: &str) -> bool {
    pg.admin(&format!("SELECT count(*) FROM pg_roles WHERE rolname = '{}'", name.replace('\'', "''"))) == "1"
}

/// Database users OpenBao created for the reporting role.
fn reporting_users(pg: &Postgres) -> usize {
    pg.admin("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'jit-reporting-%'").parse().expect("a count")
}

#[test]
fn a_workload_reads_a_database_user_just_in_time_and_it_disappears() {
    let pg = Postgres::start("m2m");
    let bao = Bao::start("m2m");
    let t0 = whole(Timestamp::now());
    let expires_at = t0 + 90.seconds();

    // The administrator's one-time set-up, as the example's README runs it.
    let port = pg.port.to_string();
    let bao_path = bao_bin().display().to_string();
    let setup = std::process::Command::new("bash")
        .arg(root().join("examples/m2m-postgres/configure-database.sh"))
        .env("BAO", &bao_path)
        .env("BAO_ADDR", &bao.addr)
        .env("BAO_TOKEN", &bao.token)
        .env("PGHOST", "127.0.0.1")
        .env("PGPORT", &port)
        .env("PGUSER", &pg.user)
        .env("PGPASSWORD", &pg.password)
        .env("DB_DEFAULT_TTL", format!("{DB_DEFAULT_TTL}s"))
        .env("DB_MAX_TTL", format!("{DB_MAX_TTL}s"))
        .output()
        .expect("configure-database.sh");
    assert!(setup.status.success(), "configure-database.sh: {}", String::from_utf8_lossy(&setup.stderr));

    let w = Workdir::new("m2m-postgres", Version::Latest, Install::DevOverrides);
    w.copy_from("examples/m2m-postgres");
    let record = w.dir.join("record.json");
    let record_s = record.display().to_string();
    let trace_log = w.dir.join("trace.log");
    let trace_s = trace_log.display().to_string();
    let mut env = bao.env();
    env.extend([("PGHOST", "127.0.0.1"), ("PGPORT", port.as_str()), ("PGDATABASE", "postgres")]);
    env.push(("WORKLOAD_RECORD", record_s.as_str()));
    let mut trace = env.clone();
    trace.extend([("TF_LOG", "trace"), ("TF_LOG_PATH", trace_s.as_str())]);

    // 1. Inside the grant and its window: the workload runs its query.
    let (opened, closes) = (floor_minute(t0 - 10.minutes()), floor_minute(t0 + 2.hours()));
    // The binding first (its AppRole role must exist before a credential
    // can be opened), then a run.
    tfvars(&w, t0 - 1.hour(), expires_at, opened, closes, false);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply: the binding");
    tfvars(&w, t0 - 1.hour(), expires_at, opened, closes, true);
    ok(&w.run_env(&["plan", "-input=false", "-no-color", "-out=run.tfplan"], &trace), "plan the run");
    let plan_text = plan_file_text(&w.dir.join("run.tfplan"));
    let apply = w.run_env(&["apply", "-input=false", "-no-color", "run.tfplan"], &trace);
    ok(&apply, "apply: the workload's run");
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(&record).expect("record.json")).expect("JSON");
    assert_eq!(rec["result"], "1", "SELECT 1 as the dynamic user: {rec}");
    // Terraform hides a provisioner's output when its config holds an
    // ephemeral value: the run's record is the evidence.
    assert!(apply.all().contains("(output suppressed due to ephemeral value in config)"), "{}", apply.all());
    let (user, password) = (rec["username"].as_str().expect("user"), rec["password"].as_str().expect("password"));
    // The lease ends no later than the token does.
    let issued: Timestamp = rec["issued_at"].as_str().and_then(|t| t.parse().ok()).expect("issued_at");
    let token_end: Timestamp = rec["token_expire_time"].as_str().and_then(|t| t.parse().ok()).expect("expire_time");
    let lease = rec["lease_duration"].as_i64().expect("lease_duration");
    assert_eq!(lease, DB_DEFAULT_TTL, "the database role's default_ttl");
    assert!(
        issued + lease.seconds() <= token_end,
        "lease until {} after the token's end {token_end}",
        issued + lease.seconds()
    );
    assert!(token_end <= expires_at + 1.second(), "the token ends by expires_at: {token_end}");
    // The run is over: jit_credential revoked its token, and OpenBao the
    // database user read with it. PostgreSQL refuses the user.
    assert!(eventually(Duration::from_secs(15), || !has_role(&pg, user)), "{user} still exists after the run");
    let refused = pg.query_as(user, password, "SELECT 1").expect_err("login after the run must fail");
    assert!(refused.contains("password authentication failed"), "{refused}");
    // No secret in state, the saved plan, the trace log or the output.
    let state = std::fs::read_to_string(w.dir.join("terraform.tfstate")).expect("state");
    let logs = std::fs::read_to_string(&trace_log).expect("trace log");
    assert!(logs.len() > 10_000, "trace logging was on");
    for (what, text) in [("state", &state), ("plan file", &plan_text), ("trace log", &logs), ("output", &apply.all())] {
        assert!(!text.contains(password), "the database password appears in the {what}");
        assert!(tokens_in(text).is_empty(), "an OpenBao token appears in the {what}");
    }

    // 2. A token that outlives a run (AppRole login): its database user
    // ends with the lease's TTL, and PostgreSQL then refuses it.
    let token = bao.approle_login(BINDING);
    let (s, creds) = bao.request("GET", "database/creds/reporting", None, Some(&token));
    assert_eq!(s, 200, "{creds}");
    let (u2, p2) = (creds["data"]["username"].as_str().expect("user"), creds["data"]["password"].as_str().expect("pw"));
    assert_eq!(pg.query_as(u2, p2, "SELECT 1").as_deref(), Ok("1"));
    let limit = Duration::from_secs(DB_DEFAULT_TTL as u64 + 20);
    assert!(eventually(limit, || pg.query_as(u2, p2, "SELECT 1").is_err()), "{u2} still logs in after its lease");
    assert!(!has_role(&pg, u2), "the expired lease's user was dropped");

    // 3. Outside the window: no token is issued, so no credential is read.
    // (A window inside the grant that has closed already: one after
    // expires_at would leave the binding never active, JIT055.)
    let (opens, shuts) = (floor_minute(t0 - 50.minutes()), floor_minute(t0 - 20.minutes()));
    tfvars(&w, t0 - 1.hour(), expires_at, opens, shuts, false);
    ok(&w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env), "apply: a later window");
    tfvars(&w, t0 - 1.hour(), expires_at, opens, shuts, true);
    let before = reporting_users(&pg);
    let outside = w.run_env(&["apply", "-input=false", "-auto-approve", "-no-color"], &env);
    assert_ne!(outside.code, 0, "a credential outside the window:\n{}", outside.all());
    assert!(outside.all().contains(&format!("binding `{BINDING}` is outside its windows now")), "{}", outside.all());
    assert_eq!(reporting_users(&pg), before, "no database user was created outside the window");

    // 4. After expires_at the policy is gone on the server (its expiration),
    // and the old token, still alive, reads nothing.
    let wait = (expires_at.as_second() - Timestamp::now().as_second() + 2).max(0) as u64;
    eprintln!("m2m: steps 1-3 took {}s; waiting {wait}s for expires_at", Timestamp::now().as_second() - t0.as_second());
    assert!(wait <= 90, "the steps took longer than the grant: {wait}s to wait");
    std::thread::sleep(Duration::from_secs(wait));
    let policy = format!("sys/policies/acl/jit-{BINDING}");
    assert!(eventually(Duration::from_secs(10), || bao.get(&policy).0 == 404), "the policy outlived expires_at");
    assert_eq!(bao.request("GET", "auth/token/lookup-self", None, Some(&token)).0, 200, "the token itself lives on");
    let (s, body) = bao.request("GET", "database/creds/reporting", None, Some(&token));
    assert_eq!(s, 403, "an old token after expires_at: {body}");
}
