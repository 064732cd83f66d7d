//! Native schemas of the provider, its resources and data sources. The
//! protocol layer turns them into `tfplugin6.Schema`; everything else sees
//! only these types.

use crate::convert::value::Type;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    Computed,
    OptionalComputed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub mode: Mode,
    pub description: String,
    pub sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

pub fn attr(name: &'static str, ty: Type, mode: Mode, description: impl Into<String>) -> Attribute {
    Attribute { name, ty, mode, description: description.into(), sensitive: false }
}

impl Block {
    /// The object type of values of this block.
    pub fn value_type(&self) -> Type {
        let mut m: BTreeMap<String, Type> =
            self.attributes.iter().map(|a| (a.name.to_string(), a.ty.clone())).collect();
        for b in &self.blocks {
            let t = b.block.value_type();
            m.insert(
                b.name.to_string(),
                match b.nesting {
                    Nesting::Single => t,
                    Nesting::List => Type::list_of(t),
                },
            );
        }
        Type::Object(m)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}
