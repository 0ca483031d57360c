//! Journeys as stored: definitions and versions (here), runs and their step counts
//! (`runs.rs`), and the event feed journeys follow (`feed.rs`).

mod feed;
mod runs;

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::get;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{
    FeedEvent, JourneyRecord, JourneyStore, NewRun, RunChange, RunRecord, StepCount, StoreError,
    StoreResult,
};
use sqlx::any::AnyRow;

const JOURNEY_COLUMNS: &str = "j.id, j.key, j.name, j.status, j.version, v.definition, \
     j.created_at, j.updated_at FROM journeys j \
     JOIN journey_versions v ON v.journey_id = j.id AND v.version = j.version";

fn journey(row: &AnyRow) -> StoreResult<JourneyRecord> {
    Ok(JourneyRecord {
        id: get(row, "id")?,
        key: get(row, "key")?,
        name: get(row, "name")?,
        status: get(row, "status")?,
        version: get(row, "version")?,
        definition: get(row, "definition")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

#[async_trait]
impl JourneyStore for SqlStore {
    async fn create_journey(
        &self,
        key: &str,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<JourneyRecord> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO journeys (key, name, status, version, created_at, updated_at) \
             VALUES ($1, $2, 'draft', 1, $3, $3) RETURNING id",
        )
        .bind(key)
        .bind(name)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match map_err(e) {
            StoreError::Conflict(_) => StoreError::Conflict("key"),
            other => other,
        })?;
        sqlx::query("INSERT INTO journey_versions (journey_id, version, definition, created_at) VALUES ($1, 1, $2, $3)")
            .bind(id)
            .bind(definition)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        self.journey(id).await
    }

    async fn publish_journey(
        &self,
        id: i64,
        name: &str,
        definition: &str,
        at: Millis,
    ) -> StoreResult<JourneyRecord> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE journeys SET version = version + 1, name = $1, updated_at = $2 WHERE id = $3 RETURNING version",
        )
        .bind(name)
        .bind(at)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let version = version.ok_or(StoreError::NotFound("journey"))?;
        sqlx::query("INSERT INTO journey_versions (journey_id, version, definition, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(version)
            .bind(definition)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        self.journey(id).await
    }

    async fn set_journey_status(&self, id: i64, status: &str, at: Millis) -> StoreResult<()> {
        let done = sqlx::query("UPDATE journeys SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("journey"));
        }
        Ok(())
    }

    async fn journey(&self, id: i64) -> StoreResult<JourneyRecord> {
        let row = sqlx::query(&format!("SELECT {JOURNEY_COLUMNS} WHERE j.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound("journey"))?;
        journey(&row)
    }

    async fn journeys(&self) -> StoreResult<Vec<JourneyRecord>> {
        let rows = sqlx::query(&format!("SELECT {JOURNEY_COLUMNS} ORDER BY j.key"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(journey).collect()
    }

    async fn journey_version(&self, id: i64, version: i64) -> StoreResult<String> {
        sqlx::query_scalar(
            "SELECT definition FROM journey_versions WHERE journey_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or(StoreError::NotFound("journey version"))
    }

    async fn last_entries(
        &self,
        journey: i64,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Millis, bool)>> {
        self.entries_of(journey, customers).await
    }

    async fn start_runs(&self, runs: &[NewRun], at: Millis) -> StoreResult<u64> {
        self.insert_runs(runs, at).await
    }

    async fn claim_due_runs(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>> {
        self.claim_runs(now, lease_until, limit).await
    }

    async fn live_runs_of(&self, customers: &[CustomerId]) -> StoreResult<Vec<RunRecord>> {
        self.live_runs(customers).await
    }

    async fn advance_runs(&self, changes: &[RunChange], at: Millis) -> StoreResult<()> {
        self.apply_run_changes(changes, at).await
    }

    async fn step_counts(&self, journey: i64) -> StoreResult<Vec<StepCount>> {
        self.counts_of_steps(journey).await
    }

    async fn events_after(&self, after: i64, limit: u32) -> StoreResult<Vec<FeedEvent>> {
        self.feed_after(after, limit).await
    }

    async fn did_event_since(
        &self,
        customer: CustomerId,
        name: &str,
        since: Millis,
    ) -> StoreResult<bool> {
        self.did_since(customer, name, since).await
    }

    async fn cursor(&self, name: &str) -> StoreResult<Option<i64>> {
        self.read_cursor(name).await
    }

    async fn save_cursor(&self, name: &str, position: i64) -> StoreResult<()> {
        self.write_cursor(name, position).await
    }

    async fn swap_cursor(
        &self,
        name: &str,
        expected: Option<i64>,
        position: i64,
    ) -> StoreResult<bool> {
        self.compare_and_swap_cursor(name, expected, position).await
    }

    async fn newest_event_id(&self) -> StoreResult<i64> {
        self.last_event_id().await
    }
}
