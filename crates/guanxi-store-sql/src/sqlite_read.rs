//! Native SQLite reads for the hottest read paths (the customer 360).
//!
//! Through sqlx, every statement and every returned row is a hand-off between the async task
//! and the connection's thread; a profile read paid more for those than for SQL. Here a read
//! is one closure on a blocking thread with a connection of its own: one hop in, one out.

use crate::sqlite_native::map_err;
use guanxi_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Readers at once; like the pool's connections, each keeps its own page cache.
const READERS: usize = 8;

pub(crate) struct SqliteReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    closed: AtomicBool,
}

impl SqliteReaders {
    pub(crate) fn new(path: &Path) -> Arc<Self> {
        Arc::new(Self {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(READERS)),
            closed: AtomicBool::new(false),
        })
    }

    /// Runs `read` on a reader connection, on a thread that may block.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(StoreError::other)?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = readers.checkout()?;
            let answer = read(&conn).map_err(map_err);
            readers.checkin(conn);
            answer
        })
        .await
        .map_err(StoreError::other)?
    }

    /// Closes the idle connections; a read in flight closes its own when it ends.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }

    fn checkout(&self) -> StoreResult<Connection> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::other("the store is closed"));
        }
        if let Some(conn) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            return Ok(conn);
        }
        crate::sqlite_native::open(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            crate::connect::SQLITE_READER_PRAGMAS,
        )
    }

    fn checkin(&self, conn: Connection) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}
