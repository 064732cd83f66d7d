//! hclog-style JSON lines on stderr. Terraform re-logs lines carrying
//! `@level`, `@message` and `@timestamp` at that level under `TF_LOG`.
//! Nothing here ever writes to stdout, and no secret is ever passed in.

use std::io::Write;

fn emit(level: &str, message: &str, fields: &[(&str, &str)]) {
    let mut m = serde_json::Map::new();
    m.insert("@level".into(), level.into());
    m.insert("@message".into(), message.into());
    m.insert("@module".into(), "provider.jit".into());
    m.insert("@timestamp".into(), jiff::Timestamp::now().to_string().into());
    for (k, v) in fields {
        m.insert((*k).into(), (*v).into());
    }
    let line = serde_json::Value::Object(m).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn info(message: &str, fields: &[(&str, &str)]) {
    emit("info", message, fields);
}

pub fn debug(message: &str, fields: &[(&str, &str)]) {
    emit("debug", message, fields);
}

pub fn error(message: &str, fields: &[(&str, &str)]) {
    emit("error", message, fields);
}
