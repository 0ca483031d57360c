//! The event feed journeys follow: events by id after a saved position.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::sealed::open_properties;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{FeedEvent, StoreResult};

impl SqlStore {
    pub(super) async fn feed_after(&self, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>> {
        // Merged customers' events were moved to the survivor; a merged-away id left in the
        // feed resolves through `merged_into`.
        let rows = sqlx::query(
            "SELECT e.id, COALESCE(c.merged_into, e.customer_id) AS customer_id, e.name, e.properties, e.timestamp \
             FROM events e JOIN customers c ON c.id = e.customer_id \
             WHERE e.id > $1 AND e.name IS NOT NULL ORDER BY e.id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(FeedEvent {
                    id: get(r, "id")?,
                    customer: customer_id(r, "customer_id")?,
                    name: get(r, "name")?,
                    properties: open_properties(&self.vault, &get::<String>(r, "properties")?)?,
                    timestamp: get(r, "timestamp")?,
                })
            })
            .collect()
    }

    pub(super) async fn did_since(
        &self,
        customer: CustomerId,
        name: &str,
        since: Millis,
    ) -> StoreResult<bool> {
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM events WHERE customer_id = $1 AND name = $2 AND timestamp >= $3 LIMIT 1",
        )
        .bind(customer.0)
        .bind(name)
        .bind(since)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(hit.is_some())
    }

    pub(super) async fn read_cursor(&self, name: &str) -> StoreResult<Option<i64>> {
        sqlx::query_scalar("SELECT position FROM feed_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)
    }

    pub(super) async fn write_cursor(&self, name: &str, position: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO feed_cursors (name, position) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position",
        )
        .bind(name)
        .bind(position)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    pub(super) async fn compare_and_swap_cursor(
        &self,
        name: &str,
        expected: Option<i64>,
        position: i64,
    ) -> StoreResult<bool> {
        let query = match expected {
            None => sqlx::query(
                "INSERT INTO feed_cursors (name, position) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(position),
            Some(expected) => sqlx::query(
                "UPDATE feed_cursors SET position = $2 WHERE name = $1 AND position = $3",
            )
            .bind(name)
            .bind(position)
            .bind(expected),
        };
        let done = query.execute(&self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(super) async fn last_event_id(&self) -> StoreResult<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(id.unwrap_or(0))
    }
}
