//! An import of a file uploaded in the console: started on request, run in the background
//! through the same importer as `guanxi import`, its progress recorded every second (which is
//! also its heartbeat), its outcome and first rejected rows kept for the console to show.
//!
//! A process that stops mid-import leaves it silent, shown as interrupted; uploading the file
//! again finishes it, since importing what is already there changes nothing.

use crate::audit::{self, Audit, AuditActor};
use crate::credentials::{self, By};
use crate::import::{ImportError, ImportSummary};
use crate::{Ingestor, Settings};
use guanxi_channels::import::ImportFormat;
use guanxi_domain::access::{Action, Actor, Principal, Resource};
use guanxi_store::{ImportProgress, ImportStatus, NewImport, RejectedRow, Source, Store};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Rejected rows kept for the console; the count covers them all.
pub const REJECTED_ROWS_KEPT: usize = 1_000;
/// How often a running import records its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// The uploaded file: read from its start, deleted when the import ends.
pub struct Upload {
    pub file: Box<dyn std::io::Read + Send>,
    pub file_name: String,
    pub size_bytes: u64,
}

/// What starting an import answers when it is not done.
pub use crate::action::ActionError as StartError;

/// What the background import needs.
pub struct Importer {
    pub store: Arc<dyn Store>,
    pub ingestor: Ingestor,
    pub settings: Arc<Settings>,
}

/// Checks the request, records the import and the audit entry, and starts it; answers its id.
pub async fn start(
    importer: Importer,
    principal: &Principal,
    source_name: &str,
    format: ImportFormat,
    upload: Upload,
    ip: Option<String>,
) -> Result<i64, StartError> {
    principal.require(Resource::Imports, Action::Create)?;
    let source_name = source_name.trim();
    if source_name.is_empty() {
        return Err(StartError::Invalid("source", "is empty".to_owned()));
    }
    if upload.size_bytes == 0 {
        return Err(StartError::Invalid("file", "is empty".to_owned()));
    }
    let store = importer.store.as_ref();
    let by = By::Principal(principal, ip.clone());
    let source =
        credentials::source_for_import(store, &by, source_name, format.source_kind()).await?;
    let file_name = file_name_only(&upload.file_name);
    let id = store
        .create_import(&NewImport {
            source: source.name.clone(),
            format: format.as_str().to_owned(),
            file_name: file_name.clone(),
            size_bytes: i64::try_from(upload.size_bytes).unwrap_or(i64::MAX),
            created_by: match principal.actor {
                Actor::Staff { user_id, .. } => Some(user_id),
                Actor::ApiKey { .. } => None,
            },
            at: now(),
        })
        .await?;
    audit::record(
        store,
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "import.start",
            target: Some(("import", id.to_string())),
            detail: json!({"source": source.name, "format": format.as_str(), "bytes": upload.size_bytes}),
            ip,
        },
    )
    .await?;
    tokio::spawn(run(importer, id, source, format, upload.file));
    Ok(id)
}

/// A browser may send a whole path (old Internet Explorer did): keep the last part.
fn file_name_only(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.is_empty() {
        "upload".to_owned()
    } else {
        name
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn progress_of(bytes: u64, summary: &ImportSummary) -> ImportProgress {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    ImportProgress {
        bytes_read: count(bytes),
        rows_read: count(summary.rows_read),
        imported: count(summary.imported),
        updated: count(summary.updated),
        unchanged: count(summary.unchanged),
        rejected: count(summary.rejected.len() as u64),
    }
}

async fn run(
    importer: Importer,
    id: i64,
    source: Source,
    format: ImportFormat,
    file: Box<dyn std::io::Read + Send>,
) {
    let Importer {
        store,
        ingestor,
        settings,
    } = importer;
    let (progress_tx, mut progress_rx) = tokio::sync::watch::channel(ImportProgress::default());
    let recorder = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PROGRESS_EVERY);
            loop {
                tick.tick().await;
                let progress = *progress_rx.borrow_and_update();
                if let Err(e) = store.record_import_progress(id, &progress, now()).await {
                    tracing::warn!(import.id = id, error = %e, "could not record import progress");
                }
            }
        })
    };
    let reader = Box::new(std::io::BufReader::new(file));
    let mut last_bytes = 0;
    let outcome = crate::import::run(
        &ingestor,
        &settings,
        &source,
        format,
        reader,
        |bytes, summary| {
            last_bytes = bytes;
            progress_tx.send_replace(progress_of(bytes, summary));
        },
    )
    .await;
    recorder.abort();
    let (status, progress, rejected, error) = match &outcome {
        Ok(summary) => (
            ImportStatus::Done,
            progress_of(last_bytes, summary),
            summary
                .rejected
                .iter()
                .take(REJECTED_ROWS_KEPT)
                .map(|r| RejectedRow {
                    line: i64::try_from(r.line).unwrap_or(i64::MAX),
                    reason: r.reason.clone(),
                })
                .collect(),
            None,
        ),
        Err(e) => (
            ImportStatus::Failed,
            *progress_tx.borrow(),
            Vec::new(),
            Some(failure_text(e)),
        ),
    };
    tracing::info!(
        import.id = id,
        status = status.as_str(),
        rows = progress.rows_read,
        rejected = progress.rejected,
        "import finished"
    );
    if let Err(e) = store
        .finish_import(id, status, &progress, &rejected, error.as_deref(), now())
        .await
    {
        tracing::error!(import.id = id, error = %e, "could not record how an import ended");
    }
}

/// Why an import stopped, as the console shows it: what was wrong with the file, in its words;
/// a database failure only as such (its cause goes to the log, not the page).
fn failure_text(e: &ImportError) -> String {
    match e {
        ImportError::File(file) => file.to_string(),
        ImportError::Ingest(ingest) => {
            tracing::error!(error = %ingest, "an import stopped: the writer failed");
            "the database could not take the rows; the server log has the cause".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_name_only;

    #[test]
    fn only_the_last_part_of_a_path_is_kept() {
        assert_eq!(file_name_only(r"C:\Users\li\订单报表.csv"), "订单报表.csv");
        assert_eq!(file_name_only("/tmp/x/jd.csv"), "jd.csv");
        assert_eq!(file_name_only("  "), "upload");
        assert_eq!(file_name_only("a\u{7}b.csv"), "ab.csv");
    }
}
