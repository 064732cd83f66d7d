//! Reading policy documents from git: at a revision (`jitc diff`,
//! `jitc approvals`, `jitc who --history`) and along the first-parent
//! history (`jitc history`).

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
    let root = toplevel()?;
    let mut args: Vec<String> =
        ["-C", &root.display().to_string(), "ls-tree", "-r", "--name-only", rev, "--"].map(String::from).to_vec();
    args.extend(pathspecs(&root, paths)?);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut files: Vec<String> = String::from_utf8_lossy(&git(&refs)?).lines().map(String::from).collect();
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
    let names: Vec<String> = files.iter().map(|f| format!("{rev}:{f}")).collect();
    cat_objects(root, &names)
}

/// The contents of each object (`REV:PATH` or a blob's id), read through
/// one `git cat-file --batch` process.
pub fn cat_objects(root: &Path, objects: &[String]) -> anyhow::Result<Vec<Vec<u8>>> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = Command::new("git")
        .args(["-C", &root.display().to_string(), "cat-file", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git stdin")?;
    let request: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let mut out = BufReader::new(child.stdout.take().context("git stdout")?);
    let mut blobs = Vec::with_capacity(objects.len());
    for o in objects {
        let mut header = String::new();
        out.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("git cat-file: no blob for {o} ({})", header.trim()))?;
        let mut blob = vec![0u8; size + 1];
        out.read_exact(&mut blob)?;
        blob.truncate(size);
        blobs.push(blob);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(blobs)
}

/// `paths` as pathspecs relative to the repository's top (`.` for the top).
fn pathspecs(root: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    paths.iter().map(|p| repo_relative(root, p).map(|rel| if rel.is_empty() { ".".into() } else { rel })).collect()
}

/// The repository's top directory.
pub fn toplevel() -> anyhow::Result<PathBuf> {
    Ok(PathBuf::from(String::from_utf8_lossy(&git(&["rev-parse", "--show-toplevel"])?).trim()))
}

/// A first-parent commit that changed files under the paths, and how.
pub struct Logged {
    pub commit: jit_policy::history::Commit,
    /// (path, blob id), `None` when the file was deleted.
    pub files: Vec<(String, Option<String>)>,
}

/// The first-parent history of HEAD that touched `paths`, oldest first,
/// with each commit's file changes against its first parent (policy
/// documents only).
pub fn first_parent_log(root: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<Logged>> {
    let mut args: Vec<String> = [
        "-C",
        &root.display().to_string(),
        "-c",
        "core.quotePath=false",
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        "--reverse",
        "--format=%x1e%H%x1f%ct%x1f%an <%ae>%x1f%(trailers:key=Approved-by,valueonly,separator=%x1d)%x1f%s",
        "HEAD",
        "--",
    ]
    .map(String::from)
    .to_vec();
    args.extend(pathspecs(root, paths)?);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = String::from_utf8(git(&refs)?).context("git log output is not UTF-8")?;
    let mut out = Vec::new();
    for record in text.split('\x1e').filter(|r| !r.trim().is_empty()) {
        let (header, raw) = record.split_once('\n').unwrap_or((record, ""));
        let fields: Vec<&str> = header.split('\x1f').collect();
        let [hash, time, author, trailers, summary] = fields[..] else {
            bail!("unexpected git log record `{header}`");
        };
        let secs: i64 = time.parse().with_context(|| format!("commit {hash}: time `{time}`"))?;
        let time = jiff::Timestamp::from_second(secs).with_context(|| format!("commit {hash}: time `{time}`"))?;
        let approved_by = trailers.split('\x1d').map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect();
        let mut files = Vec::new();
        for line in raw.lines().filter(|l| l.starts_with(':')) {
            let Some((meta, path)) = line.split_once('\t') else { continue };
            let path = unquote(path);
            if Syntax::from_path(Path::new(&path)).is_none() {
                continue;
            }
            let parts: Vec<&str> = meta.split_whitespace().collect();
            let (Some(blob), Some(status)) = (parts.get(3), parts.get(4)) else { continue };
            files.push((path, (!status.starts_with('D')).then(|| blob.to_string())));
        }
        let commit = jit_policy::history::Commit {
            hash: hash.to_string(),
            time,
            author: author.to_string(),
            approved_by,
            summary: summary.to_string(),
        };
        out.push(Logged { commit, files });
    }
    Ok(out)
}

/// A path as git prints it: quoted (C-style) when it has unusual characters.
fn unquote(p: &str) -> String {
    let Some(inner) = p.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else { return p.to_string() };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// The last first-parent commit at or before `at` that touched `paths`
/// (a revision's content is that of the last such commit): the revision
/// in force at `at`, taking merge time as apply time.
pub fn revision_at(paths: &[PathBuf], at: jiff::Timestamp) -> anyhow::Result<Option<(String, jiff::Timestamp)>> {
    let root = toplevel()?;
    let mut args: Vec<String> =
        ["-C", &root.display().to_string(), "log", "--first-parent", "--format=%H %ct", "HEAD", "--"]
            .map(String::from)
            .to_vec();
    args.extend(pathspecs(&root, paths)?);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = String::from_utf8_lossy(&git(&refs)?).into_owned();
    // Newest first; the first at or before `at` is the one in force.
    for line in text.lines() {
        let Some((hash, secs)) = line.split_once(' ') else { continue };
        let t = secs.parse().ok().and_then(|s| jiff::Timestamp::from_second(s).ok());
        if let Some(t) = t.filter(|t| *t <= at) {
            return Ok(Some((hash.to_string(), t)));
        }
    }
    Ok(None)
}
