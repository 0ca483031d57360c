//! Ingestion: every write (events, orders, profiles, profile edits) goes through a bounded
//! channel to one writer task that commits many requests in one transaction (group commit).
//! A request is answered only after its transaction commits, so an acknowledged write is
//! durable; a receipt key (Segment messageId, Shopify webhook id) makes a retry a no-op.

mod batch;
mod orders;
mod traits;
mod writer;

use guanxi_domain::{CustomerId, EventInput, FieldError, OrderChange, ProfileInput, SourceId};
use guanxi_store::{Store, StoreError, Traits};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub use writer::WriterConfig;

/// One thing to write, with the idempotency key that makes its retry a no-op.
#[derive(Debug, Clone)]
pub struct WriteItem {
    pub receipt: Option<(SourceId, String)>,
    pub ops: Vec<WriteOp>,
}

#[derive(Debug, Clone)]
pub enum WriteOp {
    Event(EventInput),
    Order(OrderChange),
    Profile(ProfileInput),
    /// An operator or integrator edits a known customer: traits (null removes) and tags.
    EditCustomer {
        customer: CustomerId,
        traits: Traits,
        add_tags: Vec<String>,
        remove_tags: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    Created,
    Updated,
    /// Already stored exactly so (re-imported order, same traits).
    Unchanged,
    /// The receipt key was seen before: nothing was written.
    Duplicate,
    /// The target (an order to refund, a customer to edit) does not exist.
    NotFound,
    /// Refused on what is stored: a refund in another currency than its order, or one that
    /// would refund more than what is left of the order's total.
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: OutcomeStatus,
    pub customer: Option<CustomerId>,
    pub order_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The writer's queue is full: answer 429 with Retry-After.
    #[error("ingestion is overloaded; retry shortly")]
    Overloaded,
    #[error("the writer has stopped")]
    Closed,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

pub(crate) struct Request {
    items: Vec<WriteItem>,
    reply: oneshot::Sender<Result<Vec<Outcome>, Arc<StoreError>>>,
}

/// Handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Request>,
    overload_wait: Duration,
}

impl Ingestor {
    /// Starts the writer task. It stops when every `Ingestor` clone is dropped, after
    /// answering what it already accepted; await the returned handle to wait for that. It runs
    /// on a blocking thread: a runtime dropped while an `Ingestor` clone is still alive waits
    /// for it, so drop every clone (or shut the app down) first.
    pub fn start(
        store: Arc<dyn Store>,
        config: WriterConfig,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue_requests);
        // A thread of its own: SQLite's write transactions run synchronously in-process, and
        // must not hold up the runtime's workers that serve requests meanwhile.
        let runtime = tokio::runtime::Handle::current();
        let writer = writer::run(store, config.clone(), rx);
        let handle = tokio::task::spawn_blocking(move || runtime.block_on(writer));
        (
            Self {
                tx,
                overload_wait: config.overload_wait,
            },
            handle,
        )
    }

    /// Whether the writer still takes requests (it stops only if it crashed or shut down).
    pub fn is_running(&self) -> bool {
        !self.tx.is_closed()
    }

    /// Writes the items in one of the writer's transactions and answers one outcome per item,
    /// after the commit.
    pub async fn write(&self, items: Vec<WriteItem>) -> Result<Vec<Outcome>, IngestError> {
        self.submit(items).await?.outcomes().await
    }

    /// Hands the items to the writer and returns without waiting for the commit. Writes are
    /// committed in the order they were submitted, so a caller can keep several in flight
    /// (an import does) and still have later records win.
    pub async fn submit(&self, items: Vec<WriteItem>) -> Result<PendingWrite, IngestError> {
        if items.is_empty() {
            return Ok(PendingWrite { answer: None });
        }
        let (reply, answer) = oneshot::channel();
        let request = Request { items, reply };
        // Wait briefly for room, then shed load rather than queue without bound.
        match tokio::time::timeout(self.overload_wait, self.tx.send(request)).await {
            Err(_) => Err(IngestError::Overloaded),
            Ok(Err(_)) => Err(IngestError::Closed),
            Ok(Ok(())) => Ok(PendingWrite {
                answer: Some(answer),
            }),
        }
    }
}

/// A write the writer has accepted; its outcomes come after the commit.
pub struct PendingWrite {
    /// `None` for an empty write.
    answer: Option<oneshot::Receiver<Result<Vec<Outcome>, Arc<StoreError>>>>,
}

impl PendingWrite {
    /// One outcome per item, once the write is committed (or failed).
    pub async fn outcomes(self) -> Result<Vec<Outcome>, IngestError> {
        let Some(answer) = self.answer else {
            return Ok(Vec::new());
        };
        match answer.await {
            Ok(Ok(outcomes)) => Ok(outcomes),
            Ok(Err(e)) => Err(IngestError::Store(clone_store_error(&e))),
            Err(_) => Err(IngestError::Closed),
        }
    }
}

/// Every waiter of a failed batch gets the error; only its kind matters to them.
fn clone_store_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::NotFound(what) => StoreError::NotFound(what),
        StoreError::Conflict(what) => StoreError::Conflict(what),
        StoreError::Busy(inner) => StoreError::Busy(inner.to_string().into()),
        StoreError::Other(inner) => StoreError::Other(inner.to_string().into()),
    }
}
