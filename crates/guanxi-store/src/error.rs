use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The thing asked for does not exist: a 404, not an outage.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken (a source name, an API key).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database is locked, busy beyond its timeout, or unreachable: worth retrying later
    /// (HTTP 503 with Retry-After).
    #[error("the database is busy or unreachable")]
    Busy(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else: the database is down, a query failed, stored data is corrupt.
    /// The cause is shown in the message, not also as `source()`, so that error chains
    /// (`{:#}`) do not print it twice.
    #[error("storage failed: {0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn other(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Other(e.into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
