//! Installing the provider like any registry provider: the release layout
//! of `tools/dist.sh` (what `make dist` and the release workflow run), a
//! packed filesystem mirror built from it, and real Terraform (1.15 and
//! 1.0.3) with no `dev_overrides`: `init` installs and locks the package,
//! the lock's `h1:` hash is the one computed here from the zip's entries
//! (`tests/tools/zip_hash1.py`), `providers lock -fs-mirror` agrees, the
//! quickstart applies, and a zip altered after locking is refused. The
//! checksums are signed with a throwaway RSA key and verified by `gpg`.
//! The packages hold the debug build (the release build would add minutes
//! to `make test`; the packaging is the same).

use jit_e2e_tests::terraform::{provider_binary, Install, Run, Version, Workdir};
use jit_e2e_tests::{jitc_bin, root, run_tool};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn workspace_version() -> String {
    let out = Command::new("bash").arg(root().join("tools/dist.sh")).arg("version").output().expect("dist.sh runs");
    assert!(out.status.success(), "dist.sh version: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn dist(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut c = Command::new("bash");
    c.arg(root().join("tools/dist.sh")).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("dist.sh runs");
    assert!(out.status.success(), "dist.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jit-install-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `dist/` for this host, packaged once from the debug builds.
fn dist_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("dist");
        let (provider, jitc) = (provider_binary().display().to_string(), jitc_bin().display().to_string());
        let out = dir.display().to_string();
        dist(
            &["package", "--out", &out, "--os", "linux", "--arch", "amd64", "--provider", &provider, "--jitc", &jitc],
            &[],
        );
        dist(&["finish", "--out", &out], &[("GPG_FINGERPRINT", "")]);
        dir
    })
}

fn zip_name(v: &str) -> String {
    format!("terraform-provider-jit_{v}_linux_amd64.zip")
}

/// The zip's entries and `h1:` hash, read from the zip by Python.
fn zip_facts(zip: &Path) -> Value {
    let (code, stdout, stderr) = run_tool("zip_hash1.py", &[&zip.display().to_string()], "");
    assert_eq!(code, 0, "zip_hash1.py: {stderr}");
    serde_json::from_str(&stdout).expect("zip_hash1.py prints JSON")
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

#[test]
fn dist_writes_the_registry_layout() {
    let v = workspace_version();
    let dir = dist_dir();
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("jitc_{v}_SHA256SUMS"),
            format!("jitc_{v}_linux_amd64.tar.gz"),
            format!("terraform-provider-jit_{v}_SHA256SUMS"),
            format!("terraform-provider-jit_{v}_linux_amd64.zip"),
            format!("terraform-provider-jit_{v}_manifest.json"),
        ]
    );
    // Exactly one file in the zip, executable, no directory entries.
    let facts = zip_facts(&dir.join(zip_name(&v)));
    let entries = facts["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["name"], format!("terraform-provider-jit_v{v}"));
    assert_eq!(entries[0]["mode"], 0o755);
    assert_eq!(entries[0]["size"], std::fs::metadata(provider_binary()).unwrap().len());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("terraform-provider-jit_{v}_manifest.json"))).unwrap())
            .unwrap();
    assert_eq!(manifest, serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}}));
    // SHA256SUMS: "HASH  FILENAME" for the zip and the manifest, true hashes.
    let sums = std::fs::read_to_string(dir.join(format!("terraform-provider-jit_{v}_SHA256SUMS"))).unwrap();
    let lines: Vec<&str> = sums.lines().collect();
    assert_eq!(lines.len(), 2, "{sums}");
    for line in lines {
        let (hash, name) = line.split_once("  ").expect("two spaces");
        assert!(hash.len() == 64 && hash.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{line}");
        assert!(!name.starts_with('*') && !name.contains(' '), "{line}");
        assert_eq!(hash, sha256_hex(&dir.join(name)), "{name}");
    }
    // The jitc archive holds jitc, and `jitc --version` says the version.
    let list = Command::new("tar").arg("-tzvf").arg(dir.join(format!("jitc_{v}_linux_amd64.tar.gz"))).output().unwrap();
    let listing = String::from_utf8_lossy(&list.stdout);
    assert!(listing.starts_with("-rwxr-xr-x") && listing.trim_end().ends_with(" jitc"), "{listing}");
    let out = Command::new(jitc_bin()).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("jitc {v}"));
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what} failed:\n{}", r.all());
}

