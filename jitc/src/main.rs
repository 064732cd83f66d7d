//! `jitc`: check, compile, explain and query `jit/v1` policy documents.
//!
//! Exit codes: 0 clean, 1 errors in the documents, 2 usage (bad arguments
//! or unreadable paths).

mod drift;
mod git;
mod human;

use clap::{Parser, Subcommand, ValueEnum};
use jit_policy::diag::Severity;
use jit_policy::lower::Options;
use jit_policy::target::Target;
use jit_policy::{explain, ir, load, render, sarif, schema, source::SourceMap};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "jitc", version, about = "The jit policy compiler: time-bound access as code")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum OutFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DiffFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Widen,
    Any,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, validate and lint; exit 1 on errors.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "human")]
        format: CheckFormat,
    },
    /// Lower every binding to its targets.
    Compile {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Targets to lower to, or `all` (repeat or separate with commas).
        #[arg(long, default_value = "all", value_delimiter = ',')]
        target: Vec<String>,
        /// Only `json` is supported; kept for symmetry with the other commands.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write one file per binding and target under DIR instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Prefix of OpenBao policy and AppRole names.
        #[arg(long, default_value = "jit-")]
        openbao_prefix: String,
    },
    /// Say in words who may do what, where, when, for how long.
    Explain {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Only bindings of this subject (name or any identity).
        #[arg(long)]
        subject: Option<String>,
    },
    /// Who holds access at an instant.
    Who {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// RFC 3339 instant, e.g. 2026-12-01T10:00:00Z.
        #[arg(long)]
        at: String,
        /// Only bindings whose role covers this resource (globs in the role match).
        #[arg(long)]
        resource: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: OutFormat,
    },
    /// The access diff between two git revisions (HEAD defaults to the working tree).
    Diff {
        /// BASE revision, optional HEAD revision, then policy paths.
        #[arg(required = true, num_args = 2..)]
        args: Vec<String>,
        #[arg(long, value_enum, default_value = "markdown")]
        format: DiffFormat,
        /// Exit 3 when a change widens access (`widen`) or on any change (`any`).
        #[arg(long, value_enum)]
        fail_on: Option<FailOn>,
    },
    /// Compare compiled broker objects with a live OpenBao server: missing,
    /// changed, expired-but-present and undeclared objects. Exit 2 on drift.
    Drift {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        openbao_addr: String,
        /// Environment variable holding the token (default BAO_TOKEN, then VAULT_TOKEN).
        #[arg(long)]
        token_env: Option<String>,
        #[arg(long, default_value = "jit-")]
        name_prefix: String,
        #[arg(long, default_value = "approle")]
        approle_mount: String,
        #[arg(long)]
        namespace: Option<String>,
        /// Evaluate bindings at this instant instead of now (RFC 3339).
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: OutFormat,
    },
    /// Write the generated JSON Schemas (or check them with --check).
    Schema {
        #[arg(long, default_value = "schemas")]
        out: PathBuf,
        /// Fail if the files on disk differ from the generated ones.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_targets(list: &[String]) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for t in list.iter().map(|s| s.trim()) {
        if t == "all" {
            return Ok(Target::ALL.to_vec());
        }
        match Target::parse(t) {
            Some(t) if !out.contains(&t) => out.push(t),
            Some(_) => {}
            None => {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                anyhow::bail!("unknown target `{t}`: expected {} or all", names.join(", "))
            }
        }
    }
    Ok(out)
}

fn load(paths: &[PathBuf]) -> anyhow::Result<SourceMap> {
    let sources = load::load_paths(paths)?;
    if sources.is_empty() {
        anyhow::bail!("no policy documents (*.hcl, *.yaml, *.yml) found under the given paths");
    }
    Ok(sources)
}

