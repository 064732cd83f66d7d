//! AWS: the IAM policy document and the role's MaxSessionDuration.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::aws::AwsModel;
use serde::ser::SerializeMap;

#[derive(Debug, Clone, Copy)]
pub struct Aws;

impl Rendering for Aws {
    type Model = AwsModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[
        FlatOutput {
            name: "aws_policy_json",
            kind: FlatKind::Text,
            doc: "AWS IAM policy document (null without an aws target).",
        },
        FlatOutput {
            name: "aws_max_session_duration",
            kind: FlatKind::Number,
            doc: "MaxSessionDuration for the AWS role, seconds.",
        },
        FlatOutput {
            name: "aws_valid_until",
            kind: FlatKind::Text,
            doc: "Rolling AWS policies: the end of the horizon covered (nothing is allowed after it). Null when the policy covers the whole grant.",
        },
    ];

    fn fields<M: SerializeMap>(&self, m: &AwsModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("aws", &m.policy)?;
        map.serialize_entry("aws_max_session_duration", &m.max_session_duration)?;
        if let Some(t) = m.valid_until {
            map.serialize_entry("aws_valid_until", &t.to_string())?;
        }
        Ok(())
    }

    fn files(&self, m: &AwsModel) -> Vec<(String, String)> {
        vec![("aws.json".into(), pretty(&m.policy))]
    }

    fn flat_values(&self, m: &AwsModel) -> Vec<FlatValue> {
        vec![
            FlatValue::Text(compact(&m.policy)),
            FlatValue::Number(m.max_session_duration as f64),
            m.valid_until.map(|t| FlatValue::Text(t.to_string())).unwrap_or(FlatValue::Null),
        ]
    }
}
