//! Sources (channels with their write keys and webhook secrets) and API keys.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{get, source_id};
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_store::{ApiKey, KeyStore, NewApiKey, NewSource, Source, StoreError, StoreResult};
use sqlx::any::AnyRow;

const SOURCE_COLUMNS: &str = "id, name, kind, webhook_secret, created_at";

fn source(row: &AnyRow) -> StoreResult<Source> {
    Ok(Source {
        id: source_id(row, "id")?,
        name: get(row, "name")?,
        kind: get(row, "kind")?,
        webhook_secret: get(row, "webhook_secret")?,
        created_at: get(row, "created_at")?,
    })
}

fn api_key(row: &AnyRow) -> StoreResult<ApiKey> {
    let scopes: String = get(row, "scopes")?;
    Ok(ApiKey {
        id: get(row, "id")?,
        name: get(row, "name")?,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        created_at: get(row, "created_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl SqlStore {
    async fn one_source(&self, sql: String, value: &str) -> StoreResult<Source> {
        let row = sqlx::query(&sql)
            .bind(value.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref()
            .map(source)
            .unwrap_or(Err(StoreError::NotFound("source")))
    }
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn create_source(&self, new: &NewSource) -> StoreResult<Source> {
        let sql = format!(
            "INSERT INTO sources (name, kind, write_key_hash, webhook_secret, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {SOURCE_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.name.clone())
            .bind(new.kind.clone())
            .bind(new.write_key_hash.clone())
            .bind(new.webhook_secret.clone())
            .bind(now())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| match map_err(e) {
                StoreError::Conflict(_) => StoreError::Conflict("source"),
                other => other,
            })?;
        source(&row)
    }

    async fn source_by_name(&self, name: &str) -> StoreResult<Source> {
        self.one_source(
            format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE name = $1"),
            name,
        )
        .await
    }

    async fn source_by_write_key(&self, write_key_hash: &str) -> StoreResult<Source> {
        self.one_source(
            format!("SELECT {SOURCE_COLUMNS} FROM sources WHERE write_key_hash = $1"),
            write_key_hash,
        )
        .await
    }

    async fn list_sources(&self) -> StoreResult<Vec<Source>> {
        // The engine's own source (segment entries and exits) is nobody's channel.
        let rows = sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM sources WHERE kind <> 'engine' ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(source).collect()
    }

    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<ApiKey> {
        let row = sqlx::query(
            "INSERT INTO api_keys (name, key_hash, scopes, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, scopes, created_at, revoked_at",
        )
        .bind(key.name.clone())
        .bind(key.key_hash.clone())
        .bind(key.scopes.join(","))
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("api key"),
            other => other,
        })?;
        api_key(&row)
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<ApiKey> {
        let row = sqlx::query(
            "SELECT id, name, scopes, created_at, revoked_at FROM api_keys \
             WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref()
            .map(api_key)
            .unwrap_or(Err(StoreError::NotFound("api key")))
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKey>> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(api_key).collect()
    }

    async fn revoke_api_key(&self, id: i64, at: Millis) -> StoreResult<()> {
        let q =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(id);
        self.change_one("api key", q).await
    }
}
