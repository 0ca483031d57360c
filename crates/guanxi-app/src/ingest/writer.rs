//! The single writer: drains the queue into batches and commits each in one transaction.

use super::{Request, batch};
use guanxi_store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Requests waiting for the writer before new ones are refused (HTTP 429).
    pub queue_requests: usize,
    /// Items committed together at most.
    pub max_batch_items: usize,
    /// How long a request waits for room in a full queue before it is refused.
    pub overload_wait: Duration,
    /// Poked after every commit: the engine follows the change log at once instead of at its
    /// next poll.
    pub committed: Arc<Notify>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            queue_requests: 1024,
            max_batch_items: 5_000,
            overload_wait: Duration::from_millis(500),
            committed: Arc::new(Notify::new()),
        }
    }
}

/// A busy database (another process writing) is retried this often before the batch fails.
const BUSY_RETRIES: u32 = 5;

/// Items written between refreshes of the planner's statistics (see `Store::refresh_statistics`).
const STATISTICS_EVERY: usize = 50_000;

pub(crate) async fn run(
    store: Arc<dyn Store>,
    config: WriterConfig,
    mut rx: mpsc::Receiver<Request>,
) {
    let mut since_statistics = 0usize;
    while let Some(first) = rx.recv().await {
        let mut requests = vec![first];
        let mut items = requests[0].items.len();
        while items < config.max_batch_items {
            match rx.try_recv() {
                Ok(next) => {
                    items += next.items.len();
                    requests.push(next);
                }
                Err(_) => break,
            }
        }
        let sizes: Vec<usize> = requests.iter().map(|r| r.items.len()).collect();
        let all: Vec<_> = requests
            .iter_mut()
            .flat_map(|r| r.items.drain(..))
            .collect();
        let started = std::time::Instant::now();
        let result = commit_with_retry(store.as_ref(), &all).await;
        since_statistics += all.len();
        if since_statistics >= STATISTICS_EVERY {
            since_statistics = 0;
            // In the background: the planner's view catches up while the writer goes on.
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                if let Err(e) = store.refresh_statistics().await {
                    tracing::warn!(error = %e, "refreshing planner statistics failed");
                }
            });
        }
        match &result {
            Ok(_) => tracing::debug!(
                requests = requests.len(),
                items,
                duration_ms = started.elapsed().as_millis() as u64,
                "batch committed"
            ),
            Err(e) => {
                tracing::error!(requests = requests.len(), items, error = %e, "batch failed; nothing of it was stored")
            }
        }
        let answers: Vec<Answer> = match result {
            Ok(mut outcomes) => sizes
                .iter()
                .map(|n| Ok(outcomes.drain(..*n).collect()))
                .collect(),
            // One request's item broke the shared transaction (a value the database refuses):
            // commit each request alone, so only the offender fails.
            Err(e) if sizes.len() > 1 && !matches!(e, StoreError::Busy(_)) => {
                let mut answers = Vec::with_capacity(sizes.len());
                let mut offset = 0;
                for n in &sizes {
                    let alone = commit_with_retry(store.as_ref(), &all[offset..offset + n]).await;
                    answers.push(alone.map_err(Arc::new));
                    offset += n;
                }
                answers
            }
            Err(e) => {
                let e = Arc::new(e);
                sizes.iter().map(|_| Err(Arc::clone(&e))).collect()
            }
        };
        // A stored permit wakes the engine even if it is busy right now.
        config.committed.notify_one();
        for (request, answer) in requests.into_iter().zip(answers) {
            // A requester that gave up (client disconnected) no longer listens; its write stands.
            let _ = request.reply.send(answer);
        }
    }
}

type Answer = Result<Vec<super::Outcome>, Arc<StoreError>>;

async fn commit_with_retry(
    store: &dyn Store,
    items: &[super::WriteItem],
) -> Result<Vec<super::Outcome>, StoreError> {
    let mut attempt = 0;
    loop {
        match batch::commit(store, items).await {
            Err(StoreError::Busy(e)) if attempt < BUSY_RETRIES => {
                attempt += 1;
                tracing::warn!(attempt, error = %e, "database busy; retrying the batch");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}
