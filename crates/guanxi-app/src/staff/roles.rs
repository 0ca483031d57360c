//! Roles as the application sees them: built-in ones from the domain, custom ones from the
//! store; and the principal — what a signed-in user or an API key may do.

use guanxi_domain::access::{Actor, Grant, Principal, Role};
use guanxi_store::{ApiKey, Store, StoreError, StoreResult, User};

/// The role with this key, built-in or custom.
pub async fn role(store: &dyn Store, key: &str) -> StoreResult<Role> {
    if let Some(builtin) = Role::builtin(key) {
        return Ok(builtin);
    }
    store
        .custom_roles()
        .await?
        .into_iter()
        .find(|r| r.key == key)
        .ok_or(StoreError::NotFound("role"))
}

/// Built-in roles first, then custom ones.
pub async fn all_roles(store: &dyn Store) -> StoreResult<Vec<Role>> {
    let mut roles = Role::builtins();
    roles.extend(store.custom_roles().await?);
    Ok(roles)
}

/// What `user`, holding `role` (see [`role`]), may do.
pub fn principal_for_user(user: &User, role: &Role) -> Principal {
    Principal {
        actor: Actor::Staff {
            user_id: user.id,
            team_id: user.team_id,
        },
        grant: Grant::of_role(role),
    }
}

pub fn principal_for_key(key: &ApiKey) -> Principal {
    Principal {
        actor: Actor::ApiKey { key_id: key.id },
        grant: Grant::of_api_scopes(key.scopes.iter().map(String::as_str)),
    }
}
