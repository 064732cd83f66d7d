//! Loading policy files from paths: a file, or a folder searched
//! recursively for `*.hcl`, `*.yaml` and `*.yml` (in sorted order).

use crate::source::{SourceFile, SourceMap, Syntax};
use std::path::{Path, PathBuf};

/// A path that could not be read. The OS error is part of the message, not
/// a separate cause, so error chains print it once.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{path}`: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("`{path}` is not a policy document: expected a `.hcl`, `.yaml` or `.yml` file")]
    NotAPolicy { path: String },
    #[error("`{path}` is not valid UTF-8")]
    NotUtf8 { path: String },
}

/// Load every document under `paths`. Folders are walked recursively
/// (depth-bounded, symlinked folders not followed).
pub fn load_paths(paths: &[PathBuf]) -> Result<SourceMap, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| LoadError::Io { path: p.display().to_string(), cause: e })?;
        if meta.is_dir() {
            walk(p, 0, &mut files)?;
        } else if Syntax::from_path(p).is_some() {
            files.push(p.clone());
        } else {
            return Err(LoadError::NotAPolicy { path: p.display().to_string() });
        }
    }
    let mut map = SourceMap::new();
    for f in files {
        map.add(read_file(&f)?);
    }
    Ok(map)
}

/// Every policy document under a folder (recursively, sorted).
pub fn policy_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    walk(dir, 0, &mut out)?;
    Ok(out)
}

/// Read one file as a source.
pub fn read_file(path: &Path) -> Result<SourceFile, LoadError> {
    let syntax = Syntax::from_path(path).ok_or_else(|| LoadError::NotAPolicy { path: path.display().to_string() })?;
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io { path: path.display().to_string(), cause: e })?;
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 { path: path.display().to_string() })?;
    let mut f = SourceFile::new(path.display().to_string(), syntax, text);
    f.path = path.to_path_buf();
    Ok(f)
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    if depth > 32 {
        return Ok(());
    }
    let io = |e| LoadError::Io { path: dir.display().to_string(), cause: e };
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk(&p, depth + 1, out)?;
        } else if Syntax::from_path(&p).is_some() {
            out.push(p);
        }
    }
    Ok(())
}
