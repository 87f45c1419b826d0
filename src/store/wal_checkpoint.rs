//! SQLite WAL checkpoints off the commit path. SQLite's automatic
//! checkpoint runs inside the COMMIT that pushes the WAL past 1,000 pages:
//! the writer connection copies 4 MiB into the database file and syncs
//! both files while every other write waits for it (a fifth of the writer's
//! time under the load command). The connections are opened with
//! `wal_autocheckpoint = 0` instead, and [`Checkpointer`] runs passive
//! checkpoints on a reader connection, on its own thread beside the
//! writer: at most one per [`INTERVAL`], and only after something was
//! written, so an idle daemon runs none. A passive checkpoint never waits
//! for readers or the writer; what it cannot copy yet (frames a reader
//! still needs) the next one copies. Closing the last connection still
//! checkpoints the whole WAL, as before.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::mpsc;

/// The longest a written page waits for a checkpoint to start; at the
/// load command's rate the WAL grows by about 1,000 pages in that time,
/// as much as SQLite's automatic checkpoint let it.
pub(crate) const INTERVAL: Duration = Duration::from_millis(200);

/// The connection option that turns SQLite's automatic checkpoint off.
pub(crate) const AUTOCHECKPOINT: (&str, &str) = ("wal_autocheckpoint", "0");

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
