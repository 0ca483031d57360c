//! Segment definitions, members and history, read and written over the pool. Entries and
//! exits are written by `WriteTx::apply_segment_changes`, in the writer's transactions.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{
    NewSegment, SegmentRecord, SegmentSpell, SegmentStore, StoreError, StoreResult,
};
use sqlx::any::AnyRow;

const SEGMENT_COLUMNS: &str = "s.id, s.key, s.name, s.description, s.rule, s.auto_tag, s.created_at, \
     s.updated_at, (SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = s.id) AS members";

fn segment(row: &AnyRow) -> StoreResult<SegmentRecord> {
    Ok(SegmentRecord {
        id: get(row, "id")?,
        key: get(row, "key")?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        rule: get(row, "rule")?,
        auto_tag: get(row, "auto_tag")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        members: get(row, "members")?,
    })
}

#[async_trait]
impl SegmentStore for SqlStore {
    async fn create_segment(&self, new: &NewSegment, at: Millis) -> StoreResult<SegmentRecord> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO segments (key, name, description, rule, auto_tag, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(new.key.as_str())
        .bind(new.name.as_str())
        .bind(new.description.as_str())
        .bind(new.rule.as_str())
        .bind(new.auto_tag.clone())
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("key"),
            other => other,
        })?;
        self.segment(id).await
    }

    async fn update_segment(
        &self,
        id: i64,
        new: &NewSegment,
        at: Millis,
    ) -> StoreResult<SegmentRecord> {
        let updated = sqlx::query(
            "UPDATE segments SET name = $1, description = $2, rule = $3, auto_tag = $4, \
             updated_at = $5 WHERE id = $6",
        )
        .bind(new.name.as_str())
        .bind(new.description.as_str())
        .bind(new.rule.as_str())
        .bind(new.auto_tag.clone())
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("segment"));
        }
        self.segment(id).await
    }

    async fn delete_segment(&self, id: i64) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM segments WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if deleted.rows_affected() == 0 {
            return Err(StoreError::NotFound("segment"));
        }
        Ok(())
    }

    async fn segment(&self, id: i64) -> StoreResult<SegmentRecord> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segments s WHERE s.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("segment"))?;
        segment(&row)
    }

    async fn segments(&self) -> StoreResult<Vec<SegmentRecord>> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segments s ORDER BY s.key");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(segment).collect()
    }

    async fn segment_id(&self, key: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT id FROM segments WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("segment"))
    }

    async fn segment_versions(&self) -> StoreResult<Vec<(i64, Millis)>> {
        let rows = sqlx::query("SELECT id, updated_at FROM segments ORDER BY key")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "updated_at")?)))
            .collect()
    }

    async fn segment_members(
        &self,
        id: i64,
        after: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<(CustomerId, Millis)>> {
        let rows = sqlx::query(
            "SELECT customer_id, since FROM segment_members \
             WHERE segment_id = $1 AND customer_id > $2 ORDER BY customer_id LIMIT $3",
        )
        .bind(id)
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((customer_id(r, "customer_id")?, get(r, "since")?)))
            .collect()
    }

    async fn customer_segments(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<(i64, String, String)>> {
        let rows = sqlx::query(
            "SELECT s.id, s.key, s.name FROM segment_members m \
             JOIN segments s ON s.id = m.segment_id WHERE m.customer_id = $1 ORDER BY s.key",
        )
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "key")?, get(r, "name")?)))
            .collect()
    }

    async fn customer_segment_history(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<SegmentSpell>> {
        let rows = sqlx::query(
            "SELECT h.segment_id, s.key, s.name, h.entered_at, h.left_at FROM segment_history h \
             JOIN segments s ON s.id = h.segment_id WHERE h.customer_id = $1 \
             ORDER BY h.entered_at DESC, s.key",
        )
        .bind(customer.0)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(SegmentSpell {
                    segment: get(r, "segment_id")?,
                    key: get(r, "key")?,
                    name: get(r, "name")?,
                    entered_at: get(r, "entered_at")?,
                    left_at: get(r, "left_at")?,
                })
            })
            .collect()
    }
}
