//! What one caller may do, whoever they are: the single thing every check looks at.

use super::permission::{Action, Permission, Resource};
use super::role::{DataScope, FieldAccess, FieldPolicy, PersonalField, Role};
use std::collections::BTreeSet;

/// Who is acting, for data scopes and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A member of staff, signed in to the console (or calling the API with their session).
    Staff { user_id: i64, team_id: Option<i64> },
    /// A program holding an API key.
    ApiKey { key_id: i64 },
}

impl Actor {
    /// `user` or `api_key`, as the audit log records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Staff { .. } => "user",
            Actor::ApiKey { .. } => "api_key",
        }
    }

    pub fn id(&self) -> i64 {
        match self {
            Actor::Staff { user_id, .. } => *user_id,
            Actor::ApiKey { key_id } => *key_id,
        }
    }
}

/// Permissions, data scope and field policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub permissions: BTreeSet<Permission>,
    pub scope: DataScope,
    pub fields: FieldPolicy,
}

impl Grant {
    pub fn of_role(role: &Role) -> Self {
        Self {
            permissions: role.permissions.clone(),
            scope: role.scope,
            fields: role.fields,
        }
    }

    /// What an API key's scopes allow. `read` sees customers, orders and events with personal
    /// data masked; `write` also edits customers; `ingest` sends orders and refunds; `admin` may
    /// do everything and reveal personal data.
    pub fn of_api_scopes<'a>(scopes: impl IntoIterator<Item = &'a str>) -> Self {
        use Action::*;
        use Resource::*;
        let mut grant = Grant {
            permissions: BTreeSet::new(),
            scope: DataScope::All,
            fields: FieldPolicy::uniform(FieldAccess::Masked),
        };
        let read = [
            (Customers, View),
            (Orders, View),
            (Events, View),
            (Segments, View),
            (Campaigns, View),
        ];
        let ingest = [(Orders, Create), (Orders, Edit)];
        for scope in scopes {
            let pairs: Vec<(Resource, Action)> = match scope {
                "read" => read.to_vec(),
                "ingest" => ingest.to_vec(),
                "write" => read
                    .iter()
                    .chain(&ingest)
                    .copied()
                    .chain([
                        (Customers, Edit),
                        (Segments, Create),
                        (Segments, Edit),
                        (Segments, Delete),
                        (Segments, Export),
                        (Campaigns, Create),
                        (Campaigns, Edit),
                        (Campaigns, Delete),
                    ])
                    .collect(),
                "admin" => {
                    grant.fields = FieldPolicy::uniform(FieldAccess::Revealable);
                    Permission::all().map(|p| (p.resource, p.action)).collect()
                }
                _ => Vec::new(),
            };
            grant
                .permissions
                .extend(pairs.into_iter().map(|(r, a)| Permission::new(r, a)));
        }
        grant
    }
}

/// A caller with what they may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    pub grant: Grant,
}

/// A permission the caller lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this needs the permission {0}")]
    Permission(Permission),
    #[error("the {} field may not be revealed", .0.as_str())]
    Reveal(PersonalField),
    #[error("this record is outside your data scope")]
    Scope,
}

impl Principal {
    pub fn may(&self, permission: Permission) -> bool {
        self.grant.permissions.contains(&permission)
    }

    /// Fails unless the caller holds `permission`.
    pub fn require(&self, resource: Resource, action: Action) -> Result<(), Denied> {
        let p = Permission::new(resource, action);
        if self.may(p) {
            Ok(())
        } else {
            Err(Denied::Permission(p))
        }
    }

    /// Refuses to hand on more than the caller holds: a key or role made by this caller may
    /// have only permissions it has, and see no personal field better than it does.
    pub fn may_delegate(&self, grant: &Grant) -> Result<(), Denied> {
        if let Some(p) = grant.permissions.iter().find(|p| !self.may(**p)) {
            return Err(Denied::Permission(*p));
        }
        match PersonalField::ALL
            .iter()
            .find(|f| grant.fields.get(**f) > self.field(**f))
        {
            Some(field) => Err(Denied::Reveal(*field)),
            None => Ok(()),
        }
    }

    pub fn field(&self, field: PersonalField) -> FieldAccess {
        self.grant.fields.get(field)
    }

