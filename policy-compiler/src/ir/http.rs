//! What an `http` grant means at a request: the one definition of which
//! caller, service, method and path a role's mesh access admits. The Rego
//! target's policy module says the same in Rego; the agreement test runs
//! both over the same requests.

use crate::source::Span;

/// One `http { service, methods, paths }` block of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRule {
    pub span: Span,
    /// A DNS-1123 label.
    pub service: String,
    /// Upper-case methods, in the order given, without repeats.
    pub methods: Vec<String>,
    /// Exact paths, or prefixes written `/prefix/*`, without repeats.
    pub paths: Vec<String>,
    /// The rule's resources in prose and for `jitc who --resource`: the
    /// service followed by each path (`payments-api/v1/reports`), with the
    /// path's span.
    pub resources: Vec<(String, Span)>,
}

impl HttpRule {
    /// A rule from its parts; `paths` with where each was written.
    pub fn new(span: Span, service: String, methods: Vec<String>, paths: Vec<(String, Span)>) -> Self {
        let resources = paths.iter().map(|(p, s)| (format!("{service}{p}"), *s)).collect();
        HttpRule { span, service, methods, paths: paths.into_iter().map(|(p, _)| p).collect(), resources }
    }

    /// Whether the rule admits `method` on `path` of `service`.
    pub fn allows(&self, service: &str, method: &str, path: &str) -> bool {
        self.service == service
            && self.methods.iter().any(|m| m == method)
            && self.paths.iter().any(|p| path_matches(p, path))
    }
}

/// Whether a path pattern admits `path` (its query already removed): an
/// exact pattern equals it; `/a/*` admits every path that starts with `/a/`
/// (and `/*` every path).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match prefix_of(pattern) {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// The prefix of a `/a/*` pattern (`/a/`), or `None` for an exact path.
pub fn prefix_of(pattern: &str) -> Option<&str> {
    pattern.strip_suffix('*').filter(|p| p.ends_with('/'))
}

/// The service a request is for: the first DNS label of its host, without
/// the port, in lower case (`payments-api.payments.svc:8080` ->
/// `payments-api`).
pub fn service_of_host(host: &str) -> String {
    let host = host.split(':').next().unwrap_or_default();
    host.split('.').next().unwrap_or_default().to_lowercase()
}

/// The path a request asks for, without its query string.
pub fn path_of(request_path: &str) -> &str {
    request_path.split('?').next().unwrap_or_default()
}

/// Whether the peer principal a proxy reports is the SPIFFE ID `id`.
/// Envoy reports the URI SAN (`spiffe://td/ns/a/sa/b`), Istio its
/// principal without the scheme (`td/ns/a/sa/b`); both match.
pub fn caller_matches(id: &str, principal: &str) -> bool {
    strip_scheme(id) == strip_scheme(principal)
}

/// A SPIFFE ID without its `spiffe://` scheme: the key callers are looked
/// up by.
pub fn strip_scheme(id: &str) -> &str {
    id.strip_prefix("spiffe://").unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_exact_paths() {
        assert!(path_matches("/v1/reports", "/v1/reports"));
        assert!(!path_matches("/v1/reports", "/v1/reports/"));
        assert!(!path_matches("/v1/reports", "/v1/reportsX"));
        assert!(path_matches("/v1/reports/*", "/v1/reports/"));
        assert!(path_matches("/v1/reports/*", "/v1/reports/2026/03"));
        assert!(!path_matches("/v1/reports/*", "/v1/reports"));
        assert!(!path_matches("/v1/reports/*", "/v1/reportsX/a"));
        assert!(path_matches("/*", "/anything"));
    }

    #[test]
    fn hosts_and_callers() {
        assert_eq!(service_of_host("payments-api.payments.svc.cluster.local:8080"), "payments-api");
        assert_eq!(service_of_host("Payments-API"), "payments-api");
        assert_eq!(path_of("/v1/reports?x=1"), "/v1/reports");
        assert!(caller_matches("spiffe://acme.example/ns/a/sa/b", "acme.example/ns/a/sa/b"));
        assert!(caller_matches("spiffe://acme.example/ns/a/sa/b", "spiffe://acme.example/ns/a/sa/b"));
        assert!(!caller_matches("spiffe://acme.example/ns/a/sa/b", "acme.example/ns/a/sa/c"));
    }
}