fn out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check { paths, format } => {
            let c = jit_policy::compile(load(&paths)?, Target::ALL, &Options::default());
            match format {
                CheckFormat::Human => {
                    let text = human::render_all(&c.diagnostics, &c.sources);
                    eprint!("{text}");
                    let errors = c.diagnostics.errors().count();
                    let warnings = c.diagnostics.warnings().count();
                    eprintln!(
                        "{}: {} file(s), {} binding(s), {errors} error(s), {warnings} warning(s)",
                        if errors > 0 { "failed" } else { "ok" },
                        c.sources.len(),
                        c.model.bindings.len()
                    );
                }
                CheckFormat::Json => {
                    let (errors, warnings): (Vec<_>, Vec<_>) =
                        c.diagnostics.iter().map(|d| d.locate(&c.sources)).partition(|l| l.severity == Severity::Error);
                    out(&render::pretty(&json!({"errors": errors, "warnings": warnings})))?;
                }
                CheckFormat::Sarif => out(&render::pretty(&sarif::to_sarif(c.diagnostics.iter(), &c.sources)))?,
            }
            Ok(exit(c.has_errors()))
        }
        Command::Compile { paths, target, format, out: dir, openbao_prefix } => {
            if format != "json" {
                anyhow::bail!("unknown format `{format}`: compile writes json");
            }
            let targets = parse_targets(&target)?;
            let opts = Options { openbao_prefix };
            let c = jit_policy::compile(load(&paths)?, &targets, &opts);
            eprint!("{}", human::render_all(&c.diagnostics, &c.sources));
            if c.has_errors() {
                eprintln!("failed: {} error(s); nothing was written", c.diagnostics.errors().count());
                return Ok(ExitCode::from(1));
            }
            match dir {
                None => {
                    let stdout = std::io::stdout().lock();
                    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout);
                    render::write_compile_json(&mut w, &c.outputs)?;
                    w.flush()?;
                }
                Some(dir) => {
                    let mut n = 0;
                    for l in &c.outputs {
                        for (rel, text) in render::binding_files(l) {
                            write_file(&dir.join(rel), &text)?;
                            n += 1;
                        }
                    }
                    eprintln!("wrote {n} file(s) for {} binding(s) under {}", c.outputs.len(), dir.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { paths, subject } => {
            let c = jit_policy::compile(load(&paths)?, Target::ALL, &Options::default());
            if c.has_errors() {
                eprint!("{}", human::render_all(&c.diagnostics, &c.sources));
                return Ok(ExitCode::from(1));
            }
            let text = explain::explain(&c.model, subject.as_deref());
            if text.is_empty() {
                eprintln!("no bindings{}", subject.map(|s| format!(" for subject `{s}`")).unwrap_or_default());
            }
            out(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Who { paths, at, resource, format } => {
            let at: jiff::Timestamp = at.parse().map_err(|e| {
                anyhow::anyhow!("`--at {at}` is not an RFC 3339 instant ({e}); write e.g. 2026-12-01T10:00:00Z")
            })?;
            let c = jit_policy::compile(load(&paths)?, Target::ALL, &Options::default());
            if c.has_errors() {
                eprint!("{}", human::render_all(&c.diagnostics, &c.sources));
                return Ok(ExitCode::from(1));
            }
            let active: Vec<&ir::Binding> = c
                .model
                .bindings
                .iter()
                .filter(|b| ir::is_active(b, at))
                .filter(|b| {
                    resource
                        .as_deref()
                        .is_none_or(|r| explain::resources(b).iter().any(|(_, p)| explain::resource_matches(p, r)))
                })
                .collect();
            match format {
                OutFormat::Json => {
                    let items: Vec<_> = active.iter().map(|b| who_json(b)).collect();
                    out(&render::pretty(&json!({"at": at.to_string(), "active": items})))?;
                }
                OutFormat::Human => {
                    if active.is_empty() {
                        out(&format!("nobody holds access at {at}\n"))?;
                    }
                    for b in active {
                        out(&format!(
                            "{}  {} `{}`  role `{}` until {}\n",
                            b.name,
                            b.subject.kind.as_str(),
                            b.subject.name,
                            b.role.name,
                            b.expires_at
                        ))?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Diff { args, format, fail_on } => {
            // Exit 1 on errors (bad revisions, unreadable documents), as the
            // diff contract says; 3 is reserved for --fail-on.
            let (base, head, paths) = match git::split_args(&args) {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitCode::from(1));
                }
            };
            let head_label = head.clone().unwrap_or_else(|| "working tree".to_string());
            let compile_side = |rev: Option<&str>| -> anyhow::Result<Result<jit_policy::Compilation, String>> {
                let sources = git::load(rev, &paths)?;
                let c = jit_policy::analyze(sources);
                if c.has_errors() {
                    return Ok(Err(human::render_all(&c.diagnostics, &c.sources)));
                }
                Ok(Ok(c))
            };
            let sides = compile_side(Some(&base)).and_then(|a| Ok((a, compile_side(head.as_deref())?)));
            let sides = match sides {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return Ok(ExitCode::from(1));
                }
            };
            let (a, b) = match sides {
                (Ok(a), Ok(b)) => (a, b),
                (Err(e), _) => {
                    eprint!("{e}");
                    eprintln!("failed: the documents at `{base}` do not compile");
                    return Ok(ExitCode::from(1));
                }
                (_, Err(e)) => {
                    eprint!("{e}");
                    eprintln!("failed: the documents at {head_label} do not compile");
                    return Ok(ExitCode::from(1));
                }
            };
            let changes = jit_policy::diff::diff(&a.model, &b.model);
            match format {
                DiffFormat::Markdown => out(&jit_policy::diff::markdown(&changes, &base, &head_label))?,
                DiffFormat::Json => {
                    out(&render::pretty(&json!({"base": base, "head": head_label, "changes": changes})))?
                }
            }
            let hit = match fail_on {
                Some(FailOn::Any) => !changes.is_empty(),
                Some(FailOn::Widen) => changes.iter().any(|c| c.widens),
                None => false,
            };
            Ok(if hit { ExitCode::from(3) } else { ExitCode::SUCCESS })
        }
        Command::Drift { paths, openbao_addr, token_env, name_prefix, approle_mount, namespace, at, format } => {
            let at: jiff::Timestamp = match at {
                Some(a) => a.parse().map_err(|e| anyhow::anyhow!("`--at {a}` is not an RFC 3339 instant ({e})"))?,
                None => jiff::Timestamp::now(),
            };
            let settings = jit_openbao::Settings {
                address: Some(openbao_addr),
                token: None,
                token_env,
                namespace,
                approle_mount: Some(approle_mount),
                name_prefix: Some(name_prefix.clone()),
                ca_cert_pem: None,
            };
            let config = settings.resolve(&|k| std::env::var(k).ok()).map_err(|e| anyhow::anyhow!("{e}"))?;
            let opts = Options { openbao_prefix: config.name_prefix.clone() };
            let c = jit_policy::compile(load(&paths)?, &[Target::Openbao], &opts);
            if c.has_errors() {
                eprint!("{}", human::render_all(&c.diagnostics, &c.sources));
                return Ok(ExitCode::from(1));
            }
            let findings = match drift::run(&c, config, at) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            match format {
                OutFormat::Json => out(&render::pretty(&json!({"at": at.to_string(), "drift": findings})))?,
                OutFormat::Human => out(&drift::human(&findings, at))?,
            }
            Ok(if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        Command::Schema { out: dir, check } => {
            let mut stale = Vec::new();
            for (name, text) in schema::files() {
                let path = dir.join(name);
                if check {
                    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                        stale.push(path.display().to_string());
                    }
                } else {
                    write_file(&path, &text)?;
                }
            }
            if !stale.is_empty() {
                eprintln!("out of date: {} (run `jitc schema --out {}`)", stale.join(", "), dir.display());
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn who_json(b: &ir::Binding) -> serde_json::Value {
    json!({
        "binding": b.name,
        "subject": {"kind": b.subject.kind.as_str(), "name": b.subject.name},
        "role": b.role.name,
        "policy": b.policy.name,
        "not_before": b.not_before.to_string(),
        "expires_at": b.expires_at.to_string(),
        "resources": explain::resources(b).into_iter().map(|(t, r)| json!({"target": t, "resource": r})).collect::<Vec<_>>(),
    })
}

fn exit(errors: bool) -> ExitCode {
    if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Write through a temporary file and rename, so a failure never leaves a
/// half-written file.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
