//! Runs through journeys: started (one live run per journey and customer), claimed when due
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), advanced together with the messages
//! their steps decided, and counted per step.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{customer_id, get};
use crate::sql::{Placeholders, list};
use guanxi_domain::{CustomerId, Millis};
use guanxi_store::{NewRun, RunChange, RunRecord, StepCount, StoreResult};
use sqlx::any::AnyRow;

const RUN_COLUMNS: &str = "id, journey_id, version, customer_id, step, wake_at, waiting_for, \
     correlation, entered_at, moves";

fn run(row: &AnyRow) -> StoreResult<RunRecord> {
    Ok(RunRecord {
        id: get(row, "id")?,
        journey: get(row, "journey_id")?,
        version: get(row, "version")?,
        customer: customer_id(row, "customer_id")?,
        step: get(row, "step")?,
        wake_at: get(row, "wake_at")?,
        waiting_for: get(row, "waiting_for")?,
        correlation: get(row, "correlation")?,
        entered_at: get(row, "entered_at")?,
        moves: get(row, "moves")?,
    })
}

impl SqlStore {
    pub(super) async fn entries_of(
        &self,
        journey: i64,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Millis, bool)>> {
        let mut out = Vec::new();
        for chunk in customers.chunks(500) {
            let sql = format!(
                "SELECT customer_id, MAX(entered_at) AS last, \
                 SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END) AS live \
                 FROM journey_runs WHERE journey_id = $1 AND customer_id IN ({}) GROUP BY customer_id",
                list(Placeholders::Numbered { first: 2 }, chunk.len())
            );
            let mut query = sqlx::query(&sql).bind(journey);
            for c in chunk {
                query = query.bind(c.0);
            }
            for row in query.fetch_all(&self.pool).await.map_err(map_err)? {
                let live: i64 = get(&row, "live")?;
                out.push((
                    customer_id(&row, "customer_id")?,
                    get(&row, "last")?,
                    live > 0,
                ));
            }
        }
        Ok(out)
    }

    pub(super) async fn insert_runs(&self, runs: &[NewRun], at: Millis) -> StoreResult<u64> {
        let mut started = 0;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for r in runs {
            // The partial unique index keeps one live run per journey and customer.
            let done = sqlx::query(
                "INSERT INTO journey_runs (journey_id, version, customer_id, step, status, wake_at, \
                 correlation, entered_at, updated_at) VALUES ($1, $2, $3, '', 'live', $4, $5, $4, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(r.journey)
            .bind(r.version)
            .bind(r.customer.0)
            .bind(at)
            .bind(r.correlation.clone())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            started += done.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(started)
    }

    pub(super) async fn claim_runs(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<RunRecord>> {
        let lock = self.backend.claim_lock();
        // The lease is the wake time itself, pushed forward: a server that dies mid-step
        // leaves the run due again when it runs out. What the claim answers is the step's
        // own wake time, so a step can tell its wait's end from an event.
        let sql = format!(
            "UPDATE journey_runs SET wake_at = $1 WHERE id IN (SELECT id FROM journey_runs \
             WHERE ended_at IS NULL AND wake_at <= $2 ORDER BY wake_at, id LIMIT $3 {lock}) \
             RETURNING {RUN_COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut runs = rows.iter().map(run).collect::<StoreResult<Vec<_>>>()?;
        runs.sort_by_key(|r| r.id);
        Ok(runs)
    }

    pub(super) async fn live_runs(&self, customers: &[CustomerId]) -> StoreResult<Vec<RunRecord>> {
        let mut out = Vec::new();
        for chunk in customers.chunks(500) {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM journey_runs WHERE ended_at IS NULL AND customer_id IN ({}) ORDER BY id",
                list(Placeholders::Numbered { first: 1 }, chunk.len())
            );
            let mut query = sqlx::query(&sql);
            for c in chunk {
                query = query.bind(c.0);
            }
            for row in query.fetch_all(&self.pool).await.map_err(map_err)? {
                out.push(run(&row)?);
            }
        }
        Ok(out)
    }

    pub(super) async fn apply_run_changes(
        &self,
        changes: &[RunChange],
        at: Millis,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        for c in changes {
            let moved = sqlx::query(
                "UPDATE journey_runs SET step = $1, wake_at = $2, waiting_for = $3, \
                 status = COALESCE($4, status), ended_at = CASE WHEN $4 IS NULL THEN NULL ELSE $5 END, \
                 updated_at = $5, moves = moves + 1 WHERE id = $6 AND ended_at IS NULL AND moves = $7",
            )
            .bind(c.step.as_str())
            .bind(c.wake_at)
            .bind(c.waiting_for.clone())
            .bind(c.ended)
            .bind(at)
            .bind(c.id)
            .bind(c.moves)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if moved.rows_affected() == 0 {
                continue;
            }
            for step in &c.entered {
                sqlx::query(
                    "INSERT INTO journey_step_counts (journey_id, version, step, entered) \
                     SELECT journey_id, version, $1, 1 FROM journey_runs WHERE id = $2 \
                     ON CONFLICT (journey_id, version, step) DO UPDATE \
                     SET entered = journey_step_counts.entered + 1",
                )
                .bind(step.as_str())
                .bind(c.id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
            for d in &c.deliveries {
                sqlx::query(
            "INSERT INTO deliveries (origin, customer_id, channel, variant, status, run_at, last_error, marketing, queued_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (origin, customer_id) DO NOTHING",
        )
        .bind(d.origin.as_str())
        .bind(d.customer.0)
        .bind(d.channel.as_str())
        .bind(d.variant.as_str())
        .bind(d.status.as_str())
        .bind(d.run_at)
        .bind(d.reason.clone())
        .bind(d.marketing)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
            }
        }
        tx.commit().await.map_err(map_err)
    }

    pub(super) async fn counts_of_steps(&self, journey: i64) -> StoreResult<Vec<StepCount>> {
        let rows = sqlx::query(
            "SELECT s.version, s.step, s.entered, \
             (SELECT COUNT(*) FROM journey_runs r WHERE r.journey_id = s.journey_id AND r.version = s.version \
              AND r.step = s.step AND r.ended_at IS NULL) AS now \
             FROM journey_step_counts s WHERE s.journey_id = $1 ORDER BY s.version, s.step",
        )
        .bind(journey)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(StepCount {
                    version: get(r, "version")?,
                    step: get(r, "step")?,
                    entered: get(r, "entered")?,
                    now: get(r, "now")?,
                })
            })
            .collect()
    }
}
