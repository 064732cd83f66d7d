//! The neutral broker rule (`schemas/broker-rule.v1.schema.json`): the whole
//! grant, windows and zones included, for a broker or gateway that decides
//! at request time. Its digest is the SHA-256 of the rule without the
//! digest, rendered compactly, and serves as the binding's content digest.

use super::{enforces, Cx, Enforcement, Enforces, Feature, How, Lowered, Lowering};
use crate::ast::shape::{self, NAME_PATTERN, SERVICE_PATTERN, TIME_OF_DAY_PATTERN};
use crate::ir::Binding;
use crate::resolve::{MAX_SESSION_MAX, MAX_SESSION_MIN};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA: &str = "jit.broker-rule/v1";

// The rule's JSON Schema (`schemas/broker-rule.v1.schema.json`) is derived
// from these types; enumerations and patterns come from the language's
// shape table.

/// A time-bound grant for a broker or gateway to enforce at request time.
/// Allow a request only when not_before <= now < expires_at, now falls in
/// one of `windows` (if any) in the window's time zone, and every
/// requirement holds.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    /// The rule format and its version.
    #[schemars(extend("const" = SCHEMA))]
    pub schema: &'static str,
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub binding: String,
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub role: String,
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub policy: String,
    pub subject: Subject,
    pub permissions: Permissions,
    #[schemars(extend("format" = "date-time"))]
    pub not_before: String,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
    pub windows: Vec<Window>,
    #[schemars(range(min = MAX_SESSION_MIN, max = MAX_SESSION_MAX))]
    pub max_session_seconds: i64,
    pub requirements: Requirements,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// SHA-256 of the rule's compact JSON with an empty digest.
    #[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))]
    pub digest: String,
}

/// Who holds the grant.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Subject {
    #[schemars(schema_with = "subject_kind")]
    pub kind: &'static str,
    pub name: String,
    /// The subject's identity on each target, by subject field.
    #[schemars(schema_with = "identities")]
    pub identities: BTreeMap<&'static str, String>,
}

/// What may be done, per target.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws: Option<AwsPermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gcp: Option<GcpPermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<AzurePermissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openbao: Option<Vec<PathPermission>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Vec<HttpPermission>>,
}

/// Mesh access: methods on paths of a service.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HttpPermission {
    #[schemars(regex(pattern = SERVICE_PATTERN))]
    pub service: String,
    #[schemars(schema_with = "methods")]
    pub methods: Vec<String>,
    /// Exact paths, or prefixes ending in `/*`.
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AwsPermissions {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Elevation: the role the subject may assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assume_role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct GcpPermissions {
    pub role: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AzurePermissions {
    pub role_definition_id: String,
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PathPermission {
    pub path: String,
    #[schemars(schema_with = "capabilities")]
    pub capabilities: Vec<String>,
}

/// A weekly window in a time zone.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Window {
    /// Days the window starts on, `sun`..`sat`.
    #[schemars(schema_with = "days")]
    pub days: Vec<&'static str>,
    #[schemars(regex(pattern = TIME_OF_DAY_PATTERN))]
    pub start: String,
    #[schemars(regex(pattern = TIME_OF_DAY_PATTERN))]
    pub end: String,
    /// IANA time zone.
    pub timezone: String,
    /// end < start: the window ends on the next day.
    pub overnight: bool,
}

/// Conditions on the request.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Requirements {
    pub mfa: bool,
    pub source_cidrs: Vec<String>,
    pub principal_tags: BTreeMap<String, String>,
}

/// Who must approve.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Approval {
    pub approvers: Vec<String>,
    #[schemars(range(min = 1))]
    pub min_approvals: u32,
}

fn subject_kind(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": shape::SUBJECT_KINDS })
}

fn identities(_: &mut SchemaGenerator) -> Schema {
    let props: serde_json::Map<String, serde_json::Value> =
        shape::SUBJECT.identity_fields().map(|f| (f.to_string(), serde_json::json!({"type": "string"}))).collect();
    json_schema!({ "type": "object", "additionalProperties": false, "properties": props })
}

fn capabilities(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "array", "items": { "enum": shape::CAPABILITIES } })
}

fn methods(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "array", "items": { "enum": shape::HTTP_METHODS }, "minItems": 1 })
}

fn days(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "array", "items": { "enum": shape::DAYS }, "minItems": 1 })
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The broker target: every binding has a rule.
#[derive(Debug, Clone, Copy)]
pub struct Broker;

