//! The compile output's pretty JSON, written faster: the same bytes as
//! `serde_json`'s pretty printer (two spaces per level, `": "` between key
//! and value, empty containers as `[]`/`{}`), but each line break and its
//! indentation go out in one write instead of one write per level. A large
//! compile writes hundreds of thousands of AWS statements, each a dozen
//! lines several levels deep.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io;

/// A line break followed by the indentation of [`DEEP`] levels.
const BREAK: &[u8; 1 + 2 * DEEP] = &{
    let mut b = [b' '; 1 + 2 * DEEP];
    b[0] = b'\n';
    b
};
const DEEP: usize = 32;

/// serde_json's pretty layout, with indentation written in one piece.
#[derive(Debug, Default)]
pub struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    /// A line break, then the current depth's indentation.
    fn line<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        if self.depth <= DEEP {
            return w.write_all(&BREAK[..1 + 2 * self.depth]);
        }
        w.write_all(BREAK)?;
        (DEEP..self.depth).try_for_each(|_| w.write_all(b"  "))
    }

    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w)?;
        }
        w.write_all(bracket)
    }

    fn item<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(b",")?;
        }
        self.line(w)
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Write `v` as pretty JSON (no trailing newline).
pub fn write<W: io::Write, T: Serialize + ?Sized>(w: W, v: &T) -> serde_json::Result<()> {
    v.serialize(&mut serde_json::Serializer::with_formatter(w, Indented::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(v: &serde_json::Value) -> String {
        let mut buf = Vec::new();
        write(&mut buf, v).unwrap_or_default();
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn the_same_bytes_as_serde_json_pretty() {
        // Empty containers, nesting past DEEP levels, strings to escape,
        // numbers, null, and containers inside arrays.
        let mut deep = json!({"leaf": [1, {"x": []}]});
        for i in 0..(DEEP + 5) {
            deep = if i % 2 == 0 { json!({ "k": deep, "e": {} }) } else { json!([deep, [], null, "a\"b\n"]) };
        }
        let cases = [
            json!(null),
            json!([]),
            json!({}),
            json!({"a": [], "b": {}, "c": [[], {}], "d": "é\u{1}", "e": 1.5, "f": -3, "g": true}),
            deep,
        ];
        for v in cases {
            let theirs = serde_json::to_string_pretty(&v).unwrap_or_default();
            assert_eq!(ours(&v), theirs);
        }
    }
}
