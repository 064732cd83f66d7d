//! `jitc history`: the documents' first-parent history fed, revision by
//! revision, to the compiler's [`Ledger`]. Each blob is read from git once
//! and parsed once per content; each revision is then resolved from the
//! parsed documents of its files.

use crate::git;
use anyhow::Context;
use jit_policy::ast::Document;
use jit_policy::history::{History, Ledger, Period};
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What the walk read and parsed.
#[derive(Debug, Default)]
pub struct Stats {
    pub commits: usize,
    pub blobs: usize,
    pub parses: usize,
}

/// The ledger of `paths` from `since` (by default the first commit's time)
/// to `until`, of every subject or of `subject`.
pub fn run(
    paths: &[PathBuf],
    since: Option<jiff::Timestamp>,
    until: jiff::Timestamp,
    subject: Option<String>,
) -> anyhow::Result<(History, Stats)> {
    let root = git::toplevel()?;
    let log = git::first_parent_log(&root, paths)?;
    if log.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        anyhow::bail!("no first-parent commit of HEAD touched policy documents under {}", names.join(", "));
    }
    let since = since.or(log.first().map(|l| l.commit.time)).unwrap_or(until);
    let mut ledger = Ledger::new(Period { since, until, subject });
    // Every blob once, through one process.
    let mut ids: Vec<&str> =
        log.iter().flat_map(|l| l.files.iter().filter_map(|(_, b)| b.as_deref())).collect::<Vec<_>>();
    ids.sort_unstable();
    ids.dedup();
    let owned: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let blobs: HashMap<&str, Vec<u8>> = ids.iter().copied().zip(git::cat_objects(&root, &owned)?).collect();
    let mut stats = Stats { commits: log.len(), blobs: ids.len(), parses: 0 };
    let mut sources = SourceMap::new();
    let mut parsed: HashMap<(String, Syntax), Option<Document>> = HashMap::new();
    let mut tree: BTreeMap<String, String> = BTreeMap::new();
    for entry in &log {
        for (path, blob) in &entry.files {
            match blob {
                Some(b) => tree.insert(path.clone(), b.clone()),
                None => tree.remove(path),
            };
        }
        // Parse what this commit brings that was never parsed: only its
        // changed files can hold a new blob.
        for (path, blob) in entry.files.iter().filter_map(|(p, b)| Some((p, b.as_ref()?))) {
            let Some(syntax) = Syntax::from_path(Path::new(path)) else { continue };
            let key = (blob.clone(), syntax);
            if parsed.contains_key(&key) {
                continue;
            }
            let bytes = blobs.get(blob.as_str()).with_context(|| format!("blob {blob} of {path} was not read"))?;
            stats.parses += 1;
            let doc = String::from_utf8(bytes.clone()).ok().and_then(|text| {
                let short = entry.commit.hash.get(..12).unwrap_or(&entry.commit.hash);
                let id = sources.add(SourceFile::new(format!("{short}:{path}"), syntax, text));
                let mut diags = jit_policy::diag::Diagnostics::new();
                let doc = sources.get(id).and_then(|file| jit_policy::parse_file(id, file, &mut diags));
                doc.filter(|_| !diags.has_errors())
            });
            parsed.insert(key, doc);
        }
        let docs: Option<Vec<&Document>> = tree
            .iter()
            .filter_map(|(path, blob)| Syntax::from_path(Path::new(path)).map(|s| (blob.clone(), s)))
            .map(|key| parsed.get(&key).and_then(Option::as_ref))
            .collect();
        let Some(docs) = docs else {
            note_invalid(&entry.commit, "a document does not parse");
            ledger.skip(&entry.commit);
            continue;
        };
        let (model, diags) = jit_policy::analyze_parsed(&docs, &sources);
        let first = diags.errors().next().map(|d| d.message.clone());
        match first {
            Some(first) => {
                note_invalid(&entry.commit, &first);
                ledger.skip(&entry.commit);
            }
            None => ledger.push(&entry.commit, model),
        }
    }
    Ok((ledger.finish(), stats))
}

fn note_invalid(c: &jit_policy::history::Commit, why: &str) {
    eprintln!(
        "warning: commit {} ({}) does not compile ({why}); the revision before it stays in force",
        c.hash.get(..12).unwrap_or(&c.hash),
        c.time
    );
}
