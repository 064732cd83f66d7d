//! Target models -> text: the last stage. Each target's renderer is one
//! module here implementing [`Rendering`]; this module assembles a
//! binding's outputs from them. Deterministic: targets in registry order,
//! struct field order, sorted maps, bindings by name, two-space pretty JSON
//! with a trailing newline.

pub mod aws;
pub mod aws_trust;
pub mod azure;
pub mod broker;
pub mod gcp;
mod indent;
pub mod openbao;
pub mod rego;
pub mod spec;

use crate::lower::{BindingOutput, Options, TargetOutput};
use crate::target::Target;
use serde::ser::SerializeMap;
use serde::Serialize;
use serde_json::Value;

/// The contract of a target's renderer.
pub trait Rendering {
    /// The model it renders (the target's `Lowering::Model`).
    type Model: 'static;

    /// The target's flat outputs: one string or number each, for consumers
    /// that take scalars (the provider's `jit_binding` attributes).
    const FLAT_OUTPUTS: &'static [FlatOutput];

    /// The target's entries of a binding's `jitc compile` JSON object, in
    /// order (`aws`, `aws_max_session_duration`).
    fn fields<M: SerializeMap>(&self, model: &Self::Model, map: &mut M) -> Result<(), M::Error>;

    /// Files for `jitc compile --out DIR`, relative to the binding's folder.
    fn files(&self, model: &Self::Model) -> Vec<(String, String)>;

    /// The values of [`Rendering::FLAT_OUTPUTS`], in the same order.
    fn flat_values(&self, model: &Self::Model) -> Vec<FlatValue>;

    /// Files for the whole compilation, relative to `--out DIR`, that every
    /// binding with a model on this target contributes to (an OPA bundle,
    /// one object per service); `models` are in binding-name order. Most
    /// targets have none.
    fn shared_files(&self, _models: &[(&str, &Self::Model)], _opts: &Options) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// A scalar output of a target, declared ahead of any binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatOutput {
    pub name: &'static str,
    pub kind: FlatKind,
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlatKind {
    /// Text (often compact JSON).
    Text,
    Number,
}

/// The value of a flat output.
#[derive(Debug, Clone, PartialEq)]
pub enum FlatValue {
    Text(String),
    Number(f64),
    /// No value for this binding (for example, no horizon).
    Null,
}

pub(crate) fn write_fields<R: Rendering, M: SerializeMap>(
    r: &R,
    out: &TargetOutput,
    map: &mut M,
) -> Result<(), M::Error> {
    match out.model::<R::Model>() {
        Some(m) => r.fields(m, map),
        None => Ok(()),
    }
}

pub(crate) fn files<R: Rendering>(r: &R, out: &TargetOutput) -> Vec<(String, String)> {
    out.model::<R::Model>().map(|m| r.files(m)).unwrap_or_default()
}

pub(crate) fn target_shared_files<R: Rendering>(
    r: &R,
    target: Target,
    outputs: &[&BindingOutput],
    opts: &Options,
) -> Vec<(String, String)> {
    let models: Vec<(&str, &R::Model)> =
        outputs.iter().filter_map(|l| Some((l.binding.as_str(), l.get(target)?.model::<R::Model>()?))).collect();
    r.shared_files(&models, opts)
}

pub(crate) fn flat_values<R: Rendering>(r: &R, out: &TargetOutput) -> Vec<(&'static str, FlatValue)> {
    let Some(m) = out.model::<R::Model>() else {
        return Vec::new();
    };
    R::FLAT_OUTPUTS.iter().map(|o| o.name).zip(r.flat_values(m)).collect()
}

/// Compact JSON of a model part.
pub fn compact<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Pretty JSON with a trailing newline.
pub fn pretty<T: Serialize + ?Sized>(v: &T) -> String {
    let mut buf = Vec::with_capacity(4096);
    // Writing to a Vec cannot fail, but a value can refuse to serialize:
    // then nothing of it is kept, as before.
    if indent::write(&mut buf, v).is_err() {
        buf.clear();
    }
    buf.push(b'\n');
    String::from_utf8(buf).unwrap_or_default()
}

/// One binding's outputs as the `jitc compile --format json` object:
/// each target's fields, then `enforcement`, `digest` and `warnings`.
struct BindingView<'a>(&'a BindingOutput);

impl Serialize for BindingView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut m = s.serialize_map(None)?;
        for out in &l.targets {
            out.target.write_fields(out, &mut m)?;
        }
        let enforcement: std::collections::BTreeMap<&str, &str> =
            l.enforcement().map(|(t, e)| (t.as_str(), e.as_str())).collect();
        m.serialize_entry("enforcement", &enforcement)?;
        m.serialize_entry("digest", &l.digest)?;
        m.serialize_entry("warnings", &l.warnings)?;
        m.end()
    }
}

/// One binding's outputs as a JSON value (for `--out` and tests).
pub fn binding_json(l: &BindingOutput) -> Value {
    serde_json::to_value(BindingView(l)).unwrap_or(Value::Null)
}

/// One binding's flat outputs, every target's in registry order.
pub fn flat_outputs(l: &BindingOutput) -> Vec<(&'static str, FlatValue)> {
    l.targets.iter().flat_map(|o| o.target.flat_values(o)).collect()
}

/// The bindings map, serialised lazily in name order.
struct Bindings<'a>(Vec<&'a BindingOutput>);

impl Serialize for Bindings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for l in &self.0 {
            m.serialize_entry(&l.binding, &BindingView(l))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct CompileOutput<'a> {
    bindings: Bindings<'a>,
}

/// Stream the `jitc compile --format json` document to `w` (pretty, with a
/// trailing newline), without building it in memory.
pub fn write_compile_json<W: std::io::Write>(mut w: W, outputs: &[BindingOutput]) -> std::io::Result<()> {
    let mut sorted: Vec<&BindingOutput> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.binding.cmp(&b.binding));
    indent::write(&mut w, &CompileOutput { bindings: Bindings(sorted) })?;
    w.write_all(b"\n")
}

/// The whole `jitc compile --format json` document as a string.
pub fn compile_json(outputs: &[BindingOutput]) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_compile_json(&mut buf, outputs);
    String::from_utf8(buf).unwrap_or_default()
}

/// The files `jitc compile --out DIR` writes for one binding: path relative
/// to DIR, and content. Each target's files, then `binding.json`.
pub fn binding_files(l: &BindingOutput) -> Vec<(String, String)> {
    let name = &l.binding;
    let mut files: Vec<(String, String)> =
        l.targets.iter().flat_map(|o| o.target.files(o)).map(|(rel, text)| (format!("{name}/{rel}"), text)).collect();
    files.push((format!("{name}/binding.json"), pretty(&BindingView(l))));
    files
}

/// The files `jitc compile --out DIR` writes for the compilation as a
/// whole (each target's [`Rendering::shared_files`], in registry order),
/// relative to DIR.
pub fn shared_files(outputs: &[BindingOutput], opts: &Options) -> Vec<(String, String)> {
    let mut sorted: Vec<&BindingOutput> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.binding.cmp(&b.binding));
    Target::ALL.iter().flat_map(|t| t.shared_files(&sorted, opts)).collect()
}
