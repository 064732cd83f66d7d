//! Terraform values (cty) in native form, and their wire encodings.
//!
//! Terraform sends `DynamicValue`s as msgpack (or JSON for stored state).
//! Decoding is untyped; encoding is driven by the schema [`Type`], so every
//! object carries every attribute (null where unset) and numbers use the
//! smallest exact encoding.

use std::collections::BTreeMap;

/// A cty type, as used in schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
}

impl Type {
    /// Compact cty type JSON, as the schema's `type` bytes.
    pub fn to_json(&self) -> String {
        match self {
            Type::String => "\"string\"".into(),
            Type::Number => "\"number\"".into(),
            Type::Bool => "\"bool\"".into(),
            Type::List(t) => format!("[\"list\",{}]", t.to_json()),
            Type::Set(t) => format!("[\"set\",{}]", t.to_json()),
            Type::Map(t) => format!("[\"map\",{}]", t.to_json()),
            Type::Object(attrs) => {
                let inner: Vec<String> =
                    attrs.iter().map(|(k, t)| format!("{}:{}", json_string(k), t.to_json())).collect();
                format!("[\"object\",{{{}}}]", inner.join(","))
            }
        }
    }

    pub fn list_of(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn map_of(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A value. Objects and maps share one variant: the schema type tells them
/// apart when encoding.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    /// Not known until apply (msgpack extension type 0, or a refined unknown).
    Unknown,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
    /// Known all the way down (no unknown inside).
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) => v.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// An attribute of an object value (`Null` when absent).
    pub fn get(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.as_map().and_then(|m| m.get(key)).unwrap_or(&NULL)
    }
    /// Set an attribute of an object value.
    pub fn set(&mut self, key: &str, v: Value) {
        if let Value::Map(m) = self {
            m.insert(key.to_string(), v);
        }
    }
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("msgpack ends early")]
    Eof,
    #[error("unsupported msgpack marker 0x{0:02x}")]
    Marker(u8),
    #[error("invalid UTF-8 in a string")]
    Utf8,
    #[error("map key is not a string")]
    Key,
    #[error("number `{0}` cannot be read")]
    Number(String),
    #[error("nesting too deep")]
    Depth,
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("{0} bytes after the value")]
    Trailing(usize),
}

const MAX_DEPTH: usize = 64;

/// Decode msgpack. Empty input is null. Any extension is an unknown value
/// (type 0, or type 12 with refinements we do not need).
pub fn from_msgpack(bytes: &[u8]) -> Result<Value, DecodeError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut r = Reader { b: bytes, i: 0 };
    let v = r.value(0)?;
    if r.i != bytes.len() {
        return Err(DecodeError::Trailing(bytes.len() - r.i));
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.i.checked_add(n).ok_or(DecodeError::Eof)?;
        let s = self.b.get(self.i..end).ok_or(DecodeError::Eof)?;
        self.i = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self.take(n)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
    fn string(&mut self, n: usize) -> Result<String, DecodeError> {
        std::str::from_utf8(self.take(n)?).map(str::to_string).map_err(|_| DecodeError::Utf8)
    }
    fn array(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut v = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            v.push(self.value(depth + 1)?);
        }
        Ok(Value::List(v))
    }
    fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
        let mut m = BTreeMap::new();
        for _ in 0..n {
            let Value::String(k) = self.value(depth + 1)? else { return Err(DecodeError::Key) };
            let v = self.value(depth + 1)?;
            m.insert(k, v);
        }
        Ok(Value::Map(m))
    }
    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::Depth);
        }
        let m = self.u8()?;
        Ok(match m {
            0x00..=0x7f => Value::Number(f64::from(m)),
            0x80..=0x8f => return self.map(usize::from(m & 0x0f), depth),
            0x90..=0x9f => return self.array(usize::from(m & 0x0f), depth),
            0xa0..=0xbf => Value::String(self.string(usize::from(m & 0x1f))?),
            0xc0 => Value::Null,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let n = self.be(1 << (m - 0xc4))? as usize;
                self.take(n)?;
                return Err(DecodeError::Marker(m));
            }
            0xc7..=0xc9 => {
                let n = self.be(1 << (m - 0xc7))? as usize;
                self.take(1 + n)?; // type byte + payload
                Value::Unknown
            }
            0xca => Value::Number(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Value::Number(f64::from_bits(self.be(8)?)),
            0xcc..=0xcf => Value::Number(self.be(1 << (m - 0xcc))? as f64),
            0xd0 => Value::Number(f64::from(self.take(1)?[0] as i8)),
            0xd1 => Value::Number(f64::from(self.be(2)? as u16 as i16)),
            0xd2 => Value::Number(f64::from(self.be(4)? as u32 as i32)),
            0xd3 => Value::Number(self.be(8)? as i64 as f64),
            0xd4..=0xd8 => {
                self.take(1 + (1 << (m - 0xd4)))?; // type byte + fixed payload
                Value::Unknown
            }
            0xd9..=0xdb => {
                let n = self.be(1 << (m - 0xd9))? as usize;
                Value::String(self.string(n)?)
            }
            0xdc | 0xdd => {
                let n = self.be(if m == 0xdc { 2 } else { 4 })? as usize;
                return self.array(n, depth);
            }
            0xde | 0xdf => {
                let n = self.be(if m == 0xde { 2 } else { 4 })? as usize;
                return self.map(n, depth);
            }
            0xe0..=0xff => Value::Number(f64::from(m as i8)),
            other => return Err(DecodeError::Marker(other)),
        })
    }
}

