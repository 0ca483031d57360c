//! The append-only audit log.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{get, json};
use async_trait::async_trait;
use guanxi_store::{AuditEntry, AuditQuery, AuditStore, NewAuditEntry, StoreResult};
use sqlx::any::AnyRow;

fn entry(row: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: get(row, "id")?,
        at: get(row, "at")?,
        actor_kind: get(row, "actor_kind")?,
        actor_id: get(row, "actor_id")?,
        action: get(row, "action")?,
        target_kind: get(row, "target_kind")?,
        target_id: get(row, "target_id")?,
        detail: json(&get::<String>(row, "detail")?)?,
        ip: get(row, "ip")?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, e: &NewAuditEntry) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor_kind, actor_id, action, target_kind, target_id, detail, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(e.at)
        .bind(e.actor_kind.clone())
        .bind(e.actor_id)
        .bind(e.action.clone())
        .bind(e.target_kind.clone())
        .bind(e.target_id.clone())
        .bind(e.detail.to_string())
        .bind(e.ip.clone())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn audit_entries(&self, q: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        // Every filter is always bound; an absent one matches everything. The SQL text stays
        // fixed, so both databases prepare it once.
        let rows = sqlx::query(
            "SELECT id, at, actor_kind, actor_id, action, target_kind, target_id, detail, ip \
             FROM audit_log \
             WHERE ($1 IS NULL OR action = $1) \
               AND ($2 IS NULL OR actor_kind = $2) \
               AND ($3 IS NULL OR actor_id = $3) \
               AND ($4 IS NULL OR target_kind = $4) \
               AND ($5 IS NULL OR target_id = $5) \
               AND ($6 IS NULL OR at >= $6) \
               AND ($7 IS NULL OR at < $7) \
               AND ($8 IS NULL OR id < $8) \
             ORDER BY id DESC LIMIT $9",
        )
        .bind(q.action.clone())
        .bind(q.actor_kind.clone())
        .bind(q.actor_id)
        .bind(q.target_kind.clone())
        .bind(q.target_id.clone())
        .bind(q.since)
        .bind(q.until)
        .bind(q.before)
        .bind(i64::from(q.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(entry).collect()
    }
}
