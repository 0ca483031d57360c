//! `guanxi import`: streams a channel's export through the writer in batches, reporting
//! progress, and sums up what happened. Re-importing a file changes nothing: orders upsert by
//! (source, external id) and compare fingerprints, refunds dedupe by their id.

use crate::{IngestError, Ingestor, OutcomeStatus, Settings, WriteItem, WriteOp};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use guanxi_channels::import::{
    self, FileError, ImportFormat, ImportOptions, ImportRecord, RowError,
};
use guanxi_domain::OrderChange;
use guanxi_store::Source;

/// Records per write request.
const BATCH: usize = 1_000;
/// Write requests in flight: the writer commits what is queued together, so a few requests
/// waiting make transactions of several thousand records (fewer commits, each page written once
/// for many rows) and keep the writer busy while the next batch is built. The writer keeps
/// their order, so a later row of the file still wins.
const IN_FLIGHT: usize = 4;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows_read: u64,
    pub imported: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: Vec<RowError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// Imports everything readable; `progress(bytes_read, summary)` is called after each batch.
pub async fn run(
    ingestor: &Ingestor,
    settings: &Settings,
    source: &Source,
    format: ImportFormat,
    reader: Box<dyn std::io::Read + Send>,
    mut progress: impl FnMut(u64, &ImportSummary),
) -> Result<ImportSummary, ImportError> {
    let options = ImportOptions {
        source: source.id,
        source_name: source.name.clone(),
        region: settings.region,
        default_currency: settings.currency,
        utc_offset_hours: settings.utc_offset_hours,
    };
    // Parsing is blocking IO: it runs on its own thread and hands batches over a bounded channel.
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(u64, Vec<Result<(u64, ImportRecord), RowError>>)>(4);
    let parser = tokio::task::spawn_blocking(move || -> Result<(), FileError> {
        let mut records = import::open(format, reader, options)?;
        loop {
            let batch: Vec<_> = records.by_ref().take(BATCH).collect();
            if batch.is_empty() {
                break;
            }
            if tx.blocking_send((records.bytes_read(), batch)).is_err() {
                break;
            }
        }
        match records.take_io_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    });
    let mut summary = ImportSummary::default();
    let mut in_flight = FuturesOrdered::new();
    loop {
        let next = if in_flight.len() < IN_FLIGHT {
            rx.recv().await
        } else {
            None
        };
        let Some((bytes, batch)) = next else {
            // The queue of writes is full, or the file is read: settle the oldest write.
            let Some(written) = in_flight.next().await else {
                break;
            };
            let (bytes, outcomes): (u64, Vec<crate::Outcome>) = written?;
            for outcome in outcomes {
                match outcome.status {
                    OutcomeStatus::Created => summary.imported += 1,
                    OutcomeStatus::Updated => summary.updated += 1,
                    _ => summary.unchanged += 1,
                }
            }
            progress(bytes, &summary);
            continue;
        };
        let mut items = Vec::with_capacity(batch.len());
        for row in batch {
            summary.rows_read += 1;
            match row {
                Ok((_, ImportRecord::Order(order))) => items.push(WriteItem {
                    receipt: None,
                    ops: vec![WriteOp::Order(OrderChange::Upsert(order))],
                }),
                Ok((_, ImportRecord::Profile(profile))) => items.push(WriteItem {
                    receipt: None,
                    ops: vec![WriteOp::Profile(profile)],
                }),
                Err(e) => summary.rejected.push(e),
            }
        }
        let ingestor = ingestor.clone();
        in_flight.push_back(async move {
            ingestor
                .write(items)
                .await
                .map(|outcomes| (bytes, outcomes))
        });
    }
    match parser.await {
        Ok(result) => result?,
        Err(e) => {
            return Err(ImportError::File(FileError::Unreadable(format!(
                "the parser stopped: {e}"
            ))));
        }
    }
    Ok(summary)
}
