//! Staff accounts, sessions and custom roles.

use crate::SqlStore;
use crate::backend::{AnyQuery, map_err};
use crate::rows::get;
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_domain::access::{DataScope, FieldAccess, FieldPolicy, Permission, Role};
use guanxi_store::{NewUser, Session, StaffStore, StoreError, StoreResult, User};
use sqlx::any::AnyRow;

const USER_COLUMNS: &str = "id, email, display_name, role, team_id, locale, password_hash, \
     totp_secret, failed_logins, locked_until, disabled_at, created_at";

fn user(row: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: get(row, "id")?,
        email: get(row, "email")?,
        display_name: get(row, "display_name")?,
        role: get(row, "role")?,
        team_id: get(row, "team_id")?,
        locale: get(row, "locale")?,
        password_hash: get(row, "password_hash")?,
        totp_secret: get(row, "totp_secret")?,
        failed_logins: get(row, "failed_logins")?,
        locked_until: get(row, "locked_until")?,
        disabled_at: get(row, "disabled_at")?,
        created_at: get(row, "created_at")?,
    })
}

fn session(row: &AnyRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: get(row, "token_hash")?,
        user_id: get(row, "user_id")?,
        csrf_token: get(row, "csrf_token")?,
        created_at: get(row, "created_at")?,
        last_seen_at: get(row, "last_seen_at")?,
        expires_at: get(row, "expires_at")?,
    })
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::other(format!("stored role has an unknown {what} {value:?}"))
}

fn field(row: &AnyRow, col: &str) -> StoreResult<FieldAccess> {
    let text: String = get(row, col)?;
    FieldAccess::parse(&text).ok_or_else(|| corrupt("field access", &text))
}

fn role(row: &AnyRow) -> StoreResult<Role> {
    let permissions: String = get(row, "permissions")?;
    let scope: String = get(row, "scope")?;
    Ok(Role {
        key: get(row, "key")?,
        name: Some(get(row, "name")?),
        builtin: false,
        permissions: permissions
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| Permission::parse(p).ok_or_else(|| corrupt("permission", p)))
            .collect::<StoreResult<_>>()?,
        scope: DataScope::parse(&scope).ok_or_else(|| corrupt("scope", &scope))?,
        fields: FieldPolicy {
            name: field(row, "field_name")?,
            phone: field(row, "field_phone")?,
            email: field(row, "field_email")?,
            address: field(row, "field_address")?,
        },
    })
}

fn now() -> Millis {
    chrono::Utc::now().timestamp_millis()
}

impl SqlStore {
    async fn one_user(
        &self,
        sql: &str,
        bind: impl FnOnce(AnyQuery<'_>) -> AnyQuery<'_>,
    ) -> StoreResult<User> {
        let row = bind(sqlx::query(sql))
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref()
            .map(user)
            .unwrap_or(Err(StoreError::NotFound("user")))
    }
}

#[async_trait]
impl StaffStore for SqlStore {
    async fn create_user(&self, new: &NewUser, at: Millis) -> StoreResult<User> {
        let sql = format!(
            "INSERT INTO users (email, display_name, role, locale, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.email.clone())
            .bind(new.display_name.clone())
            .bind(new.role.clone())
            .bind(new.locale.clone())
            .bind(new.password_hash.clone())
            .bind(at)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => StoreError::Conflict("user"),
                other => other,
            })?;
        user(&row)
    }

    async fn user(&self, id: i64) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        self.one_user(&sql, |q| q.bind(id)).await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        self.one_user(&sql, |q| q.bind(email.to_owned())).await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(user).collect()
    }

    async fn count_users(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn record_login_failure(
        &self,
        id: i64,
        locked_until: Option<Millis>,
    ) -> StoreResult<i64> {
        let failures: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = COALESCE($1, locked_until) WHERE id = $2 RETURNING failed_logins",
        )
        .bind(locked_until)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        failures.ok_or(StoreError::NotFound("user"))
    }

    async fn record_login_success(&self, id: i64) -> StoreResult<()> {
        let q =
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(id);
        self.change_one("user", q).await
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> StoreResult<()> {
        let q = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_owned())
            .bind(id);
        self.change_one("user", q).await
    }

    async fn set_locale(&self, id: i64, locale: &str) -> StoreResult<()> {
        let q = sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale.to_owned())
            .bind(id);
        self.change_one("user", q).await
    }

    async fn set_role(&self, id: i64, role: &str) -> StoreResult<()> {
        let q = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.to_owned())
            .bind(id);
        self.change_one("user", q).await
    }

    async fn set_totp(&self, id: i64, secret: Option<&str>) -> StoreResult<()> {
        let q = sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2")
            .bind(secret.map(str::to_owned))
            .bind(id);
        self.change_one("user", q).await
    }

    async fn set_disabled(&self, id: i64, at: Option<Millis>) -> StoreResult<()> {
        let q = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id);
        self.change_one("user", q).await
    }

    async fn create_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(s.token_hash.clone())
        .bind(s.user_id)
        .bind(s.csrf_token.clone())
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> StoreResult<Session> {
        let row = sqlx::query(
            "SELECT token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref()
            .map(session)
            .unwrap_or(Err(StoreError::NotFound("session")))
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        at: Millis,
        expires_at: Millis,
    ) -> StoreResult<()> {
        let q = sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3",
        )
        .bind(at)
        .bind(expires_at)
        .bind(token_hash.to_owned());
        self.change_one("session", q).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_owned())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user_id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn custom_roles(&self) -> StoreResult<Vec<Role>> {
        let rows = sqlx::query(
            "SELECT key, name, permissions, scope, field_name, field_phone, field_email, field_address \
             FROM roles ORDER BY key",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(role).collect()
    }

    async fn save_role(&self, r: &Role) -> StoreResult<()> {
        let permissions: Vec<String> = r.permissions.iter().map(ToString::to_string).collect();
        sqlx::query(
            "INSERT INTO roles (key, name, permissions, scope, field_name, field_phone, field_email, field_address, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, permissions = excluded.permissions, \
             scope = excluded.scope, field_name = excluded.field_name, field_phone = excluded.field_phone, \
             field_email = excluded.field_email, field_address = excluded.field_address, \
             updated_at = excluded.updated_at",
        )
        .bind(r.key.clone())
        .bind(r.name.clone().unwrap_or_else(|| r.key.clone()))
        .bind(permissions.join(","))
        .bind(r.scope.as_str())
        .bind(r.fields.name.as_str())
        .bind(r.fields.phone.as_str())
        .bind(r.fields.email.as_str())
        .bind(r.fields.address.as_str())
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_role(&self, key: &str) -> StoreResult<()> {
        // One statement, so a user given the role meanwhile cannot be left holding nothing.
        let done = sqlx::query(
            "DELETE FROM roles WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE role = $1)",
        )
        .bind(key.to_owned())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roles WHERE key = $1")
            .bind(key.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Err(if exists > 0 {
            StoreError::Conflict("role")
        } else {
            StoreError::NotFound("role")
        })
    }
}
