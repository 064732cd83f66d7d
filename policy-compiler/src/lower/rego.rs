//! OPA / Rego for service meshes and gateways (Envoy ext_authz, Istio
//! `CUSTOM` authorization): a binding becomes one entry of the bundle's
//! data, read by one generic policy module (`render/rego.rs`) that decides
//! every request at its own instant, windows and zones included. Rego's
//! `time.clock` and `time.weekday` read the wall clock in a zone, so the
//! windows need no unrolling (`exact`).

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::diag::Code;
use crate::ir::{http, Window};
use serde::Serialize;

/// Day names as Rego's `time.weekday` returns them, Sunday first.
pub const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// One binding in the bundle's `data.json` (`data.jit.grants.bindings`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The subject's SPIFFE ID, as declared.
    pub spiffe: String,
    pub not_before: String,
    pub expires_at: String,
    /// The bounds in nanoseconds since the epoch, as `time.now_ns()`.
    pub not_before_ns: i128,
    pub expires_at_ns: i128,
    pub windows: Vec<RegoWindow>,
    /// Allowed source networks; empty: any.
    pub source_cidrs: Vec<String>,
    pub http: Vec<RegoHttp>,
}

/// A weekly window as the policy module reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegoWindow {
    /// IANA zone, for `time.clock` and `time.weekday`.
    pub zone: String,
    /// Minutes after local midnight; `end < start` is overnight.
    pub start: u16,
    pub end: u16,
    /// The days the window starts on, as `time.weekday` names them.
    pub days: Vec<&'static str>,
    /// Overnight windows: the days they end on (empty otherwise).
    pub next_days: Vec<&'static str>,
}

/// One `http` block: exact paths and prefixes apart, so the module does
/// no pattern parsing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegoHttp {
    pub service: String,
    pub methods: Vec<String>,
    pub paths: Vec<String>,
    /// Prefixes of `/prefix/*` patterns, with their trailing `/`.
    pub prefixes: Vec<String>,
}

/// The Rego model of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct RegoModel {
    /// The caller key: the SPIFFE ID without its scheme.
    pub caller: String,
    pub entry: Entry,
}

fn window(w: &Window) -> RegoWindow {
    let names = |d: crate::ir::DaySet| d.iter().map(|d| WEEKDAYS[d as usize]).collect();
    RegoWindow {
        zone: w.zone_name.to_string(),
        start: w.start,
        end: w.end,
        days: names(w.days),
        next_days: if w.is_overnight() { names(w.days.next_days()) } else { Vec::new() },
    }
}

/// The Rego target.
#[derive(Debug, Clone, Copy)]
pub struct Rego;

impl Lowering for Rego {
    type Model = RegoModel;
    const ROLE_BLOCK: Option<&'static str> = Some("http");
    const IDENTITY: Option<&'static str> = Some("spiffe");
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::Exact, None),
        enforces(Feature::MaxSession, How::NotAtAll, Some(Code::SessionNotEnforced)),
        enforces(Feature::Mfa, How::NotAtAll, Some(Code::RegoRequirementNotEnforced)),
        enforces(Feature::SourceCidrs, How::Exact, None),
        enforces(Feature::PrincipalTags, How::NotAtAll, Some(Code::RegoRequirementNotEnforced)),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<RegoModel>> {
        let b = cx.binding;
        let spiffe = cx.identity()?.to_string();
        let p = &b.policy;
        let req = &p.require;
        if req.mfa || !req.principal_tags.is_empty() {
            cx.report(
                Code::RegoRequirementNotEnforced,
                req.span.unwrap_or(p.span),
                "Envoy's check request carries no MFA or principal-tag attribute, so OPA cannot check them; only source_cidrs are enforced (against the peer address)",
                "bind mesh access under a policy without `mfa` and `principal_tags`, or enforce them in the calling workload",
            );
        }
        if let Some(span) = p.max_session_span {
            cx.report(
                Code::SessionNotEnforced,
                span,
                format!(
                    "a mesh has no sessions: OPA decides each request when it starts, so a stream admitted inside binding `{}`'s grant is not cut after max_session ({})",
                    b.name,
                    crate::resolve::values::format_duration(p.max_session)
                ),
                "bound long-lived requests with the route's timeout (Istio VirtualService `timeout`, Envoy `max_stream_duration`)",
            );
        }
        let http = b
            .role
            .http
            .iter()
            .map(|h| RegoHttp {
                service: h.service.clone(),
                methods: h.methods.clone(),
                paths: h.paths.iter().filter(|p| http::prefix_of(p).is_none()).cloned().collect(),
                prefixes: h.paths.iter().filter_map(|p| http::prefix_of(p)).map(str::to_string).collect(),
            })
            .collect();
        let entry = Entry {
            not_before: b.not_before.to_string(),
            expires_at: b.expires_at.to_string(),
            not_before_ns: b.not_before.as_nanosecond(),
            expires_at_ns: b.expires_at.as_nanosecond(),
            windows: p.windows.iter().map(window).collect(),
            source_cidrs: req.source_cidrs.iter().map(|c| c.0.clone()).collect(),
            http,
            spiffe,
        };
        let model = RegoModel { caller: http::strip_scheme(&entry.spiffe).to_string(), entry };
        Some(Lowered { model, enforcement: Enforcement::Exact })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::shape::DAYS;

    #[test]
    fn weekday_names_follow_the_day_set_order() {
        // DaySet bit 0 is Sunday, as `DAYS`.
        assert_eq!(DAYS[0], "sun");
        for (short, long) in DAYS.iter().zip(WEEKDAYS) {
            assert!(long.to_ascii_lowercase().starts_with(short));
        }
    }
}
