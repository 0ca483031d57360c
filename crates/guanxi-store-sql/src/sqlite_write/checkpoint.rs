//! Checkpoints on a thread of their own.
//!
//! With WAL, a commit appends pages to the log; a checkpoint copies them back into the
//! database file and syncs it. Left to the committing connection (SQLite's default), every
//! few batches the writer would stop to copy and fsync. Here a second connection checkpoints
//! after each commit, PASSIVE (it never waits for, or blocks, the writer or readers), so the
//! copy runs on the other core while the writer goes on. The writer keeps a far higher
//! automatic threshold as a backstop, should this thread fall behind.

use super::map_err;
use guanxi_store::StoreResult;
use rusqlite::Connection;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

/// Automatic checkpoint threshold of the writer's own connection, in pages (4 KiB): reached
/// only if the checkpoint thread cannot keep up.
pub(super) const WRITER_BACKSTOP_PAGES: u32 = 65_536;

pub(crate) struct Checkpointer {
    /// One pending wake-up at most: commits arriving during a checkpoint coalesce.
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread; it ends when the `Checkpointer` is dropped.
    pub(super) fn start(path: &str) -> StoreResult<Self> {
        let conn = Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(std::time::Duration::from_millis(100))
            .map_err(map_err)?;
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &woken))
            .map_err(guanxi_store::StoreError::other)?;
        Ok(Self { wake })
    }

    /// Something was committed.
    pub(super) fn nudge(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; the next commit retries it");
        }
    }
}
