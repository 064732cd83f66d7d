//! hclog-style JSON lines on stderr. Terraform re-logs lines carrying
//! `@level`, `@message` and `@timestamp` at that level under `TF_LOG`.
//! Nothing here ever writes to stdout, and no secret is ever passed in.

use std::io::Write;

fn emit(level: &str, message: &str, fields: &[(&str, &str)]) {
    let mut m = serde_json::Map::new();
    m.insert("@level".into(), level.into());
    m.insert("@message".into(), message.into());
    m.insert("@module".into(), "provider.jit".into());
    // hclog's layout: microseconds and a numeric offset.
    m.insert("@timestamp".into(), jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string().into());
    for (k, v) in fields {
        m.insert((*k).into(), (*v).into());
    }
    let line = serde_json::Value::Object(m).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn info(message: &str, fields: &[(&str, &str)]) {
    emit("info", message, fields);
}

pub fn error(message: &str, fields: &[(&str, &str)]) {
    emit("error", message, fields);
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_use_hclogs_layout() {
        // go-plugin drops lines whose @timestamp does not parse as
        // 2006-01-02T15:04:05.000000Z07:00.
        let t =
            jiff::Timestamp::from_second(1_800_000_000).expect("t").strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string();
        assert_eq!(t, "2027-01-15T08:00:00.000000+00:00");
    }
}
