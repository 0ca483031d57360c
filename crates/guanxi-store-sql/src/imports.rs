//! Imports started from the console, with their progress and rejected rows.

use crate::SqlStore;
use crate::backend::{AnyQuery, map_err};
use crate::rows::{get, json};
use async_trait::async_trait;
use guanxi_domain::Millis;
use guanxi_store::{
    ImportProgress, ImportRecord, ImportStatus, ImportStore, NewImport, RejectedRow, StoreError,
    StoreResult,
};
use serde_json::{Value, json};
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, source, format, file_name, size_bytes, status, bytes_read, rows_read, \
     imported, updated, unchanged, rejected, error, created_by, created_at, updated_at, finished_at";

fn record(row: &AnyRow, rejected_rows: Vec<RejectedRow>) -> StoreResult<ImportRecord> {
    let status: String = get(row, "status")?;
    Ok(ImportRecord {
        id: get(row, "id")?,
        source: get(row, "source")?,
        format: get(row, "format")?,
        file_name: get(row, "file_name")?,
        size_bytes: get(row, "size_bytes")?,
        status: ImportStatus::parse(&status)
            .ok_or_else(|| StoreError::other(format!("unknown import status {status:?}")))?,
        progress: ImportProgress {
            bytes_read: get(row, "bytes_read")?,
            rows_read: get(row, "rows_read")?,
            imported: get(row, "imported")?,
            updated: get(row, "updated")?,
            unchanged: get(row, "unchanged")?,
            rejected: get(row, "rejected")?,
        },
        rejected_rows,
        error: get(row, "error")?,
        created_by: get(row, "created_by")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        finished_at: get(row, "finished_at")?,
    })
}

/// Binds the six progress figures as `$1`…`$6`.
fn bind_progress<'q>(query: AnyQuery<'q>, p: &ImportProgress) -> AnyQuery<'q> {
    query
        .bind(p.bytes_read)
        .bind(p.rows_read)
        .bind(p.imported)
        .bind(p.updated)
        .bind(p.unchanged)
        .bind(p.rejected)
}

fn rejected_from(text: &str) -> StoreResult<Vec<RejectedRow>> {
    let Value::Array(rows) = json(text)? else {
        return Err(StoreError::other(
            "an import's rejected rows are not a list",
        ));
    };
    rows.iter()
        .map(|r| match (r["line"].as_i64(), r["reason"].as_str()) {
            (Some(line), Some(reason)) => Ok(RejectedRow {
                line,
                reason: reason.to_owned(),
            }),
            _ => Err(StoreError::other(
                "an import's rejected row is not {line, reason}",
            )),
        })
        .collect()
}

#[async_trait]
impl ImportStore for SqlStore {
    async fn create_import(&self, i: &NewImport) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO imports (source, format, file_name, size_bytes, status, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(i.source.clone())
        .bind(i.format.clone())
        .bind(i.file_name.clone())
        .bind(i.size_bytes)
        .bind(ImportStatus::Running.as_str())
        .bind(i.created_by)
        .bind(i.at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn record_import_progress(
        &self,
        id: i64,
        p: &ImportProgress,
        at: Millis,
    ) -> StoreResult<()> {
        bind_progress(
            sqlx::query(
                "UPDATE imports SET bytes_read = $1, rows_read = $2, imported = $3, updated = $4, \
                 unchanged = $5, rejected = $6, updated_at = $7 WHERE id = $8 AND status = $9",
            ),
            p,
        )
        .bind(at)
        .bind(id)
        .bind(ImportStatus::Running.as_str())
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn finish_import(
        &self,
        id: i64,
        status: ImportStatus,
        p: &ImportProgress,
        rejected_rows: &[RejectedRow],
        error: Option<&str>,
        at: Millis,
    ) -> StoreResult<()> {
        let rejected: Vec<Value> = rejected_rows
            .iter()
            .map(|r| json!({"line": r.line, "reason": r.reason}))
            .collect();
        let q = bind_progress(
            sqlx::query(
                "UPDATE imports SET bytes_read = $1, rows_read = $2, imported = $3, updated = $4, \
                 unchanged = $5, rejected = $6, rejected_rows = $7, error = $8, status = $9, \
                 updated_at = $10, finished_at = $10 WHERE id = $11",
            ),
            p,
        )
        .bind(Value::Array(rejected).to_string())
        .bind(error.map(str::to_owned))
        .bind(status.as_str())
        .bind(at)
        .bind(id);
        self.change_one("import", q).await
    }

    async fn import(&self, id: i64) -> StoreResult<ImportRecord> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, rejected_rows FROM imports WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound("import"))?;
        record(&row, rejected_from(&get::<String>(&row, "rejected_rows")?)?)
    }

    async fn recent_imports(&self, limit: u32) -> StoreResult<Vec<ImportRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM imports ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(|r| record(r, Vec::new())).collect()
    }
}
