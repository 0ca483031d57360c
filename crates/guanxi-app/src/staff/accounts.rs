//! Creating accounts and changing what their owners may change themselves.

use super::{StaffError, now, passwords};
use crate::audit::{self, Audit, AuditActor};
use guanxi_domain::Email;
use guanxi_domain::access::Actor;
use guanxi_store::{NewUser, Store, StoreError, User};
use serde_json::json;

/// The console's languages; the first is the default.
pub const LOCALES: &[&str] = &["zh-CN", "en"];

pub struct CreatedUser {
    pub user: User,
    /// The generated password, when none was given: shown once, never stored.
    pub generated_password: Option<String>,
}

/// Creates a staff account. `by` is whoever created it (`None` from the command line).
pub async fn create_user(
    store: &dyn Store,
    email: &str,
    role_key: &str,
    password: Option<String>,
    by: Option<&Actor>,
) -> Result<CreatedUser, StaffError> {
    let email = Email::parse(email).map_err(|e| StaffError::Invalid("email", e.to_string()))?;
    match super::role(store, role_key).await {
        Ok(_) => {}
        Err(StoreError::NotFound(_)) => {
            return Err(StaffError::Invalid(
                "role",
                format!("{role_key:?} is not a role here"),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let generated_password = password.is_none().then(passwords::generate_password);
    let password = password
        .or_else(|| generated_password.clone())
        .unwrap_or_default();
    passwords::check_strength(&password)?;
    let password_hash = hash_off_thread(password).await;
    let display_name = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    let user = store
        .create_user(
            &NewUser {
                email: email.as_str().to_owned(),
                display_name,
                role: role_key.to_owned(),
                locale: LOCALES[0].to_owned(),
                password_hash,
            },
            now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                StaffError::Invalid("email", "already has an account".to_owned())
            }
            other => other.into(),
        })?;
    audit::record(
        store,
        Audit {
            actor: by.map_or(AuditActor::System, AuditActor::Known),
            action: "user.create",
            target: Some(("user", user.id.to_string())),
            detail: json!({ "role": role_key }),
            ip: None,
        },
    )
    .await?;
    Ok(CreatedUser {
        user,
        generated_password,
    })
}

/// Changes a user's own password after checking the current one; signs them out everywhere
/// else (every session ends, the caller starts a new one).
pub async fn change_password(
    store: &dyn Store,
    user: &User,
    current: &str,
    new: &str,
) -> Result<(), StaffError> {
    if !verify_off_thread(current.to_owned(), user.password_hash.clone()).await {
        return Err(StaffError::Invalid(
            "current_password",
            "is not your current password".to_owned(),
        ));
    }
    passwords::check_strength(new)?;
    let hash = hash_off_thread(new.to_owned()).await;
    store.set_password(user.id, &hash).await?;
    store.delete_sessions_of(user.id).await?;
    audit_self(store, user, "user.password", json!({})).await
}

/// Sets a new password without the current one (an owner's reset, or the demo's start-up) and
/// signs the user out everywhere.
pub async fn reset_password(store: &dyn Store, user: &User, new: &str) -> Result<(), StaffError> {
    passwords::check_strength(new)?;
    let hash = hash_off_thread(new.to_owned()).await;
    store.set_password(user.id, &hash).await?;
    store.delete_sessions_of(user.id).await?;
    store.record_login_success(user.id).await?;
    Ok(())
}

pub async fn set_locale(store: &dyn Store, user_id: i64, locale: &str) -> Result<(), StaffError> {
    if !LOCALES.contains(&locale) {
        return Err(StaffError::Invalid(
            "locale",
            format!("must be one of {}", LOCALES.join(", ")),
        ));
    }
    Ok(store.set_locale(user_id, locale).await?)
}

/// Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
pub(super) async fn hash_off_thread(password: String) -> String {
    tokio::task::spawn_blocking(move || passwords::hash(&password))
        .await
        .expect("password hashing does not panic")
}

pub(super) async fn verify_off_thread(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || passwords::verify(&password, &stored))
        .await
        .unwrap_or(false)
}

/// Turns on the second factor once the user proves their app holds `secret` with a code.
pub async fn enable_totp(
    store: &dyn Store,
    user: &User,
    secret: &str,
    code: &str,
) -> Result<(), StaffError> {
    if !super::totp::check(secret, code.trim()) {
        return Err(StaffError::WrongSecondFactor);
    }
    store.set_totp(user.id, Some(secret)).await?;
    audit_self(store, user, "user.totp", json!({ "enabled": true })).await
}

/// Turns the second factor off; asks for the password, as a stolen session must not.
pub async fn disable_totp(
    store: &dyn Store,
    user: &User,
    password: &str,
) -> Result<(), StaffError> {
    if !verify_off_thread(password.to_owned(), user.password_hash.clone()).await {
        return Err(StaffError::Invalid(
            "current_password",
            "is not your current password".to_owned(),
        ));
    }
    store.set_totp(user.id, None).await?;
    audit_self(store, user, "user.totp", json!({ "enabled": false })).await
}

/// Audits something a user did to their own account.
async fn audit_self(
    store: &dyn Store,
    user: &User,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<(), StaffError> {
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&Actor::Staff {
                user_id: user.id,
                team_id: user.team_id,
            }),
            action,
            target: Some(("user", user.id.to_string())),
            detail,
            ip: None,
        },
    )
    .await?;
    Ok(())
}
