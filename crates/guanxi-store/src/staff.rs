//! Staff accounts, their sessions, custom roles, and the audit log.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_domain::access::Role;

/// A member of staff as stored. The password hash is argon2id's PHC string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Lower-cased; what they log in with.
    pub email: String,
    pub display_name: String,
    /// A built-in role's key or a custom role's.
    pub role: String,
    pub team_id: Option<i64>,
    /// `zh-CN` or `en`.
    pub locale: String,
    pub password_hash: String,
    /// Base32 secret of the optional TOTP second factor.
    pub totp_secret: Option<String>,
    /// Failed log-ins since the last success; drives the back-off.
    pub failed_logins: i64,
    pub locked_until: Option<Millis>,
    pub disabled_at: Option<Millis>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub locale: String,
    pub password_hash: String,
}

/// A signed-in browser. Only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    /// Every form of this session carries it; a request without it changes nothing.
    pub csrf_token: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
}

/// One line of the audit log. `detail` is JSON and never holds personal values: it names the
/// field revealed and the reason given, not the phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    /// `user`, `api_key`, `system` or `anonymous` (a failed log-in for an unknown account).
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    /// `login`, `login_failed`, `reveal`, `user.create`, `role.update`, …
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: Millis,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

/// Which audit entries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor_kind: Option<String>,
    pub actor_id: Option<i64>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// An entry id cursor: entries older than it.
    pub before: Option<i64>,
    pub limit: u32,
}

#[async_trait]
pub trait StaffStore {
    /// Fails with `Conflict("user")` when the email is taken.
    async fn create_user(&self, user: &NewUser, at: Millis) -> StoreResult<User>;
    async fn user(&self, id: i64) -> StoreResult<User>;
    async fn user_by_email(&self, email: &str) -> StoreResult<User>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// Counts a failed log-in; `locked_until` starts the back-off. Answers the failures so far.
    async fn record_login_failure(&self, id: i64, locked_until: Option<Millis>)
    -> StoreResult<i64>;
    /// Clears the failure count and any lock.
    async fn record_login_success(&self, id: i64) -> StoreResult<()>;
    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()>;
    async fn set_locale(&self, id: i64, locale: &str) -> StoreResult<()>;
    async fn set_role(&self, id: i64, role: &str) -> StoreResult<()>;
    async fn set_totp(&self, id: i64, secret: Option<&str>) -> StoreResult<()>;
    /// Disables (`Some(at)`) or re-enables (`None`) an account; a disabled one cannot sign in.
    async fn set_disabled(&self, id: i64, at: Option<Millis>) -> StoreResult<()>;

    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// The session, expired or not: the caller decides.
    async fn session(&self, token_hash: &str) -> StoreResult<Session>;
    async fn touch_session(
        &self,
        token_hash: &str,
        at: Millis,
        expires_at: Millis,
    ) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Signs a user out everywhere (after a password change, or when disabled).
    async fn delete_sessions_of(&self, user_id: i64) -> StoreResult<()>;

    /// Custom roles; built-in roles live in code (`Role::builtins`).
    async fn custom_roles(&self) -> StoreResult<Vec<Role>>;
    /// Creates or replaces a custom role.
    async fn save_role(&self, role: &Role) -> StoreResult<()>;
    /// Fails with `Conflict("role")` while a user holds it.
    async fn delete_role(&self, key: &str) -> StoreResult<()>;
}

/// The audit log is append-only: there is no update and no delete, and the schema refuses them.
#[async_trait]
pub trait AuditStore {
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<i64>;
    async fn audit_entries(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
}
