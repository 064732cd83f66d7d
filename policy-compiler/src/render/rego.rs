//! Rego: one OPA bundle for the whole compilation (`rego/`: `.manifest`,
//! the generic policy module, and `data.json` with every binding's entry,
//! so 10,000 bindings are one bundle, not 10,000 modules), and per mesh
//! service an Istio `AuthorizationPolicy` that sends the service's requests
//! to OPA (`istio/`).

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::rego::{Entry, RegoModel};
use crate::lower::Options;
use serde::ser::SerializeMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// The policy module: the same text for every repository (Rego v1, OPA
/// 1.x's default syntax).
pub const POLICY_MODULE: &str = include_str!("rego/authz.rego");
/// Where the bundle puts it, and the decisions it defines.
pub const POLICY_PATH: &str = "rego/jit/authz/policy.rego";
pub const ALLOW_RULE: &str = "data.jit.authz.allow";
pub const DECISION_RULE: &str = "data.jit.authz.decision";
/// The format of `data.jit.grants`.
pub const GRANTS_SCHEMA: &str = "jit.rego-grants/v1";

#[derive(Debug, Clone, Copy)]
pub struct Rego;

/// `data.json`: `{"jit": {"grants": ...}}`, merged at the data root.
#[derive(Serialize)]
struct Data<'a> {
    jit: Jit<'a>,
}

#[derive(Serialize)]
struct Jit<'a> {
    grants: Grants<'a>,
}

#[derive(Serialize)]
struct Grants<'a> {
    schema: &'static str,
    /// Caller (SPIFFE ID without the scheme) -> its bindings, by name.
    callers: BTreeMap<&'a str, Vec<&'a str>>,
    bindings: BTreeMap<&'a str, &'a Entry>,
}

#[derive(Serialize)]
struct Manifest {
    revision: String,
    roots: [&'static str; 1],
    rego_version: u8,
}

impl Rendering for Rego {
    type Model = RegoModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[FlatOutput {
        name: "rego_data",
        kind: FlatKind::Text,
        doc: "The binding's entry in the OPA bundle's `data.json` (`data.jit.grants.bindings[NAME]`), JSON.",
    }];

    fn fields<M: SerializeMap>(&self, m: &RegoModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("rego", &m.entry)
    }

    fn files(&self, _m: &RegoModel) -> Vec<(String, String)> {
        // The binding's entry is in `binding.json`; the bundle is shared.
        Vec::new()
    }

    fn flat_values(&self, m: &RegoModel) -> Vec<FlatValue> {
        vec![FlatValue::Text(compact(&m.entry))]
    }

    fn shared_files(&self, models: &[(&str, &RegoModel)], opts: &Options) -> Vec<(String, String)> {
        if models.is_empty() {
            return Vec::new();
        }
        let mut callers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, m) in models {
            callers.entry(m.caller.as_str()).or_default().push(name);
        }
        let bindings: BTreeMap<&str, &Entry> = models.iter().map(|(n, m)| (*n, &m.entry)).collect();
        let data = pretty(&Data { jit: Jit { grants: Grants { schema: GRANTS_SCHEMA, callers, bindings } } });
        let revision = crate::measure::sha256(format!("{data}{POLICY_MODULE}").as_bytes());
        let manifest = pretty(&Manifest { revision, roots: ["jit"], rego_version: 1 });
        let mut files = vec![
            ("rego/.manifest".to_string(), manifest),
            (POLICY_PATH.to_string(), POLICY_MODULE.to_string()),
            ("rego/data.json".to_string(), data),
        ];
        let services: std::collections::BTreeSet<&str> =
            models.iter().flat_map(|(_, m)| m.entry.http.iter().map(|h| h.service.as_str())).collect();
        for s in services {
            files.push((format!("istio/{s}.yaml"), authorization_policy(s, opts)));
        }
        files
    }
}

/// The `AuthorizationPolicy` that sends every request to `service` to the
/// OPA extension provider (`action: CUSTOM`, evaluated before DENY and
/// ALLOW policies).
pub fn authorization_policy(service: &str, opts: &Options) -> String {
    let (provider, label) = (&opts.istio_provider, &opts.istio_selector_label);
    format!(
        "# jit: every request to {service} is decided by OPA (extension provider {provider}).\n\
         apiVersion: security.istio.io/v1\n\
         kind: AuthorizationPolicy\n\
         metadata:\n  name: jit-{service}\n  labels:\n    app.kubernetes.io/managed-by: jit\n\
         spec:\n  selector:\n    matchLabels:\n      {label}: {service}\n  action: CUSTOM\n  provider:\n    name: {provider}\n  rules:\n  - {{}}\n"
    )
}

/// Whether `v` may be written into the Istio objects unquoted as a provider
/// name or label key: a Kubernetes qualified name (`app`, `jit-opa`,
/// `app.kubernetes.io/name`). The reason when it may not.
pub fn istio_name_problem(v: &str) -> Option<String> {
    let ok_part = |p: &str| {
        !p.is_empty()
            && p.len() <= 253
            && p.bytes().all(|c| c.is_ascii_alphanumeric() || b".-_".contains(&c))
            && p.as_bytes()[0].is_ascii_alphanumeric()
            && p.as_bytes()[p.len() - 1].is_ascii_alphanumeric()
    };
    let ok = match v.split_once('/') {
        None => ok_part(v),
        Some((prefix, name)) => ok_part(prefix) && ok_part(name),
    };
    (!ok).then(|| format!("`{v}` is not a Kubernetes name (letters, digits, `.`, `-`, `_`, an optional `prefix/`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_names() {
        for ok in ["app", "jit-opa", "app.kubernetes.io/name", "opa.istio-system"] {
            assert_eq!(istio_name_problem(ok), None, "{ok}");
        }
        for bad in ["", "a b", "x: y", "-a", "a/", "a/b/c", "{x}"] {
            assert!(istio_name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn one_object_per_service_naming_the_provider() {
        let y = authorization_policy("payments-api", &Options::default());
        assert!(y.contains("name: jit-payments-api\n"));
        assert!(y.contains("      app: payments-api\n"));
        assert!(y.contains("  action: CUSTOM\n  provider:\n    name: jit-opa\n"));
    }
}
