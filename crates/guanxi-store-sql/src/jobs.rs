//! The durable job queue. PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so replicas never
//! take the same job; SQLite has one writer, so a plain `UPDATE … RETURNING` is enough.

use crate::SqlStore;
use crate::backend::map_err;
use crate::rows::{get, json};
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_store::{Job, JobCounts, JobStore, NewJob, StoreResult};
use sqlx::Row;

#[async_trait]
impl JobStore for SqlStore {
    async fn enqueue_job(&self, job: &NewJob) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "INSERT INTO jobs (kind, payload, dedupe_key, run_at, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(job.kind.clone())
        .bind(job.payload.to_string())
        .bind(job.dedupe_key.clone())
        .bind(job.run_at)
        .bind(chrono::Utc::now().timestamp_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(|r| get::<i64>(&r, "id")).transpose()
    }

    async fn claim_jobs(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        // A running job whose lease ran out belonged to a worker that died: claim it again.
        let lock = self.backend.claim_lock();
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, run_at = $1 \
             WHERE id IN (SELECT id FROM jobs WHERE status IN ('queued', 'running') AND run_at <= $2 \
                          ORDER BY run_at, id LIMIT $3 {lock}) \
             RETURNING id, kind, payload, attempts"
        );
        let rows = sqlx::query(&sql)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut jobs = rows
            .iter()
            .map(|r| {
                Ok(Job {
                    id: get(r, "id")?,
                    kind: get(r, "kind")?,
                    payload: json(&get::<String>(r, "payload")?)?,
                    attempts: get(r, "attempts")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    async fn complete_job(&self, id: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'done', finished_at = $1, last_error = NULL WHERE id = $2",
        )
        .bind(chrono::Utc::now().timestamp_millis())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn fail_job(&self, id: i64, error: &str, retry_at: Option<Millis>) -> StoreResult<()> {
        let (status, run_at) = match retry_at {
            Some(at) => ("queued", at),
            None => ("dead", chrono::Utc::now().timestamp_millis()),
        };
        sqlx::query("UPDATE jobs SET status = $1, run_at = $2, last_error = $3 WHERE id = $4")
            .bind(status)
            .bind(run_at)
            .bind(error.to_owned())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn job_counts(&self) -> StoreResult<JobCounts> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM jobs WHERE status <> 'done' GROUP BY status",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut counts = JobCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n").map_err(map_err)?;
            match get::<String>(&row, "status")?.as_str() {
                "queued" => counts.queued = n,
                "running" => counts.running = n,
                "dead" => counts.dead = n,
                _ => {}
            }
        }
        Ok(counts)
    }
}