impl Lowering for Broker {
    type Model = Rule;
    const ROLE_BLOCK: Option<&'static str> = None;
    const IDENTITY: Option<&'static str> = None;
    // The rule carries every feature for the broker or gateway to enforce.
    const ENFORCES: &'static [Enforces] = &[
        enforces(Feature::NotBefore, How::Exact, None),
        enforces(Feature::ExpiresAt, How::Exact, None),
        enforces(Feature::Windows, How::Exact, None),
        enforces(Feature::MaxSession, How::Exact, None),
        enforces(Feature::Mfa, How::Exact, None),
        enforces(Feature::SourceCidrs, How::Exact, None),
        enforces(Feature::PrincipalTags, How::Exact, None),
        enforces(Feature::Approval, How::AtReview, None),
    ];

    fn lower(&self, cx: &mut Cx<'_>) -> Option<Lowered<Rule>> {
        let model = cx.rule.take().unwrap_or_else(|| rule(cx.binding));
        Some(Lowered { model, enforcement: Enforcement::Exact })
    }
}

/// The rule of a binding, with its digest.
pub(super) fn rule(b: &Binding) -> Rule {
    let s = &b.subject;
    let identities = s.identities.iter().map(|(f, id)| (*f, id.clone())).collect();
    let role = &b.role;
    let mut rule = Rule {
        schema: SCHEMA,
        binding: b.name.clone(),
        role: role.name.clone(),
        policy: b.policy.name.clone(),
        subject: Subject { kind: s.kind.as_str(), name: s.name.clone(), identities },
        permissions: Permissions {
            aws: role.aws.as_ref().map(|a| AwsPermissions {
                actions: a.actions.iter().map(|x| x.0.clone()).collect(),
                resources: a.resources.iter().map(|x| x.0.clone()).collect(),
                assume_role: a.assume_role.as_ref().map(|x| x.0.clone()),
            }),
            gcp: role.gcp.as_ref().map(|g| GcpPermissions { role: g.role.clone(), resource: g.resource.clone() }),
            azure: role
                .azure
                .as_ref()
                .map(|a| AzurePermissions { role_definition_id: a.role_definition_id.clone(), scope: a.scope.clone() }),
            openbao: role.openbao.as_ref().map(|rules| {
                rules
                    .iter()
                    .map(|r| PathPermission { path: r.path.clone(), capabilities: r.capabilities.clone() })
                    .collect()
            }),
            http: (!role.http.is_empty()).then(|| {
                role.http
                    .iter()
                    .map(|h| HttpPermission {
                        service: h.service.clone(),
                        methods: h.methods.clone(),
                        paths: h.paths.clone(),
                    })
                    .collect()
            }),
        },
        not_before: b.not_before.to_string(),
        expires_at: b.expires_at.to_string(),
        windows: b
            .policy
            .windows
            .iter()
            .map(|w| Window {
                days: w.days.iter().map(|d| crate::ast::shape::DAYS[d as usize]).collect(),
                start: hhmm(w.start),
                end: hhmm(w.end),
                timezone: w.zone_name.to_string(),
                overnight: w.is_overnight(),
            })
            .collect(),
        max_session_seconds: b.policy.max_session,
        requirements: Requirements {
            mfa: b.policy.require.mfa,
            source_cidrs: b.policy.require.source_cidrs.iter().map(|c| c.0.clone()).collect(),
            principal_tags: b.policy.require.principal_tags.clone(),
        },
        approval: b
            .policy
            .approval
            .as_ref()
            .map(|a| Approval { approvers: a.approvers.clone(), min_approvals: a.min_approvals }),
        justification: b.justification.clone(),
        ticket: b.ticket.clone(),
        digest: String::new(),
    };
    rule.digest = crate::measure::json_digest(&rule);
    rule
}

/// A rule read back by a broker: the binding, its schedule and its longest
/// session.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRule {
    pub binding: String,
    pub schedule: crate::ir::Schedule,
    pub max_session_seconds: i64,
}

/// Why a rule could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadRuleError {
    #[error("the rule is not JSON: {0}")]
    NotJson(String),
    #[error("the rule is not a `{SCHEMA}` rule")]
    WrongSchema,
    #[error("the rule's digest does not match its content: it was edited after compilation")]
    Digest,
    #[error("the rule's `{0}` is missing or malformed")]
    Field(&'static str),
}

