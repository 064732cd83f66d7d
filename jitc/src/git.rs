//! Reading policy documents at a git revision, for `jitc diff`.

use anyhow::{bail, Context};
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git").args(args).output().context("cannot run git")?;
    if !out.status.success() {
        bail!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(out.stdout)
}

fn is_revision(s: &str) -> bool {
    Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", &format!("{s}^{{commit}}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `BASE [HEAD] PATH...`: the second word is HEAD when it names a commit
/// and not a path.
pub fn split_args(args: &[String]) -> anyhow::Result<(String, Option<String>, Vec<PathBuf>)> {
    let base = args.first().cloned().context("BASE revision required")?;
    if !is_revision(&base) {
        bail!("`{base}` is not a git revision");
    }
    let rest = &args[1..];
    let (head, paths) = match rest.first() {
        Some(h) if rest.len() > 1 && is_revision(h) && !Path::new(h).exists() => (Some(h.clone()), &rest[1..]),
        _ => (None, rest),
    };
    if paths.is_empty() {
        bail!("give at least one policy path after the revisions");
    }
    Ok((base, head, paths.iter().map(PathBuf::from).collect()))
}

/// A path relative to the repository root, without touching the disk.
fn repo_relative(root: &Path, p: &Path) -> anyhow::Result<String> {
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir()?.join(p) };
    let mut norm = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                norm.pop();
            }
            Component::CurDir => {}
            other => norm.push(other),
        }
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let norm = norm.canonicalize().unwrap_or(norm);
    Ok(norm.strip_prefix(&root).map(|r| r.display().to_string()).unwrap_or_default())
}

/// The documents under `paths`, at `rev` (or in the working tree).
pub fn load(rev: Option<&str>, paths: &[PathBuf]) -> anyhow::Result<SourceMap> {
    let Some(rev) = rev else {
        return Ok(jit_policy::load::load_paths(paths)?);
    };
    let root = PathBuf::from(String::from_utf8_lossy(&git(&["rev-parse", "--show-toplevel"])?).trim());
    let mut files = Vec::new();
    for p in paths {
        let rel = repo_relative(&root, p)?;
        let listing = git(&[
            "-C",
            &root.display().to_string(),
            "ls-tree",
            "-r",
            "--name-only",
            rev,
            "--",
            if rel.is_empty() { "." } else { &rel },
        ])?;
        files.extend(String::from_utf8_lossy(&listing).lines().map(String::from));
    }
    files.sort();
    files.dedup();
    let files: Vec<String> = files.into_iter().filter(|f| Syntax::from_path(Path::new(f)).is_some()).collect();
    let blobs = cat_files(&root, rev, &files)?;
    let mut map = SourceMap::new();
    for (f, text) in files.iter().zip(blobs) {
        let Some(syntax) = Syntax::from_path(Path::new(f)) else { continue };
        let text = String::from_utf8(text).with_context(|| format!("{rev}:{f} is not UTF-8"))?;
        map.add(SourceFile::new(format!("{rev}:{f}"), syntax, text));
    }
    Ok(map)
}

/// The contents of `rev:file` for every file, read through one
/// `git cat-file --batch` process.
fn cat_files(root: &Path, rev: &str, files: &[String]) -> anyhow::Result<Vec<Vec<u8>>> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new("git")
        .args(["-C", &root.display().to_string(), "cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git stdin")?;
    let request: String = files.iter().map(|f| format!("{rev}:{f}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut out = BufReader::new(child.stdout.take().context("git stdout")?);
    let mut blobs = Vec::with_capacity(files.len());
    for f in files {
        let mut header = String::new();
        out.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("git cat-file: no blob for {rev}:{f} ({})", header.trim()))?;
        let mut blob = vec![0u8; size + 1];
        out.read_exact(&mut blob)?;
        blob.truncate(size);
        blobs.push(blob);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(blobs)
}
