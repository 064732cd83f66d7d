//! No input may panic: mutated corpus documents go through parse, resolve,
//! validate and lower for every target. Every diagnostic must point inside
//! its file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
use common::*;
use jit_policy::lower::Options;
use jit_policy::source::{SourceFile, SourceMap, Syntax};
use jit_policy::target::Target;
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "=",
    ":",
    "\n",
    "  ",
    "-",
    ",",
    "*",
    "#",
    "${x}",
    "&a",
    "*a",
    "window {",
    "role \"x\" {",
    "09:00",
    "24:61",
    "2026-02-30T00:00:00Z",
    "Europe/Paris",
    "null",
    "true",
    "1e400",
    "-1",
    "\u{feff}",
    "é",
    "\t",
    "<<EOT\n",
    "|",
];

fn corpus() -> Vec<(Syntax, String)> {
    let mut files = files_under(&data("corpus"));
    files.extend(files_under(&root().join("examples/policies")));
    files
        .into_iter()
        .filter_map(|p| {
            let syntax = Syntax::from_path(&p)?;
            Some((syntax, std::fs::read_to_string(&p).ok()?))
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    DuplicateLine(usize),
    Truncate(usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        let n = s.len().max(1);
        let at = |i: usize| {
            let mut i = i % n;
            while i > 0 && !s.is_char_boundary(i) {
                i -= 1;
            }
            i.min(s.len())
        };
        match *e {
            Edit::Delete(i, len) => {
                let a = at(i);
                let mut b = (a + len % 40).min(s.len());
                while !s.is_char_boundary(b) {
                    b += 1;
                }
                s.replace_range(a..b, "");
            }
            Edit::Insert(i, t) => {
                let a = at(i);
                s.insert_str(a, TOKENS[t % TOKENS.len()]);
            }
            Edit::DuplicateLine(i) => {
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let k = i % lines.len();
                    let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                    v.insert(k, lines[k].to_string());
                    s = v.join("\n");
                }
            }
            Edit::Truncate(i) => {
                let a = at(i);
                s.truncate(a);
            }
        }
    }
    s
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn check_no_panic(syntax: Syntax, text: String) {
    let len = text.len();
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(if syntax == Syntax::Hcl { "m.hcl" } else { "m.yaml" }, syntax, text));
    let c = jit_policy::compile(sources, Target::ALL, &Options::default());
    for d in c.diagnostics.iter() {
        if let Some(span) = d.span {
            assert!(span.start <= span.end && span.end <= len, "span {span:?} outside a {len}-byte file: {d:?}");
        }
        let l = d.locate(&c.sources);
        assert!(l.line >= 1 && l.column >= 1, "{l:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn mutated_documents_never_panic(doc in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..6)) {
        let docs = corpus();
        prop_assume!(!docs.is_empty());
        let (syntax, text) = docs[doc.index(docs.len())].clone();
        check_no_panic(syntax, apply(&text, &edits));
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let hcl = format!("version = \"jit/v1\"\nx = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
    check_no_panic(Syntax::Hcl, hcl);
    let yaml = format!("version: jit/v1\nx: {}1{}\n", "[".repeat(5000), "]".repeat(5000));
    check_no_panic(Syntax::Yaml, yaml);
    let obj = format!("version = \"jit/v1\"\nx = {}\n", "{a = ".repeat(3000) + "1" + &"}".repeat(3000));
    check_no_panic(Syntax::Hcl, obj);
}

#[test]
fn arbitrary_bytes_never_panic() {
    for seed in 0u64..300 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let text: String = (0..(seed as usize % 200))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from_u32((x % 0x80) as u32).unwrap_or('a')
            })
            .collect();
        check_no_panic(Syntax::Hcl, text.clone());
        check_no_panic(Syntax::Yaml, text);
    }
}