    /// The personal fields the caller may reveal, in `PersonalField::ALL` order.
    pub fn revealable_fields(&self) -> Vec<PersonalField> {
        PersonalField::ALL
            .into_iter()
            .filter(|f| self.field(*f) == FieldAccess::Revealable)
            .collect()
    }

    /// Fails unless the caller may reveal `field`.
    pub fn require_reveal(&self, field: PersonalField) -> Result<(), Denied> {
        if self.field(field) == FieldAccess::Revealable {
            Ok(())
        } else {
            Err(Denied::Reveal(field))
        }
    }

    /// Whether a record owned by `owner` (a user, in `owner_team`) is in reach. Records nobody
    /// owns are reached only by `all`, as unassigned customers sit in the shared pool.
    pub fn reaches(&self, owner: Option<i64>, owner_team: Option<i64>) -> bool {
        match (self.grant.scope, &self.actor) {
            (DataScope::All, _) => true,
            (_, Actor::ApiKey { .. }) => false,
            (DataScope::Own, Actor::Staff { user_id, .. }) => owner == Some(*user_id),
            (DataScope::Team, Actor::Staff { user_id, team_id }) => {
                owner == Some(*user_id) || (team_id.is_some() && owner_team == *team_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: &str, user_id: i64, team_id: Option<i64>) -> Principal {
        Principal {
            actor: Actor::Staff { user_id, team_id },
            grant: Grant::of_role(&Role::builtin(role).expect("built in")),
        }
    }

    #[test]
    fn nobody_hands_on_more_than_they_hold() {
        let owner = staff("owner", 1, None);
        let marketer = staff("marketer", 2, None);
        assert!(owner.may_delegate(&Grant::of_api_scopes(["admin"])).is_ok());
        assert!(
            marketer
                .may_delegate(&Grant::of_api_scopes(["read"]))
                .is_ok()
        );
        assert!(matches!(
            marketer.may_delegate(&Grant::of_api_scopes(["admin"])),
            Err(Denied::Permission(_))
        ));
        let mut masked_admin = Grant::of_api_scopes(["read"]);
        masked_admin.fields = FieldPolicy::uniform(FieldAccess::Revealable);
        assert!(matches!(
            marketer.may_delegate(&masked_admin),
            Err(Denied::Reveal(_))
        ));
    }

    #[test]
    fn api_scopes_grant_what_their_names_say() {
        let read = Grant::of_api_scopes(["read"]);
        assert!(
            read.permissions
                .contains(&Permission::new(Resource::Customers, Action::View))
        );
        assert!(
            !read
                .permissions
                .contains(&Permission::new(Resource::Customers, Action::Edit))
        );
        assert_eq!(read.fields.phone, FieldAccess::Masked);
        let admin = Grant::of_api_scopes(["admin"]);
        assert_eq!(admin.fields.phone, FieldAccess::Revealable);
        assert!(
            admin
                .permissions
                .contains(&Permission::new(Resource::Roles, Action::Edit))
        );
        assert!(
            Grant::of_api_scopes(["ingest"])
                .permissions
                .contains(&Permission::new(Resource::Orders, Action::Create))
        );
    }

    #[test]
    fn data_scopes_reach_own_team_or_all_records() {
        let rep = staff("sales_rep", 7, Some(1));
        assert!(rep.reaches(Some(7), Some(1)));
        assert!(!rep.reaches(Some(8), Some(1)));
        assert!(!rep.reaches(None, None));
        let mut team_rep = rep.clone();
        team_rep.grant.scope = DataScope::Team;
        assert!(team_rep.reaches(Some(8), Some(1)));
        assert!(!team_rep.reaches(Some(9), Some(2)));
        assert!(staff("owner", 1, None).reaches(None, None));
    }

    #[test]
    fn a_forbidden_action_names_the_permission() {
        let analyst = staff("analyst", 3, None);
        assert_eq!(
            analyst.require(Resource::Customers, Action::Edit),
            Err(Denied::Permission(Permission::new(
                Resource::Customers,
                Action::Edit
            )))
        );
        assert_eq!(
            analyst.require_reveal(PersonalField::Phone),
            Err(Denied::Reveal(PersonalField::Phone))
        );
    }
}
