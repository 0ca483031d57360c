//! What owners do to other accounts and to roles. Each checks the actor's permission here, so
//! the console and any future API share one rule, and each change is audited.

use super::accounts::{CreatedUser, create_user};
use super::{StaffError, now, role};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::access::{Action, Actor, BUILTIN_ROLES, Denied, Principal, Resource, Role};
use guanxi_store::{Store, StoreError, User};
use serde_json::json;

/// A change an actor may not make, or that would leave the shop without an owner.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Staff(#[from] StaffError),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        Self::Staff(e.into())
    }
}

fn invalid(field: &'static str, reason: &str) -> AdminError {
    AdminError::Staff(StaffError::Invalid(field, reason.to_owned()))
}

/// Creates an account for a new member of staff with a generated password to hand over.
pub async fn invite(
    store: &dyn Store,
    by: &Principal,
    email: &str,
    role_key: &str,
) -> Result<CreatedUser, AdminError> {
    by.require(Resource::Users, Action::Create)?;
    Ok(create_user(store, email, role_key, None, Some(&by.actor)).await?)
}

/// Whether `user` is the last enabled owner: the shop must always keep one.
async fn last_owner(store: &dyn Store, user: &User) -> Result<bool, AdminError> {
    if user.role != "owner" || user.disabled_at.is_some() {
        return Ok(false);
    }
    let owners = store
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.role == "owner" && u.disabled_at.is_none())
        .count();
    Ok(owners <= 1)
}

pub async fn change_role(
    store: &dyn Store,
    by: &Principal,
    user_id: i64,
    role_key: &str,
) -> Result<(), AdminError> {
    by.require(Resource::Users, Action::Edit)?;
    match role(store, role_key).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => return Err(invalid("role", "is not a role here")),
        Err(e) => return Err(e.into()),
    }
    let user = store.user(user_id).await?;
    if role_key != "owner" && last_owner(store, &user).await? {
        return Err(invalid("role", "the shop's last owner must stay an owner"));
    }
    store.set_role(user_id, role_key).await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: "user.role",
            target: Some(("user", user_id.to_string())),
            detail: json!({ "from": user.role, "to": role_key }),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// Disables or re-enables an account; disabling signs it out everywhere at once.
pub async fn set_enabled(
    store: &dyn Store,
    by: &Principal,
    user_id: i64,
    enabled: bool,
) -> Result<(), AdminError> {
    by.require(Resource::Users, Action::Edit)?;
    let user = store.user(user_id).await?;
    if !enabled {
        if matches!(by.actor, Actor::Staff { user_id: me, .. } if me == user_id) {
            return Err(invalid("user", "you cannot disable your own account"));
        }
        if last_owner(store, &user).await? {
            return Err(invalid("user", "the shop's last owner cannot be disabled"));
        }
    }
    store.set_disabled(user_id, (!enabled).then(now)).await?;
    if !enabled {
        store.delete_sessions_of(user_id).await?;
    }
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: if enabled {
                "user.enable"
            } else {
                "user.disable"
            },
            target: Some(("user", user_id.to_string())),
            detail: json!({}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// Creates or replaces a custom role. Built-in roles are fixed; a custom role's key is a slug.
pub async fn save_role(store: &dyn Store, by: &Principal, role: Role) -> Result<(), AdminError> {
    by.require(Resource::Roles, Action::Edit)?;
    let key_ok = !role.key.is_empty()
        && role.key.len() <= 32
        && role
            .key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        return Err(invalid(
            "key",
            "must be 1–32 lower-case letters, digits or _",
        ));
    }
    if BUILTIN_ROLES.contains(&role.key.as_str()) {
        return Err(invalid(
            "key",
            "is a built-in role, which cannot be changed",
        ));
    }
    let name = role.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(invalid("name", "must be 1–64 characters"));
    }
    let role = Role {
        name: Some(name.to_owned()),
        builtin: false,
        ..role
    };
    store.save_role(&role).await?;
    let permissions: Vec<String> = role.permissions.iter().map(ToString::to_string).collect();
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&by.actor),
            action: "role.update",
            target: Some(("role", role.key.clone())),
            detail: json!({
                "scope": role.scope.as_str(),
                "permissions": permissions,
                "fields": {
                    "name": role.fields.name.as_str(),
                    "phone": role.fields.phone.as_str(),
                    "email": role.fields.email.as_str(),
                    "address": role.fields.address.as_str(),
                },
            }),
            ip: None,
        },
    )
    .await?;
    Ok(())
}
