//! SQLite WAL checkpoints mostly off the commit path. SQLite's automatic
//! checkpoint runs on the connection that commits, after the COMMIT that
//! takes the WAL past its threshold (1,000 pages by default): the writer
//! connection copied 4 MiB into the database file and synced both files
//! while every other write waited for it (a fifth of the writer's time
//! under the load command). [`Checkpointer`] runs passive checkpoints on
//! a reader connection instead, on its own thread beside the writer, at
//! most one per [`INTERVAL`] and only after something was written (an idle
//! daemon runs none), so the writer's own checkpoint, now at
//! [`WRITER_THRESHOLD`] pages, finds most of the WAL copied already and
//! only copies the tail.
//!
//! The writer's checkpoint is still needed: a passive checkpoint beside a
//! busy writer never catches up with it, and SQLite starts the WAL file
//! over only once every frame in it was copied. With the background
//! checkpoints alone the WAL grew by 150 MB/s under the load command
//! (5.4 GB after 35 s). The writer's checkpoint runs between its own
//! transactions, so it does catch up, and the next write starts the WAL
//! over (unless a reader still reads an old snapshot from it).

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::mpsc;

/// The longest a written page waits for a background checkpoint to start
/// (the load command writes about 2,000 pages in that time).
pub(crate) const INTERVAL: Duration = Duration::from_millis(50);

/// WAL pages after which a commit checkpoints on the writer connection
/// (`PRAGMA wal_autocheckpoint`; 16 MiB): it copies what the background
/// checkpoints have not, so the WAL can start over.
pub(crate) const WRITER_THRESHOLD: &str = "4000";

/// Tells the checkpoint task that something was written. Cheap to clone;
/// the task ends when the last clone is dropped (the store with it).
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    wrote: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the checkpoint task on `pool` (the readers).
    pub(crate) fn start(pool: SqlitePool) -> Self {
        let (wrote, mut written) = mpsc::channel(1);
        tokio::spawn(async move {
            while written.recv().await.is_some() {
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    // A read-only file or a full disk: the writes fail
                    // and say so; the WAL keeps what it has meanwhile.
                    tracing::debug!(error = %e, "WAL checkpoint failed");
                }
                tokio::time::sleep(INTERVAL).await;
            }
        });
        Checkpointer { wrote }
    }

    /// A write is starting: a checkpoint is due within [`INTERVAL`] after
    /// the one running (a signal already waiting stands for this one).
    pub(crate) fn wrote(&self) {
        let _ = self.wrote.try_send(());
    }
}
