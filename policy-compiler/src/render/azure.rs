//! Azure: the PIM schedule request body and where to PUT it.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::azure::AzureModel;
use serde::ser::SerializeMap;

#[derive(Debug, Clone, Copy)]
pub struct Azure;

impl Rendering for Azure {
    type Model = AzureModel;

    const FLAT_OUTPUTS: &'static [FlatOutput] = &[
        FlatOutput {
            name: "azure_schedule_request_json",
            kind: FlatKind::Text,
            doc: "Azure PIM roleAssignmentScheduleRequests body, JSON.",
        },
        FlatOutput {
            name: "azure_request_name",
            kind: FlatKind::Text,
            doc: "The request's name, a GUID derived from the binding's name and bounds (a new grant gets a new name).",
        },
        FlatOutput { name: "azure_scope", kind: FlatKind::Text, doc: "The scope the request is made at (its parent)." },
        FlatOutput {
            name: "azure_request_url",
            kind: FlatKind::Text,
            doc: "Where to PUT the request: the scope, the request name and the API version.",
        },
    ];

    fn fields<M: SerializeMap>(&self, m: &AzureModel, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("azure", &m.request)?;
        map.serialize_entry("azure_request_url", &m.url)
    }

    fn files(&self, m: &AzureModel) -> Vec<(String, String)> {
        vec![("azure.json".into(), pretty(&m.request))]
    }

    fn flat_values(&self, m: &AzureModel) -> Vec<FlatValue> {
        vec![
            FlatValue::Text(compact(&m.request)),
            FlatValue::Text(m.name.clone()),
            FlatValue::Text(m.scope.clone()),
            FlatValue::Text(m.url.clone()),
        ]
    }
}