/// The `h1:` hashes the lock file records for the jit provider.
fn locked_hashes(w: &Workdir) -> Vec<String> {
    let lock = std::fs::read_to_string(w.dir.join(".terraform.lock.hcl")).expect("a lock file");
    let block = lock.split("provider \"registry.terraform.io/jit/jit\"").nth(1).expect("the jit provider is locked");
    block.split('"').filter(|s| s.starts_with("h1:") || s.starts_with("zh:")).map(str::to_string).collect()
}

fn mirror_with(zip: &Path, name: &str) -> PathBuf {
    let mirror = scratch(name);
    let pkg = mirror.join("registry.terraform.io/jit/jit");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(zip, pkg.join(zip.file_name().unwrap())).unwrap();
    mirror
}

fn installs_from_a_packed_mirror(version: Version) {
    let v = workspace_version();
    let zip = dist_dir().join(zip_name(&v));
    let h1 = zip_facts(&zip)["h1"].as_str().unwrap().to_string();
    let mirror = mirror_with(&zip, &format!("mirror-{version:?}"));

    let w = Workdir::new(&format!("install-{version:?}"), version, Install::Mirror);
    w.use_packed_mirror(&mirror);
    w.copy_from("examples/quickstart");
    w.set_clock("2026-12-02T10:00:00Z");
    let init = w.run(&["init", "-input=false", "-no-color"]);
    ok(&init, "init from the packed mirror");
    assert!(init.all().contains(&format!("Installed jit/jit v{v}")), "{}", init.all());
    assert_eq!(locked_hashes(&w), vec![h1.clone()], "the lock records the zip's h1 hash");
    ok(&w.run(&["apply", "-input=false", "-auto-approve", "-no-color"]), "apply of the quickstart");
    assert_eq!(w.run(&["plan", "-input=false", "-detailed-exitcode", "-no-color"]).code, 0);
    // Over TCP (the transport on Windows), the installed package serves too.
    let log = w.dir.join("tcp.log");
    let log_s = log.display().to_string();
    let tcp = w.run_env(
        &["plan", "-input=false", "-detailed-exitcode", "-no-color"],
        &[("JIT_PLUGIN_TRANSPORT", "tcp"), ("TF_LOG", "trace"), ("TF_LOG_PATH", &log_s)],
    );
    assert_eq!(tcp.code, 0, "plan over TCP:\n{}", tcp.all());
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    // The provider's own log line (version and network), relayed by Terraform.
    let serving: Vec<&str> = log.lines().filter(|l| l.contains(": serving:")).collect();
    assert!(
        !serving.is_empty() && serving.iter().all(|l| l.contains("network=tcp") && l.contains(&format!("version={v}"))),
        "every provider process served over TCP and logged its version: {serving:?}"
    );

    // `providers lock` from the mirror alone agrees.
    let lock = w.dir.join(".terraform.lock.hcl");
    std::fs::remove_file(&lock).unwrap();
    let fs_mirror = format!("-fs-mirror={}", mirror.display());
    ok(&w.run(&["providers", "lock", &fs_mirror, "-platform=linux_amd64", "-no-color"]), "providers lock");
    assert_eq!(locked_hashes(&w), vec![h1], "providers lock -fs-mirror records the same hash");

    // A package altered after locking is refused.
    let altered_bin = scratch(&format!("altered-{version:?}")).join("terraform-provider-jit");
    let mut bytes = std::fs::read(provider_binary()).unwrap();
    bytes.extend_from_slice(b"\0tampered");
    std::fs::write(&altered_bin, bytes).unwrap();
    let altered_dist = scratch(&format!("altered-dist-{version:?}"));
    dist(
        &[
            "package",
            "--out",
            &altered_dist.display().to_string(),
            "--os",
            "linux",
            "--arch",
            "amd64",
            "--provider",
            &altered_bin.display().to_string(),
            "--jitc",
            &jitc_bin().display().to_string(),
        ],
        &[],
    );
    let altered_mirror = mirror_with(&altered_dist.join(zip_name(&v)), &format!("altered-mirror-{version:?}"));
    w.use_packed_mirror(&altered_mirror);
    std::fs::remove_dir_all(w.dir.join(".terraform")).unwrap();
    let refused = w.run(&["init", "-input=false", "-no-color"]);
    assert_ne!(refused.code, 0, "init must refuse an altered package:\n{}", refused.all());
    assert!(
        refused.all().contains("checksum") || refused.all().contains("doesn't match"),
        "the refusal names the checksum:\n{}",
        refused.all()
    );
    for d in [mirror, altered_mirror, altered_dist, altered_bin.parent().unwrap().to_path_buf()] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn terraform_latest_installs_from_a_packed_mirror() {
    installs_from_a_packed_mirror(Version::Latest);
}

#[test]
fn terraform_1_0_3_installs_from_a_packed_mirror() {
    installs_from_a_packed_mirror(Version::V1_0_3);
}

/// The checksums signed with a throwaway RSA key (gpg, in its own home):
/// a binary detached signature that `gpg --verify` accepts, and refuses
/// once the checksums change.
#[test]
fn checksums_are_signed_with_an_rsa_key() {
    let v = workspace_version();
    // A short path: gpg-agent's socket lives in the home.
    let home = PathBuf::from(format!("/tmp/jit-gpg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg").env("GNUPGHOME", &home).arg("--batch").args(args).output();
        out.unwrap_or_else(|e| panic!("gpg (Debian package gnupg; `make tools` installs it): {e}"))
    };
    let gen = gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "jit release test <release-test@example.invalid>",
        "rsa3072",
        "sign",
        "1d",
    ]);
    assert!(gen.status.success(), "key generation: {}", String::from_utf8_lossy(&gen.stderr));
    let keys = gpg(&["--with-colons", "--list-secret-keys"]);
    let listing = String::from_utf8_lossy(&keys.stdout).into_owned();
    let fpr = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .expect("a fingerprint");
    assert!(
        listing.lines().any(|l| l.starts_with("sec:") && l.split(':').nth(3) == Some("1")),
        "an RSA key: {listing}"
    );

    let dir = scratch("signed");
    std::fs::copy(dist_dir().join(zip_name(&v)), dir.join(zip_name(&v))).unwrap();
    let home_s = home.display().to_string();
    dist(&["finish", "--out", &dir.display().to_string()], &[("GPG_FINGERPRINT", &fpr), ("GNUPGHOME", &home_s)]);
    let sums = dir.join(format!("terraform-provider-jit_{v}_SHA256SUMS"));
    let sig = dir.join(format!("terraform-provider-jit_{v}_SHA256SUMS.sig"));
    let bytes = std::fs::read(&sig).expect("a signature");
    assert!(bytes[0] & 0x80 != 0 && !bytes.starts_with(b"-----"), "a binary OpenPGP packet, not armored");
    let verify = gpg(&["--verify", &sig.display().to_string(), &sums.display().to_string()]);
    assert!(verify.status.success(), "gpg --verify: {}", String::from_utf8_lossy(&verify.stderr));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("Good signature"));
    let mut text = std::fs::read_to_string(&sums).unwrap();
    text.push_str(&format!("{}  extra.zip\n", "0".repeat(64)));
    std::fs::write(&sums, text).unwrap();
    let tampered = gpg(&["--verify", &sig.display().to_string(), &sums.display().to_string()]);
    assert!(!tampered.status.success(), "a changed SHA256SUMS must not verify");
    let _ = Command::new("gpgconf").env("GNUPGHOME", &home).args(["--kill", "gpg-agent"]).status();
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&dir);
}
