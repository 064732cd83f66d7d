//! YAML front end (saphyr-parser events, which carry positions).
//!
//! Plain scalars are resolved with the YAML 1.2 core schema, so `09:00` and
//! `no` stay strings (the YAML 1.1 sexagesimal and Norway traps do not
//! apply). One document per file; anchors and aliases are expanded.

use super::{Entry, Node, Value};
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, SourceFile, Span};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError};
use std::collections::HashMap;

/// Deeper nesting than any policy document needs; refusing it keeps the
/// recursive reader far from the stack limit.
const MAX_DEPTH: usize = 64;

pub(super) fn parse(file: FileId, source: &SourceFile) -> Result<Node, Diagnostic> {
    let mut reader = Reader {
        file,
        source,
        events: Parser::new_from_str(&source.text),
        anchors: HashMap::new(),
        char_to_byte: if source.text.is_ascii() {
            None
        } else {
            let mut v: Vec<usize> = source.text.char_indices().map(|(i, _)| i).collect();
            v.push(source.text.len());
            Some(v)
        },
    };
    reader.document()
}

struct Reader<'a> {
    file: FileId,
    source: &'a SourceFile,
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    char_to_byte: Option<Vec<usize>>,
}

type Ev<'a> = (Event<'a>, saphyr_parser::Span);

impl<'a> Reader<'a> {
    fn offset(&self, m: &Marker) -> usize {
        match &self.char_to_byte {
            None => m.index().min(self.source.text.len()),
            Some(v) => v.get(m.index()).copied().unwrap_or(self.source.text.len()),
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span::new(self.file, self.offset(&s.start)..self.offset(&s.end))
    }

    fn scan_error(&self, e: &ScanError) -> Diagnostic {
        let m = e.marker();
        let at = self.offset(m);
        Diagnostic::at(Code::YamlSyntax, Span::new(self.file, at..at), format!("YAML syntax error: {}", e.info()))
            .with_help("fix the YAML syntax at this position (check indentation, `:` after keys and matching quotes)")
    }

    fn syntax(&self, span: Span, msg: impl Into<String>, help: &str) -> Diagnostic {
        Diagnostic::at(Code::YamlSyntax, span, msg).with_help(help)
    }

    fn next(&mut self) -> Result<Ev<'a>, Diagnostic> {
        match self.events.next() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(self.scan_error(&e)),
            None => {
                let end = self.source.text.len();
                Err(self.syntax(Span::new(self.file, end..end), "unexpected end of YAML", "the document ends early"))
            }
        }
    }

    fn document(&mut self) -> Result<Node, Diagnostic> {
        let whole = Span::new(self.file, 0..self.source.text.len());
        // StreamStart
        self.next()?;
        let (ev, sp) = self.next()?;
        let root = match ev {
            Event::StreamEnd => return Ok(Node::new(Value::Null, whole)),
            Event::DocumentStart(_) => {
                let (ev, sp) = self.next()?;
                self.node(ev, sp, 0)?
            }
            _ => {
                return Err(self.syntax(
                    self.span(&sp),
                    "expected a YAML document",
                    "start the file with `version: jit/v1`",
                ))
            }
        };
        // DocumentEnd, then either StreamEnd or a second document.
        let _ = self.next()?;
        let (ev, sp) = self.next()?;
        match ev {
            Event::StreamEnd => Ok(Node::new(root.value, whole)),
            _ => Err(self.syntax(
                self.span(&sp),
                "a policy file holds one YAML document, found a second one",
                "split the documents into separate files",
            )),
        }
    }

    fn node(&mut self, ev: Event<'a>, sp: saphyr_parser::Span, depth: usize) -> Result<Node, Diagnostic> {
        let span = self.span(&sp);
        if depth > MAX_DEPTH {
            return Err(self.syntax(
                span,
                format!("nesting deeper than {MAX_DEPTH} levels"),
                "policy documents are shallow; flatten this value",
            ));
        }
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node::new(scalar(&text, style), span);
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(n) => Ok(Node::new(n.value.clone(), span)),
                None => {
                    Err(self.syntax(span, "alias to an unknown anchor", "define the anchor (`&name`) before using it"))
                }
            },
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                let end = loop {
                    let (ev, sp) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break self.span(&sp);
                    }
                    items.push(self.node(ev, sp, depth + 1)?);
                };
                let node = Node::new(Value::List(items), Span::new(self.file, span.start..end.end.max(span.start)));
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, _) => {
                let mut entries = Vec::new();
                let end = loop {
                    let (ev, sp) = self.next()?;
                    let key_span = self.span(&sp);
                    let key = match ev {
                        Event::MappingEnd => break key_span,
                        Event::Scalar(text, _, _, _) => text.into_owned(),
                        Event::Alias(id) => match self.anchors.get(&id).map(|n| &n.value) {
                            Some(Value::Str(s)) => s.clone(),
                            _ => {
                                return Err(self.syntax(
                                    key_span,
                                    "map keys must be strings",
                                    "use a plain string as the key",
                                ))
                            }
                        },
                        _ => {
                            return Err(self.syntax(
                                key_span,
                                "map keys must be strings",
                                "use a plain string as the key",
                            ))
                        }
                    };
                    let (ev, sp) = self.next()?;
                    let value = self.node(ev, sp, depth + 1)?;
                    entries.push(Entry { key, key_span, value });
                };
                let node = Node::new(Value::Map(entries), Span::new(self.file, span.start..end.end.max(span.start)));
                self.remember(anchor, &node);
                Ok(node)
            }
            _ => Err(self.syntax(span, "unexpected YAML event", "check the document structure")),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

/// YAML 1.2 core schema resolution of a scalar.
fn scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::Str(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text.to_string())
}

fn parse_int(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -value } else { value })
}

fn looks_like_float(text: &str) -> bool {
    let t = text.trim_start_matches(['-', '+']);
    matches!(t, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
        || (t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+')))
}
