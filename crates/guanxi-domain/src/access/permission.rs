//! Permissions: an action on a kind of resource.

use serde::{Deserialize, Serialize};

/// What a permission is about. Later issues add theirs (segments, campaigns, loyalty, tickets,
/// leads); a stored role that names a resource this build does not know is refused at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Customer profiles, their identities, tags and notes.
    Customers,
    /// Orders and refunds.
    Orders,
    /// Behaviour events.
    Events,
    /// File imports.
    Imports,
    /// Channels with their write keys and webhook secrets.
    Sources,
    ApiKeys,
    /// Staff accounts.
    Users,
    Roles,
    /// The audit log.
    Audit,
    /// Shop settings (time zone, currency).
    Settings,
    /// Segments: their rules, members and exports.
    Segments,
    /// Messaging: templates, campaigns, consent and suppression lists.
    Campaigns,
}

impl Resource {
    pub const ALL: [Resource; 12] = [
        Resource::Customers,
        Resource::Orders,
        Resource::Events,
        Resource::Imports,
        Resource::Sources,
        Resource::ApiKeys,
        Resource::Users,
        Resource::Roles,
        Resource::Audit,
        Resource::Settings,
        Resource::Segments,
        Resource::Campaigns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Customers => "customers",
            Resource::Orders => "orders",
            Resource::Events => "events",
            Resource::Imports => "imports",
            Resource::Sources => "sources",
            Resource::ApiKeys => "api_keys",
            Resource::Users => "users",
            Resource::Roles => "roles",
            Resource::Audit => "audit",
            Resource::Settings => "settings",
            Resource::Segments => "segments",
            Resource::Campaigns => "campaigns",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    View,
    Create,
    Edit,
    Delete,
    /// Take data out of Guanxi in bulk (downloads, exports for PIPL/GDPR requests).
    Export,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::View,
        Action::Create,
        Action::Edit,
        Action::Delete,
        Action::Export,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Export => "export",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// `customers:view`, `roles:edit`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    pub resource: Resource,
    pub action: Action,
}

impl Permission {
    pub const fn new(resource: Resource, action: Action) -> Self {
        Self { resource, action }
    }

    /// Every permission there is.
    pub fn all() -> impl Iterator<Item = Permission> {
        Resource::ALL
            .into_iter()
            .flat_map(|r| Action::ALL.into_iter().map(move |a| Permission::new(r, a)))
    }

    /// Parses `resource:action`.
    pub fn parse(s: &str) -> Option<Self> {
        let (r, a) = s.split_once(':')?;
        Some(Self::new(Resource::parse(r)?, Action::parse(a)?))
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.resource.as_str(), self.action.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Permission::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown permission `{s}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips_through_its_name() {
        for p in Permission::all() {
            assert_eq!(Permission::parse(&p.to_string()), Some(p));
        }
        assert_eq!(Permission::parse("customers:fly"), None);
        assert_eq!(Permission::parse("customers"), None);
    }
}
