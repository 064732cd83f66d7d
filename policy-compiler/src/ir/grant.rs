//! What a role grants, block by block, as data: the one description that
//! validation (wildcards), `jitc explain`, `jitc who --resource` and
//! `jitc diff` read, so none of them lists the role's blocks again.

use super::Role;
use crate::source::Span;

/// A permission block of a role (`aws { ... }`), and how to speak of it.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    /// The block's field name in a role.
    pub name: &'static str,
    /// How the block is named in prose (`AWS`).
    pub label: &'static str,
    /// What its actions are called (`action`, `capability`).
    pub action: &'static str,
    /// What its resources are called (`resource`, `scope`, `path`).
    pub resource: &'static str,
    /// Between actions and resources in prose: `on` or `at`.
    pub relation: &'static str,
}

pub static AWS: Block = Block { name: "aws", label: "AWS", action: "action", resource: "resource", relation: "on" };
pub static GCP: Block = Block { name: "gcp", label: "GCP", action: "role", resource: "resource", relation: "on" };
pub static AZURE: Block =
    Block { name: "azure", label: "Azure", action: "role definition", resource: "scope", relation: "at" };
pub static OPENBAO: Block =
    Block { name: "openbao", label: "OpenBao", action: "capability", resource: "path", relation: "on" };

pub static HTTP: Block = Block { name: "http", label: "HTTP", action: "method", resource: "path", relation: "on" };

/// One grant of a role: every action on every resource, through `block`.
/// Items carry the span a diagnostic should point at.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant<'a> {
    pub block: &'static Block,
    pub actions: Vec<(&'a str, Span)>,
    pub resources: Vec<(&'a str, Span)>,
}

impl<'a> Grant<'a> {
    /// Every (action, resource) pair of the grant.
    pub fn pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.actions.iter().flat_map(move |(a, _)| self.resources.iter().map(move |(r, _)| (*a, *r)))
    }
}

impl Role {
    /// What the role grants, in block order (`aws`, `gcp`, `azure`, one
    /// grant per OpenBao path, then one per `http` block, whose resources
    /// are the service followed by each path: `payments-api/v1/*`).
    pub fn grants(&self) -> Vec<Grant<'_>> {
        let mut out = Vec::new();
        fn items(v: &[(String, Span)]) -> Vec<(&str, Span)> {
            v.iter().map(|(x, s)| (x.as_str(), *s)).collect()
        }
        if let Some(a) = &self.aws {
            if !a.actions.is_empty() {
                out.push(Grant { block: &AWS, actions: items(&a.actions), resources: items(&a.resources) });
            }
            // Elevation: assuming the role is a grant on the role's ARN.
            if let Some((arn, span)) = &a.assume_role {
                out.push(Grant {
                    block: &AWS,
                    actions: super::ASSUME_ROLE_ACTIONS.iter().map(|x| (*x, *span)).collect(),
                    resources: vec![(arn.as_str(), *span)],
                });
            }
        }
        if let Some(g) = &self.gcp {
            out.push(Grant { block: &GCP, actions: vec![(&g.role, g.span)], resources: vec![(&g.resource, g.span)] });
        }
        if let Some(a) = &self.azure {
            out.push(Grant {
                block: &AZURE,
                actions: vec![(&a.role_definition_id, a.span)],
                resources: vec![(&a.scope, a.span)],
            });
        }
        for p in self.openbao.iter().flatten() {
            out.push(Grant {
                block: &OPENBAO,
                actions: p.capabilities.iter().map(|c| (c.as_str(), p.span)).collect(),
                resources: vec![(&p.path, p.span)],
            });
        }
        for h in &self.http {
            out.push(Grant {
                block: &HTTP,
                actions: h.methods.iter().map(|m| (m.as_str(), h.span)).collect(),
                resources: h.resources.iter().map(|(r, s)| (r.as_str(), *s)).collect(),
            });
        }
        out
    }

    /// Whether the role has the permission block `name`.
    pub fn has_block(&self, name: &str) -> bool {
        match name {
            "aws" => self.aws.is_some(),
            "gcp" => self.gcp.is_some(),
            "azure" => self.azure.is_some(),
            "openbao" => self.openbao.is_some(),
            "http" => !self.http.is_empty(),
            _ => false,
        }
    }
}

/// An action or a resource of a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Action,
    Resource,
}

/// Whether `value` grants everything on its side of a `block` grant: a bare
/// `*`, a service-wide AWS action (`s3:*`), the Azure root scope `/`, or an
/// OpenBao path matching every path. Narrower globs (`s3:Get*`,
/// `arn:aws:s3:::b/*`, `kv/data/team/*`) are ordinary permissions.
///
/// The one wildcard rule: validation reports these without
/// `allow_wildcards`, and `jitc diff` reports adding one as
/// `wildcard_introduced`.
pub fn is_wildcard(block: &Block, part: Part, value: &str) -> bool {
    if value == "*" {
        return true;
    }
    match (block.name, part) {
        ("aws", Part::Action) => value.ends_with(":*"),
        ("azure", Part::Resource) => value == "/",
        ("openbao", Part::Resource) => matches!(value, "+" | "+/*"),
        // `service/*`: the path pattern `/*`, every path of the service.
        ("http", Part::Resource) => value.split_once('/').is_some_and(|(_, path)| path == "*"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_whole_grants_not_narrow_globs() {
        assert!(is_wildcard(&AWS, Part::Action, "*"));
        assert!(is_wildcard(&AWS, Part::Action, "ec2:*"));
        assert!(!is_wildcard(&AWS, Part::Action, "s3:Get*"));
        assert!(is_wildcard(&AWS, Part::Resource, "*"));
        assert!(!is_wildcard(&AWS, Part::Resource, "arn:aws:s3:::b/*"));
        assert!(is_wildcard(&AZURE, Part::Resource, "/"));
        assert!(is_wildcard(&OPENBAO, Part::Resource, "+/*"));
        assert!(!is_wildcard(&OPENBAO, Part::Resource, "kv/data/team/*"));
        assert!(is_wildcard(&GCP, Part::Action, "*"));
        assert!(is_wildcard(&HTTP, Part::Resource, "payments-api/*"));
        assert!(!is_wildcard(&HTTP, Part::Resource, "payments-api/v1/*"));
    }
}