/// Read a rule (`broker_rule_json`, a `--out` `broker.json`) back into what
/// a broker needs to decide, checking its schema and its digest.
pub fn read_rule(text: &str) -> Result<ReadRule, ReadRuleError> {
    use crate::ir::{DaySet, Window};
    use serde_json::Value;
    let v: Value = serde_json::from_str(text).map_err(|e| ReadRuleError::NotJson(e.to_string()))?;
    if v["schema"] != SCHEMA {
        return Err(ReadRuleError::WrongSchema);
    }
    let mut unsigned = v.clone();
    unsigned["digest"] = Value::String(String::new());
    if v["digest"].as_str() != Some(crate::measure::json_digest(&unsigned).as_str()) {
        return Err(ReadRuleError::Digest);
    }
    let time = |k: &'static str| -> Result<jiff::Timestamp, ReadRuleError> {
        v[k].as_str().and_then(|t| t.parse().ok()).ok_or(ReadRuleError::Field(k))
    };
    let minute = |t: &Value| -> Option<u16> {
        let (h, m) = t.as_str()?.split_once(':')?;
        Some(h.parse::<u16>().ok()? * 60 + m.parse::<u16>().ok()?)
    };
    let mut windows = Vec::new();
    for w in v["windows"].as_array().ok_or(ReadRuleError::Field("windows"))? {
        let mut days = DaySet::default();
        for d in w["days"].as_array().ok_or(ReadRuleError::Field("windows"))? {
            let i = shape::DAYS.iter().position(|x| Some(*x) == d.as_str()).ok_or(ReadRuleError::Field("windows"))?;
            days.insert(i as u8);
        }
        let zone_name = w["timezone"].as_str().ok_or(ReadRuleError::Field("windows"))?;
        let zone = jiff::tz::db().get(zone_name).map_err(|_| ReadRuleError::Field("windows"))?;
        windows.push(Window {
            span: crate::source::Span::default(),
            days,
            start: minute(&w["start"]).ok_or(ReadRuleError::Field("windows"))?,
            end: minute(&w["end"]).ok_or(ReadRuleError::Field("windows"))?,
            zone_name: zone_name.into(),
            zone,
        });
    }
    Ok(ReadRule {
        binding: v["binding"].as_str().ok_or(ReadRuleError::Field("binding"))?.to_string(),
        schedule: crate::ir::Schedule { not_before: time("not_before")?, expires_at: time("expires_at")?, windows },
        max_session_seconds: v["max_session_seconds"].as_i64().ok_or(ReadRuleError::Field("max_session_seconds"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap, Syntax};

    fn binding(window: &str) -> crate::ir::Binding {
        let text = format!(
            "version = \"jit/v1\"\nrole \"r\" {{\n  openbao {{\n    path \"kv/*\" {{ capabilities = [\"read\"] }}\n  }}\n}}\npolicy \"p\" {{\n  max_session = \"2h\"\n{window}}}\nbinding \"b\" {{\n  role = \"r\"\n  policy = \"p\"\n  subject {{\n    kind = \"workload\"\n    name = \"w\"\n    openbao = \"w\"\n  }}\n  not_before = \"2027-01-04T00:00:00Z\"\n  expires_at = \"2027-01-20T00:00:00Z\"\n}}\n"
        );
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("d.hcl", Syntax::Hcl, text));
        let c = crate::analyze(sources);
        assert!(!c.has_errors(), "{:?}", c.diagnostics.errors().next());
        c.model.bindings[0].clone()
    }

    const OVERNIGHT: &str =
        "  window {\n    days = [\"sat\"]\n    start = \"23:00\"\n    end = \"03:00\"\n    timezone = \"Asia/Tokyo\"\n  }\n";

    #[test]
    fn a_rule_reads_back_to_the_bindings_schedule() {
        let b = binding(OVERNIGHT);
        let text = serde_json::to_string(&rule(&b)).unwrap();
        let read = read_rule(&text).unwrap();
        assert_eq!((read.binding.as_str(), read.max_session_seconds), ("b", 7200));
        let s = read.schedule;
        // Every hour of the grant and a day either side: the same answer.
        let mut t = jiff::Timestamp::from_second(b.not_before.as_second() - 86_400).unwrap();
        while t < jiff::Timestamp::from_second(b.expires_at.as_second() + 86_400).unwrap() {
            assert_eq!(s.is_active(t), crate::ir::is_active(&b, t), "at {t}");
            t = jiff::Timestamp::from_second(t.as_second() + 900).unwrap();
        }
        // Saturday 23:00 Tokyo is 14:00Z; the window ends Sunday 03:00 (18:00Z).
        let sat = "2027-01-09T15:00:00Z".parse().unwrap();
        assert_eq!(s.open_until(sat), Some("2027-01-09T18:00:00Z".parse().unwrap()));
        let mon = "2027-01-11T00:00:00Z".parse().unwrap();
        assert_eq!(s.open_until(mon), None);
        assert_eq!(s.next_opening(mon), Some("2027-01-16T14:00:00Z".parse().unwrap()));
        // After the last window before expires_at: never again.
        assert_eq!(s.next_opening("2027-01-16T19:00:00Z".parse().unwrap()), None);
    }

    #[test]
    fn an_edited_rule_is_refused() {
        let b = binding("");
        let mut v = serde_json::to_value(rule(&b)).unwrap();
        v["expires_at"] = "2028-01-01T00:00:00Z".into();
        assert_eq!(read_rule(&v.to_string()), Err(ReadRuleError::Digest));
        assert_eq!(read_rule("{}"), Err(ReadRuleError::WrongSchema));
        assert!(matches!(read_rule("nope"), Err(ReadRuleError::NotJson(_))));
        let s = read_rule(&serde_json::to_string(&rule(&b)).unwrap()).unwrap().schedule;
        assert_eq!(s.open_until(b.not_before), Some(b.expires_at));
    }
}
