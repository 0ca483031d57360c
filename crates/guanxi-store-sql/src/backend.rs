use guanxi_store::StoreError;

/// A statement over the pool, its values bound.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Which database a URL names; decides the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite:…` or `postgres://…`/`postgresql://…`; anything else is a start-up error.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::other(format!(
                "unsupported database URL scheme in {:?}: use sqlite://PATH or postgres://…",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }

    /// What a claiming sub-select ends with so servers never claim the same rows (jobs,
    /// deliveries, journey runs): PostgreSQL skips rows another transaction locked; SQLite has
    /// one writer at a time and needs nothing.
    pub(crate) fn claim_lock(&self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => "FOR UPDATE SKIP LOCKED",
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Maps sqlx errors onto the store's: busy/locked databases are retryable, unique violations
/// are conflicts, everything else is an outage.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::RowNotFound => StoreError::NotFound("row"),
        // Unreachable or overloaded databases are worth retrying: the caller answers 503.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed => StoreError::Busy(Box::new(e)),
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite: 5 BUSY, 6 LOCKED (and their extended codes); PostgreSQL: 40001 serialization,
            // 40P01 deadlock, 55P03 lock not available, 57P03 cannot connect now.
            let busy = matches!(
                code.as_ref(),
                "5" | "6" | "261" | "517" | "262" | "40001" | "40P01" | "55P03" | "57P03"
            );
            if busy {
                StoreError::Busy(Box::new(e))
            } else if db.is_unique_violation() {
                StoreError::Conflict("value")
            } else {
                StoreError::Other(Box::new(e))
            }
        }
        _ => StoreError::Other(Box::new(e)),
    }
}
