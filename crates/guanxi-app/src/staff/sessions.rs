//! Server-side sessions. The browser holds a random token; the store holds its SHA-256, so a
//! copy of the database does not sign anyone in.

use super::{StaffError, now, principal_for_user, role};
use crate::keys::hash_key;
use guanxi_domain::Millis;
use guanxi_domain::access::{Principal, Role};
use guanxi_store::{Session, Store, StoreError, User};
use rand::RngCore;

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT: Millis = 12 * 3_600_000;
/// …and after this long in any case.
pub const MAX_SESSION_AGE: Millis = 7 * 24 * 3_600_000;
/// `last_seen_at` is written at most this often, so browsing does not write on every page.
const TOUCH_EVERY: Millis = 5 * 60_000;

/// A signed-in member of staff.
pub struct SignedIn {
    pub user: User,
    /// The user's role, read once per request: their principal is built from it.
    pub role: Role,
    pub principal: Principal,
    pub session: Session,
    /// The token to set as the cookie; present only when the session was just created.
    pub token: Option<String>,
}

/// 32 random bytes as hex: session tokens, CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub(super) async fn start_session(store: &dyn Store, user: User) -> Result<SignedIn, StaffError> {
    let at = now();
    let token = random_token();
    let session = Session {
        token_hash: hash_key(&token),
        user_id: user.id,
        csrf_token: random_token(),
        created_at: at,
        last_seen_at: at,
        expires_at: at + IDLE_TIMEOUT,
    };
    store.create_session(&session).await?;
    let role = role(store, &user.role).await?;
    let principal = principal_for_user(&user, &role);
    Ok(SignedIn {
        user,
        role,
        principal,
        session,
        token: Some(token),
    })
}

/// The session behind a cookie's token, if it is still valid.
pub async fn resume_session(store: &dyn Store, token: &str) -> Result<SignedIn, StaffError> {
    let at = now();
    let token_hash = hash_key(token);
    let mut session = match store.session(&token_hash).await {
        Ok(s) => s,
        Err(StoreError::NotFound(_)) => return Err(StaffError::SignedOut),
        Err(e) => return Err(e.into()),
    };
    if session.expires_at <= at {
        store.delete_session(&token_hash).await?;
        return Err(StaffError::SignedOut);
    }
    let user = match store.user(session.user_id).await {
        Ok(u) if u.disabled_at.is_none() => u,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(StaffError::SignedOut),
        Err(e) => return Err(e.into()),
    };
    if at - session.last_seen_at >= TOUCH_EVERY {
        session.last_seen_at = at;
        session.expires_at = (at + IDLE_TIMEOUT).min(session.created_at + MAX_SESSION_AGE);
        store
            .touch_session(&token_hash, session.last_seen_at, session.expires_at)
            .await?;
    }
    let role = role(store, &user.role).await?;
    let principal = principal_for_user(&user, &role);
    Ok(SignedIn {
        user,
        role,
        principal,
        session,
        token: None,
    })
}

pub async fn end_session(store: &dyn Store, token: &str) -> Result<(), StaffError> {
    Ok(store.delete_session(&hash_key(token)).await?)
}
