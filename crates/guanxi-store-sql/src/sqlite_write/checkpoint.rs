//! Checkpoints on a thread of their own.
//!
//! With WAL, a commit appends pages to the log; a checkpoint copies them back into the
//! database file and syncs it. Left to the committing connection (SQLite's default), every
//! few batches the writer would stop to copy and fsync. Here a second connection checkpoints
//! every few commits, PASSIVE (it never waits for, or blocks, the writer or readers), so the
//! copy runs on the other core while the writer goes on. The writer keeps a far higher
//! automatic threshold as a backstop, should this thread fall behind.

use guanxi_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Automatic checkpoint threshold of the writer's own connection, in pages (4 KiB): reached
/// only if the checkpoint thread cannot keep up.
pub(super) const WRITER_BACKSTOP_PAGES: u32 = 65_536;

/// Commits between checkpoints, at most. Checkpointing after every commit cost the server a
/// third more CPU under sustained ingest (measured: 17 s against 12.5–13.5 s of CPU for the
/// same 300,000 events), for a WAL file that stays smaller.
const COMMITS_PER_CHECKPOINT: u32 = 16;
/// Time between checkpoints, at most, while anything is committed.
const MAX_DELAY: Duration = Duration::from_secs(1);

pub(crate) struct Checkpointer {
    /// One pending wake-up at most: commits arriving during a checkpoint coalesce. `None`
    /// once dropping, which ends the thread.
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Commits since the thread was last woken.
    commits: u32,
    /// When it was last woken.
    woken_at: Instant,
}

impl Checkpointer {
    /// Starts the thread; dropping the `Checkpointer` ends it and waits for it.
    pub(super) fn start(path: &Path) -> StoreResult<Self> {
        let conn = crate::sqlite_native::open(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            "PRAGMA busy_timeout = 100;",
        )?;
        let (wake, woken) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &woken))
            .map_err(StoreError::other)?;
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
            commits: 0,
            woken_at: Instant::now(),
        })
    }

    /// Something was committed. The thread is woken every few commits, or after a quiet
    /// second: pages that every batch changes (the tails of the event log and the change
    /// feed, the upper levels of each index) are then copied once for several commits.
    pub(super) fn nudge(&mut self) {
        self.commits += 1;
        if self.commits < COMMITS_PER_CHECKPOINT && self.woken_at.elapsed() < MAX_DELAY {
            return;
        }
        self.commits = 0;
        self.woken_at = Instant::now();
        if let Some(wake) = &self.wake {
            // Full: a wake-up is pending already, which is all this asks for.
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take() {
            // A checkpoint in progress finishes first: nothing of the file is left half-copied
            // when the store is closed.
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    // Logged once per failing spell, not once per commit.
    let mut failing = false;
    while woken.recv().is_ok() {
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("SQLite checkpoints succeed again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "SQLite checkpoint failed; retrying after each commit");
            }
            Err(_) => {}
        }
    }
}