/// Numbers may arrive as decimal strings (cty's encoding of numbers that do
/// not fit an int64 or float64 exactly).
pub fn number_from_string(s: &str) -> Result<f64, DecodeError> {
    s.trim().parse::<f64>().map_err(|_| DecodeError::Number(s.to_string()))
}

/// Encode `v` as msgpack for type `t`.
pub fn to_msgpack(v: &Value, t: &Type) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, v, t);
    out
}

fn write_len(out: &mut Vec<u8>, n: usize, fix: u8, fix_max: usize, m16: u8, m32: u8) {
    if n <= fix_max {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(m16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(m32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n <= 31 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.push(0xd9);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_number(out: &mut Vec<u8>, f: f64) {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        let i = f as i64;
        if (0..=0x7f).contains(&i) {
            out.push(i as u8);
        } else if (-32..0).contains(&i) {
            out.push(i as i8 as u8);
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    } else {
        out.push(0xcb);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    }
}

fn write(out: &mut Vec<u8>, v: &Value, t: &Type) {
    match (v, t) {
        (Value::Null, _) => out.push(0xc0),
        // Unknown: extension type 0 with a one-byte payload.
        (Value::Unknown, _) => out.extend_from_slice(&[0xd4, 0x00, 0x00]),
        (Value::Bool(b), _) => out.push(if *b { 0xc3 } else { 0xc2 }),
        (Value::Number(f), _) => write_number(out, *f),
        (Value::String(s), _) => write_str(out, s),
        (Value::List(items), Type::List(et) | Type::Set(et)) => {
            write_len(out, items.len(), 0x90, 15, 0xdc, 0xdd);
            for i in items {
                write(out, i, et);
            }
        }
        (Value::Map(m), Type::Object(attrs)) => {
            write_len(out, attrs.len(), 0x80, 15, 0xde, 0xdf);
            for (k, at) in attrs {
                write_str(out, k);
                write(out, m.get(k).unwrap_or(&Value::Null), at);
            }
        }
        (Value::Map(m), Type::Map(et)) => {
            write_len(out, m.len(), 0x80, 15, 0xde, 0xdf);
            for (k, v) in m {
                write_str(out, k);
                write(out, v, et);
            }
        }
        // A value that does not fit its type is written as null rather than
        // as bytes Terraform would reject; the schema tests catch the cause.
        _ => out.push(0xc0),
    }
}

/// Decode JSON (stored state and `DynamicValue.json`), using the type to read
/// numbers given as strings.
pub fn from_json(bytes: &[u8], t: &Type) -> Result<Value, DecodeError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let j: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))?;
    Ok(from_json_value(&j, t))
}

/// A JSON value as a value of type `t` (objects get every attribute, null
/// where missing).
pub fn from_json_value(j: &serde_json::Value, t: &Type) -> Value {
    use serde_json::Value as J;
    match (j, t) {
        (J::Null, _) => Value::Null,
        (J::Bool(b), _) => Value::Bool(*b),
        (J::Number(n), _) => Value::Number(n.as_f64().unwrap_or(0.0)),
        (J::String(s), Type::Number) => number_from_string(s).map(Value::Number).unwrap_or(Value::Null),
        (J::String(s), _) => Value::String(s.clone()),
        (J::Array(a), Type::List(et) | Type::Set(et)) => {
            Value::List(a.iter().map(|x| from_json_value(x, et)).collect())
        }
        (J::Object(o), Type::Object(attrs)) => Value::Map(
            attrs
                .iter()
                .map(|(k, at)| (k.clone(), o.get(k).map(|x| from_json_value(x, at)).unwrap_or(Value::Null)))
                .collect(),
        ),
        (J::Object(o), Type::Map(et)) => {
            Value::Map(o.iter().map(|(k, x)| (k.clone(), from_json_value(x, et))).collect())
        }
        _ => Value::Null,
    }
}

/// Make `v` conform to `t`: objects get every attribute (null where
/// missing, extras dropped), numbers given as strings become numbers.
pub fn conform(v: Value, t: &Type) -> Value {
    match (v, t) {
        (Value::String(s), Type::Number) => number_from_string(&s).map(Value::Number).unwrap_or(Value::Null),
        (Value::List(items), Type::List(et) | Type::Set(et)) => {
            Value::List(items.into_iter().map(|i| conform(i, et)).collect())
        }
        (Value::Map(mut m), Type::Object(attrs)) => Value::Map(
            attrs.iter().map(|(k, at)| (k.clone(), conform(m.remove(k).unwrap_or(Value::Null), at))).collect(),
        ),
        (Value::Map(m), Type::Map(et)) => Value::Map(m.into_iter().map(|(k, v)| (k, conform(v, et))).collect()),
        (v, _) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(t: &[(&str, Type)]) -> Type {
        Type::Object(t.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn round_trip_with_nulls_and_unknowns() {
        let t = obj(&[("a", Type::String), ("n", Type::Number), ("l", Type::list_of(Type::String)), ("u", Type::Bool)]);
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), Value::str("x"));
        m.insert("n".to_string(), Value::Number(-5.0));
        m.insert("l".to_string(), Value::List(vec![Value::str("p"), Value::Unknown]));
        let v = Value::Map(m);
        let bytes = to_msgpack(&v, &t);
        let back = conform(from_msgpack(&bytes).expect("decodes"), &t);
        assert_eq!(back.get("a"), &Value::str("x"));
        assert_eq!(back.get("n"), &Value::Number(-5.0));
        assert_eq!(back.get("u"), &Value::Null);
        assert_eq!(back.get("l").as_list().map(|l| l[1].clone()), Some(Value::Unknown));
    }

    #[test]
    fn numbers_in_all_three_encodings() {
        // int8, float64, and cty's decimal string.
        assert_eq!(from_msgpack(&[0xd0, 0xfb]).expect("int8"), Value::Number(-5.0));
        let mut f = vec![0xcb];
        f.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        assert_eq!(from_msgpack(&f).expect("float64"), Value::Number(1.5));
        let s = from_msgpack(&[0xa4, b'3', b'6', b'0', b'0']).expect("string");
        assert_eq!(conform(s, &Type::Number), Value::Number(3600.0));
        assert_eq!(from_msgpack(&[0xcd, 0x0e, 0x10]).expect("uint16"), Value::Number(3600.0));
    }

    #[test]
    fn refined_unknown_is_unknown() {
        // ext8, type 12, payload: a one-entry map {1: true} (refinement "not null").
        let v = from_msgpack(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3]).expect("refined unknown");
        assert_eq!(v, Value::Unknown);
        assert_eq!(from_msgpack(&[0xd4, 0x00, 0x00]).expect("unknown"), Value::Unknown);
        assert_eq!(to_msgpack(&Value::Unknown, &Type::String), vec![0xd4, 0x00, 0x00]);
    }

    #[test]
    fn empty_is_null_and_garbage_is_an_error() {
        assert_eq!(from_msgpack(&[]).expect("empty"), Value::Null);
        assert!(from_msgpack(&[0x92, 0x01]).is_err());
        assert!(from_msgpack(&[0xc1]).is_err());
        assert!(from_msgpack(&[0x01, 0x02]).is_err());
    }

    #[test]
    fn type_json_is_compact_cty() {
        let t = obj(&[("b", Type::map_of(Type::String)), ("a", Type::Set(Box::new(Type::Number)))]);
        assert_eq!(t.to_json(), r#"["object",{"a":["set","number"],"b":["map","string"]}]"#);
    }

    #[test]
    fn json_state_decodes_with_the_type() {
        let t = obj(&[("n", Type::Number), ("m", Type::map_of(Type::String))]);
        let v = from_json(br#"{"n":"42","m":{"k":"v"},"extra":1}"#, &t).expect("json");
        assert_eq!(v.get("n"), &Value::Number(42.0));
        assert_eq!(v.get("m").get("k"), &Value::str("v"));
        assert!(v.as_map().is_some_and(|m| !m.contains_key("extra")));
    }
}
