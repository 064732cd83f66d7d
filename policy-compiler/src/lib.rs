//! # jit policy compiler
//!
//! The `jit/v1` policy language, compiled in one pipeline of pure stages,
//! each a public function with its own types:
//!
//! ```text
//!  text ──syntax::parse──▶ Node tree (spans) ──ast::build_document──▶ ast::Document
//!       ──resolve::resolve──▶ ir::Model ──validate::validate──▶ (diagnostics)
//!       ──lower::lower_binding(targets)──▶ target models ──render──▶ JSON / HCL / CEL text
//! ```
//!
//! [`compile`] runs the whole pipeline over a [`SourceMap`]. Compilation is
//! deterministic and never reads the clock; [`ir::is_active`] is the one
//! definition of when a grant is in force. Targets are registered in
//! [`target`]: each is a lowering module (`lower/`) and a renderer
//! (`render/`).

pub mod approvals;
pub mod ast;
pub mod diag;
pub mod diff;
pub mod explain;
pub mod history;
pub mod ir;
pub mod load;
pub mod lower;
pub mod measure;
pub mod render;
pub mod resolve;
pub mod sarif;
pub mod schema;
pub mod source;
pub mod syntax;
pub mod target;
pub mod validate;

use diag::Diagnostics;
use lower::{BindingOutput, Options};
use source::SourceMap;
use target::Target;

/// Everything one compilation produced.
#[derive(Debug, Default)]
pub struct Compilation {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    pub model: ir::Model,
    /// One entry per resolved binding, sorted by name. Empty when
    /// `diagnostics` has errors.
    pub outputs: Vec<BindingOutput>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

/// Parse and build the AST of every file; syntax errors are collected.
pub fn parse_all(sources: &SourceMap, diags: &mut Diagnostics) -> Vec<ast::Document> {
    sources.files().filter_map(|(id, file)| parse_file(id, file, diags)).collect()
}

/// Parse and build the AST of one file; `None` (with the error collected)
/// when it is not a `jit/v1` document.
pub fn parse_file(id: source::FileId, file: &source::SourceFile, diags: &mut Diagnostics) -> Option<ast::Document> {
    let root = match syntax::parse(id, file) {
        Ok(root) => root,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if let Err(d) = syntax::read_version(&root) {
        diags.push(d);
        return None;
    }
    ast::build_document(id, &root, diags)
}

/// Run the whole pipeline: parse, resolve, validate, and lower every binding
/// to `targets`. Lowering runs even when earlier stages reported errors in
/// other declarations, so one run reports as much as possible; outputs are
/// dropped if anything failed.
pub fn compile(sources: SourceMap, targets: &[Target], opts: &Options) -> Compilation {
    let mut diags = Diagnostics::new();
    let (model, failed) = front(&sources, &mut diags);
    let lowered = || model.bindings.iter().filter(|b| !failed.contains(&b.name));
    let peers = lower::Peers::of(lowered());
    let mut outputs: Vec<BindingOutput> =
        lowered().map(|b| lower::lower_binding(b, targets, opts, &peers, &mut diags)).collect();
    outputs.sort_by(|a, b| a.binding.cmp(&b.binding));
    diags.sort();
    if diags.has_errors() {
        outputs.clear();
    }
    Compilation { sources, diagnostics: diags, model, outputs }
}

/// Parse, resolve and validate: the model and the bindings that failed
/// validation (the stages [`compile`] and [`analyze`] share).
fn front(sources: &SourceMap, diags: &mut Diagnostics) -> (ir::Model, std::collections::BTreeSet<String>) {
    let docs = parse_all(sources, diags);
    let docs: Vec<&ast::Document> = docs.iter().collect();
    front_parsed(&docs, sources, diags)
}

fn front_parsed(
    docs: &[&ast::Document],
    sources: &SourceMap,
    diags: &mut Diagnostics,
) -> (ir::Model, std::collections::BTreeSet<String>) {
    let model = resolve::resolve(docs, sources, diags);
    let failed = validate::validate(&model, &resolve::referenced(docs), diags);
    (model, failed)
}

/// Resolve and validate documents already parsed (by [`parse_file`]), as
/// [`analyze`] does: for tools that read many revisions of the same files
/// and parse each file's content once (`jitc history`).
pub fn analyze_parsed(docs: &[&ast::Document], sources: &SourceMap) -> (ir::Model, Diagnostics) {
    let mut diags = Diagnostics::new();
    let (model, _) = front_parsed(docs, sources, &mut diags);
    diags.sort();
    (model, diags)
}

/// Parse, resolve and validate, without lowering: the model and its
/// diagnostics (target limits are not checked). For tools that only need
/// the meaning of the documents, such as `jitc diff`.
pub fn analyze(sources: SourceMap) -> Compilation {
    let mut diags = Diagnostics::new();
    let (model, _) = front(&sources, &mut diags);
    diags.sort();
    Compilation { sources, diagnostics: diags, model, outputs: Vec::new() }
}
