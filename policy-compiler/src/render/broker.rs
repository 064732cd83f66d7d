//! The broker rule, as JSON.

use super::{compact, pretty, FlatKind, FlatOutput, FlatValue, Rendering};
use crate::lower::broker::Rule;
use serde::ser::SerializeMap;

#[derive(Debug, Clone, Copy)]
pub struct Broker;

impl Rendering for Broker {
    type Model = Rule;

    const FLAT_OUTPUTS: &'static [FlatOutput] =
        &[FlatOutput { name: "broker_rule_json", kind: FlatKind::Text, doc: "Neutral broker rule, JSON." }];

    fn fields<M: SerializeMap>(&self, m: &Rule, map: &mut M) -> Result<(), M::Error> {
        map.serialize_entry("broker", m)
    }

    fn files(&self, m: &Rule) -> Vec<(String, String)> {
        vec![("broker.json".into(), pretty(m))]
    }

    fn flat_values(&self, m: &Rule) -> Vec<FlatValue> {
        vec![FlatValue::Text(compact(m))]
    }
}
