//! Roles: a named bundle of permissions, a data scope and a policy for personal fields.

use super::permission::{Action, Permission, Resource};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Which records that have an owner a role reaches (悟空CRM's 本人 / 本部门 / 全部).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    /// Records the user owns.
    Own,
    /// Records owned by anyone in the user's team.
    Team,
    All,
}

impl DataScope {
    pub fn as_str(self) -> &'static str {
        match self {
            DataScope::Own => "own",
            DataScope::Team => "team",
            DataScope::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DataScope::Own, DataScope::Team, DataScope::All]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// The personal data fields that are protected one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalField {
    Name,
    Phone,
    Email,
    Address,
}

impl PersonalField {
    pub const ALL: [PersonalField; 4] = [
        PersonalField::Name,
        PersonalField::Phone,
        PersonalField::Email,
        PersonalField::Address,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonalField::Name => "name",
            PersonalField::Phone => "phone",
            PersonalField::Email => "email",
            PersonalField::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// How a personal field shows to a role. Ordered: each level includes the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    /// Not shown at all, not even masked.
    Hidden,
    /// Shown masked (138****1234); never revealed.
    Masked,
    /// Shown masked; revealed on demand with a reason, and every reveal is audited.
    Revealable,
}

impl FieldAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldAccess::Hidden => "hidden",
            FieldAccess::Masked => "masked",
            FieldAccess::Revealable => "revealable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FieldAccess::Hidden,
            FieldAccess::Masked,
            FieldAccess::Revealable,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Access per personal field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldPolicy {
    pub name: FieldAccess,
    pub phone: FieldAccess,
    pub email: FieldAccess,
    pub address: FieldAccess,
}

impl FieldPolicy {
    pub const fn uniform(access: FieldAccess) -> Self {
        Self {
            name: access,
            phone: access,
            email: access,
            address: access,
        }
    }

    pub fn get(&self, field: PersonalField) -> FieldAccess {
        match field {
            PersonalField::Name => self.name,
            PersonalField::Phone => self.phone,
            PersonalField::Email => self.email,
            PersonalField::Address => self.address,
        }
    }

    pub fn set(&mut self, field: PersonalField, access: FieldAccess) {
        match field {
            PersonalField::Name => self.name = access,
            PersonalField::Phone => self.phone = access,
            PersonalField::Email => self.email = access,
            PersonalField::Address => self.address = access,
        }
    }
}

/// A role as stored: built-in ones are fixed, custom ones are the owner's to edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Stable identifier (`owner`, `service_agent`, or a custom role's slug).
    pub key: String,
    /// The custom role's name; built-in roles are named by the translation catalogue
    /// (`role.<key>`), so they read right in every language.
    pub name: Option<String>,
    pub builtin: bool,
    pub permissions: BTreeSet<Permission>,
    pub scope: DataScope,
    pub fields: FieldPolicy,
}

impl Role {
    pub fn allows(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// The built-in role with this key.
    pub fn builtin(key: &str) -> Option<Role> {
        BUILTIN_ROLES.contains(&key).then(|| builtin_role(key))
    }

    /// Every built-in role, in the order a role picker lists them.
    pub fn builtins() -> Vec<Role> {
        BUILTIN_ROLES.iter().map(|k| builtin_role(k)).collect()
    }
}

/// Built-in role keys, most powerful first.
pub const BUILTIN_ROLES: &[&str] = &["owner", "marketer", "analyst", "service_agent", "sales_rep"];

fn builtin_role(key: &str) -> Role {
    use Action::*;
    use Resource::*;
    let set = |pairs: &[(Resource, &[Action])]| -> BTreeSet<Permission> {
        pairs
            .iter()
            .flat_map(|(r, actions)| actions.iter().map(move |a| Permission::new(*r, *a)))
            .collect()
    };
    let (permissions, scope, fields) = match key {
        // The shop's owner (店长) or administrator: everything, every record, every field.
        "owner" => (
            Permission::all().collect(),
            DataScope::All,
            FieldPolicy::uniform(FieldAccess::Revealable),
        ),
        // 运营: finds customers and acts on them; sees who they are, not how to reach them by hand.
        "marketer" => (
            set(&[
                (Customers, &[View, Edit]),
                (Orders, &[View]),
                (Events, &[View]),
                (Imports, &[View, Create]),
                (Segments, &[View, Create, Edit, Delete, Export]),
                (Campaigns, &[View, Create, Edit, Delete]),
            ]),
            DataScope::All,
            FieldPolicy::uniform(FieldAccess::Masked),
        ),
        // Reads figures; never needs a person's contact details.
        "analyst" => (
            set(&[
                (Customers, &[View]),
                (Orders, &[View]),
                (Events, &[View]),
                (Segments, &[View]),
                (Campaigns, &[View]),
            ]),
            DataScope::All,
            FieldPolicy {
                name: FieldAccess::Masked,
                phone: FieldAccess::Masked,
                email: FieldAccess::Masked,
                address: FieldAccess::Hidden,
            },
        ),
        // 客服: answers any customer, and may call or write to them when the case needs it.
        "service_agent" => (
            set(&[
                (Customers, &[View, Edit]),
                (Orders, &[View]),
                (Events, &[View]),
            ]),
            DataScope::All,
            FieldPolicy::uniform(FieldAccess::Revealable),
        ),
        // 销售: works the customers assigned to them.
        "sales_rep" => (
            set(&[
                (Customers, &[View, Edit]),
                (Orders, &[View]),
                (Events, &[View]),
            ]),
            DataScope::Own,
            FieldPolicy::uniform(FieldAccess::Revealable),
        ),
        _ => unreachable!("builtin_role is called with BUILTIN_ROLES only"),
    };
    Role {
        key: key.to_owned(),
        name: None,
        builtin: true,
        permissions,
        scope,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owner_manages_staff_and_roles() {
        for role in Role::builtins() {
            let manages = role.allows(Permission::new(Resource::Roles, Action::Edit))
                || role.allows(Permission::new(Resource::Users, Action::Create));
            assert_eq!(manages, role.key == "owner", "{}", role.key);
        }
    }

    #[test]
    fn an_analyst_never_reveals_and_a_service_agent_may() {
        let analyst = Role::builtin("analyst").expect("built in");
        let agent = Role::builtin("service_agent").expect("built in");
        assert!(
            PersonalField::ALL
                .iter()
                .all(|f| analyst.fields.get(*f) < FieldAccess::Revealable)
        );
        assert_eq!(agent.fields.phone, FieldAccess::Revealable);
        assert_eq!(Role::builtin("nobody"), None);
    }
}
