//! Imports started from the console: what was uploaded, how far it got, what it rejected.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::Millis;

/// Where an import stands, as stored. A running import whose progress has not moved for a
/// while belongs to a process that stopped: `ImportRecord::status_at` says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    Running,
    Done,
    Failed,
    /// Shown, never stored: the process running it stopped.
    Interrupted,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Running, Self::Done, Self::Failed, Self::Interrupted]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// How far an import got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportProgress {
    pub bytes_read: i64,
    pub rows_read: i64,
    pub imported: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
}

/// A row the import refused: its line in the file and why (naming the column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    pub line: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImport {
    pub source: String,
    pub format: String,
    pub file_name: String,
    pub size_bytes: i64,
    /// The member of staff who started it.
    pub created_by: Option<i64>,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    pub id: i64,
    pub source: String,
    pub format: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub status: ImportStatus,
    pub progress: ImportProgress,
    /// The first rejected rows (the count is in `progress.rejected`); empty in lists.
    pub rejected_rows: Vec<RejectedRow>,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    /// When progress was last recorded: a running import records it every few seconds.
    pub updated_at: Millis,
    pub finished_at: Option<Millis>,
}

/// A running import records its progress every second or so; one silent for this long belongs
/// to a process that stopped.
pub const IMPORT_SILENT_AFTER_MS: Millis = 60_000;

impl ImportRecord {
    /// The status as of `now`: running, unless its process has been silent for a minute.
    pub fn status_at(&self, now: Millis) -> ImportStatus {
        match self.status {
            ImportStatus::Running if now - self.updated_at > IMPORT_SILENT_AFTER_MS => {
                ImportStatus::Interrupted
            }
            status => status,
        }
    }
}

#[async_trait]
pub trait ImportStore {
    /// Records a new running import; answers its id.
    async fn create_import(&self, import: &NewImport) -> StoreResult<i64>;
    /// Records how far a running import got (and that it is still alive).
    async fn record_import_progress(
        &self,
        id: i64,
        progress: &ImportProgress,
        at: Millis,
    ) -> StoreResult<()>;
    /// Records how an import ended: done or failed (with `error`), and the rows it rejected.
    async fn finish_import(
        &self,
        id: i64,
        status: ImportStatus,
        progress: &ImportProgress,
        rejected_rows: &[RejectedRow],
        error: Option<&str>,
        at: Millis,
    ) -> StoreResult<()>;
    /// One import with its rejected rows.
    async fn import(&self, id: i64) -> StoreResult<ImportRecord>;
    /// The newest imports first, without their rejected rows.
    async fn recent_imports(&self, limit: u32) -> StoreResult<Vec<ImportRecord>>;
}
