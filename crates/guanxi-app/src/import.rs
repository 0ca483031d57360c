//! `guanxi import`: streams a channel's export through the writer in batches, reporting
//! progress, and sums up what happened. Re-importing a file changes nothing: orders upsert by
//! (source, external id) and compare fingerprints, refunds dedupe by their id.

use crate::ingest::PendingWrite;
use crate::{IngestError, Ingestor, OutcomeStatus, Settings, WriteItem, WriteOp};
use guanxi_channels::import::{
    self, FileError, ImportFormat, ImportOptions, ImportRecord, RowError,
};
use guanxi_domain::OrderChange;
use guanxi_store::Source;
use std::collections::VecDeque;

/// Records per write request.
const BATCH: usize = 1_000;
/// Write requests in flight: the writer commits what is queued together, so a few requests
/// waiting make transactions of several thousand records (fewer commits, each page written once
/// for many rows) and keep the writer busy while the next batch is built. Submitted writes
/// commit in order, so a later row of the file still wins.
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

/// Counts one committed write into the summary and reports progress.
async fn settle(
    pending: PendingWrite,
    bytes: u64,
    summary: &mut ImportSummary,
    progress: &mut impl FnMut(u64, &ImportSummary),
) -> Result<(), IngestError> {
    for outcome in pending.outcomes().await? {
        match outcome.status {
            OutcomeStatus::Created => summary.imported += 1,
            OutcomeStatus::Updated => summary.updated += 1,
            _ => summary.unchanged += 1,
        }
    }
    progress(bytes, summary);
    Ok(())
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
        time_zone: settings.time_zone,
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
    let mut in_flight: VecDeque<(u64, PendingWrite)> = VecDeque::new();
    let mut failure = None;
    while let Some((bytes, batch)) = rx.recv().await {
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
        match ingestor.submit(items).await {
            Ok(pending) => in_flight.push_back((bytes, pending)),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if in_flight.len() >= IN_FLIGHT
            && let Some((bytes, pending)) = in_flight.pop_front()
            && let Err(e) = settle(pending, bytes, &mut summary, &mut progress).await
        {
            failure = Some(e);
            break;
        }
    }
    // What was submitted commits (or fails) either way: wait for it, so the import ends with
    // nothing of it still in flight.
    while let Some((bytes, pending)) = in_flight.pop_front() {
        if let Err(e) = settle(pending, bytes, &mut summary, &mut progress).await {
            failure.get_or_insert(e);
        }
    }
    drop(rx);
    if let Some(e) = failure {
        return Err(e.into());
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
