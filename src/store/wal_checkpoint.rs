//! SQLite WAL checkpoints off the commit path. SQLite's automatic
//! checkpoint runs on the connection that commits, after every COMMIT that
//! leaves the WAL above its threshold, and the WAL only shrinks back when
//! a write starts with every frame copied and no reader in the WAL. Under
//! steady reads that is rare, so once past the threshold nearly every
//! commit copied the frames written since the last checkpoint and synced
//! both files while the other writes waited: a third of the writer's time
//! under the load command. The writer connection therefore runs no
//! automatic checkpoint (`PRAGMA wal_autocheckpoint = 0`), and
//! [`Checkpointer`] does the work beside it:
//!
//! - passive checkpoints on a reader connection, at most one per
//!   [`INTERVAL`] and only after something was written (an idle daemon runs
//!   none): they copy what readers allow while the writer goes on;
//! - once the WAL holds [`RESTART_AT`] pages, one `RESTART` checkpoint on
//!   the poll writer itself, between two groups of polls (it takes the
//!   writer's turn, `sqlite_group.rs`): it
//!   copies the tail the passive ones have not (no new frames can come
//!   while it holds the writer), waits briefly for readers of old
//!   snapshots ([`RESTART_WAIT`]) and makes the next write start the WAL
//!   file over. That bounds the WAL: with passive checkpoints alone, beside
//!   a busy writer, it never started over and grew by 150 MB/s under the
//!   load command (5.4 GB after 35 s).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use tokio::sync::mpsc;

use super::history_repo::Columns;
use super::sqlite_group::GroupCommit;
use super::sqlite_raw::Db;
use super::StoreError;

/// The longest a written page waits for a background checkpoint to start
/// (the load command writes about 2,000 pages in that time).
pub(crate) const INTERVAL: Duration = Duration::from_millis(50);

/// WAL pages (32 MiB) after which the WAL is started over.
pub(crate) const RESTART_AT: i64 = 8000;

/// How long a restart waits for readers still reading old frames before it
/// gives up until the next interval (the writer waits meanwhile). Reads
/// take milliseconds; a long one (an export) must not hold writes up.
pub(crate) const RESTART_WAIT: Duration = Duration::from_millis(100);

/// How long after a restart readers kept busy the next one is tried.
pub(crate) const RESTART_BACKOFF: Duration = Duration::from_secs(1);

/// What every connection's `busy_timeout` is set to (the store's default),
/// restored on the writer after a restart.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Tells the checkpoint task that something was written. Cheap to clone;
/// the task ends when the last clone is dropped (the store with it).
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    wrote: mpsc::Sender<()>,
}

impl Checkpointer {
    /// Starts the checkpoint task: passive checkpoints on `readers`,
    /// restarts on the poll writer of `group`.
    pub(crate) fn start(readers: SqlitePool, group: Arc<GroupCommit>) -> Self {
        let (wrote, mut written) = mpsc::channel(1);
        tokio::spawn(async move {
            // After a restart that readers kept busy, the writer is left
            // alone for a while (the WAL grows meanwhile).
            let mut calm_until = tokio::time::Instant::now();
            while written.recv().await.is_some() {
                let restart_at = if tokio::time::Instant::now() < calm_until { i64::MAX } else { RESTART_AT };
                // A read-only file or a full disk: the writes fail and say
                // so; the WAL keeps what it has meanwhile.
                match round(&readers, restart_at, || group.restart_wal()).await {
                    Ok(Round::Busy) => calm_until = tokio::time::Instant::now() + RESTART_BACKOFF,
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "WAL checkpoint failed"),
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

/// What a [`round`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Round {
    /// A passive checkpoint only (the WAL is below the threshold).
    Passive,
    /// The WAL starts over at the next write.
    Restarted,
    /// Readers of old snapshots outlasted [`RESTART_WAIT`].
    Busy,
}

/// One round: a passive checkpoint, then a `restart` when the WAL holds
/// `restart_at` pages or more.
async fn round<R>(readers: &SqlitePool, restart_at: i64, restart: impl FnOnce() -> R) -> Result<Round, StoreError>
where
    R: Future<Output = Result<bool, StoreError>>,
{
    if passive(readers).await? < restart_at {
        return Ok(Round::Passive);
    }
    Ok(if restart().await? { Round::Restarted } else { Round::Busy })
}

/// A passive checkpoint; the pages the WAL holds.
async fn passive(readers: &SqlitePool) -> Result<i64, sqlx::Error> {
    let (_busy, pages, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(readers).await?;
    Ok(pages)
}

/// A `RESTART` checkpoint on `writer` (between transactions), waiting at
/// most [`RESTART_WAIT`] for readers; whether it got through. When they do
/// not finish in time SQLite answers busy and the WAL stays as it is.
pub(super) fn restart_on(writer: &Db<'_>) -> Result<bool, StoreError> {
    let set_wait = |wait: Duration| format!("PRAGMA busy_timeout = {}", wait.as_millis());
    writer.exec(&set_wait(RESTART_WAIT))?;
    let done = writer.prepare("PRAGMA wal_checkpoint(RESTART)").and_then(|mut checkpoint| {
        let row = checkpoint.next_row()?;
        Ok(row && checkpoint.int(0) == 0)
    });
    writer.exec(&set_wait(BUSY_TIMEOUT))?;
    done
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use sqlx::{Sqlite, Transaction};

    use super::*;

    /// [`restart_on`] the writer pool's connection.
    async fn restart(writer: &SqlitePool) -> Result<bool, StoreError> {
        let mut conn = writer.acquire().await?;
        super::super::sqlite_raw::with_connection(&mut conn, restart_on).await
    }

    /// A WAL-mode file without automatic checkpoints (as the store's), a
    /// writer pool of one connection and two readers.
    struct Db {
        _dir: tempfile::TempDir,
        readers: SqlitePool,
        writer: SqlitePool,
    }

    async fn db() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}/wal.db", dir.path().display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", "0");
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(opts.clone()).await.unwrap();
        sqlx::query("CREATE TABLE pages (body BLOB NOT NULL)").execute(&writer).await.unwrap();
        let readers = SqlitePoolOptions::new().max_connections(2).connect_with(opts).await.unwrap();
        Db { _dir: dir, readers, writer }
    }

    /// Writes `rows` rows of most of a page each, in one transaction.
    async fn write(writer: &SqlitePool, rows: usize) {
        let mut tx = writer.begin().await.unwrap();
        for _ in 0..rows {
            sqlx::query("INSERT INTO pages (body) VALUES (zeroblob(3000))").execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// A read transaction that has read, so it holds its snapshot.
    async fn reading(readers: &SqlitePool) -> Transaction<'static, Sqlite> {
        let mut tx = readers.begin().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM pages").fetch_one(&mut *tx).await.unwrap();
        tx
    }

    /// Writes `rows` rows, opens a reader, writes `rows` more: the reader
    /// holds a snapshot older than the WAL's end.
    async fn behind_a_reader(db: &Db, rows: usize) -> Transaction<'static, Sqlite> {
        write(&db.writer, rows).await;
        let old_snapshot = reading(&db.readers).await;
        write(&db.writer, rows).await;
        old_snapshot
    }

    /// The WAL started over: one more row leaves it nearly empty.
    async fn assert_started_over(db: &Db) {
        write(&db.writer, 1).await;
        let pages = passive(&db.readers).await.unwrap();
        assert!(pages < 10, "the WAL holds {pages} pages after a restart and one row");
    }

    #[tokio::test]
    async fn a_restart_starts_the_wal_over_where_passive_checkpoints_could_not_catch_up() {
        let db = db().await;
        let old_snapshot = behind_a_reader(&db, 100).await;
        // The passive checkpoint stops at the old snapshot's end.
        let pages = passive(&db.readers).await.unwrap();
        assert!(pages >= 200, "{pages} WAL pages after 200 rows");
        old_snapshot.rollback().await.unwrap();

        assert!(restart(&db.writer).await.unwrap());
        // Without the restart the WAL would go on from page 200: the
        // passive checkpoint had not copied every page, so SQLite could
        // not start it over by itself.
        assert_started_over(&db).await;
    }

    #[tokio::test]
    async fn a_restart_gives_up_on_a_long_read_and_the_writer_waits_as_long_as_before() {
        let db = db().await;
        let long_read = behind_a_reader(&db, 20).await;

        let started = std::time::Instant::now();
        assert!(!restart(&db.writer).await.unwrap(), "restarted under a reader of an old snapshot");
        // It waited about RESTART_WAIT, not the 10 s busy timeout.
        assert!(started.elapsed() < RESTART_WAIT * 10, "restart took {:?}", started.elapsed());
        let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout").fetch_one(&db.writer).await.unwrap();
        assert_eq!(busy_timeout, BUSY_TIMEOUT.as_millis() as i64);
        // The long read still sees its snapshot.
        let mut long_read = long_read;
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM pages").fetch_one(&mut *long_read).await.unwrap();
        assert_eq!(rows, 20);
    }

    // Multi-threaded: the restart holds its thread while it waits for the
    // reader (as on the daemon's runtime), and the reader finishes on
    // another.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_round_restarts_the_wal_once_it_holds_the_threshold() {
        let db = db().await;
        let old_snapshot = behind_a_reader(&db, 100).await;
        // Below the threshold: a passive checkpoint only, stopped at the
        // old snapshot; nothing waits for the reader.
        assert_eq!(round(&db.readers, i64::MAX, || restart(&db.writer)).await.unwrap(), Round::Passive);
        assert_eq!(db.writer.num_idle(), 1);

        // Past it: the round takes the writer (after its passive
        // checkpoint) and waits for the reader, which then finishes.
        let restarting = tokio::spawn({
            let (readers, writer) = (db.readers.clone(), db.writer.clone());
            async move { round(&readers, 100, || restart(&writer)).await }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while db.writer.num_idle() == 1 {
            assert!(std::time::Instant::now() < deadline, "the round never took the writer");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        old_snapshot.rollback().await.unwrap();
        assert_eq!(restarting.await.unwrap().unwrap(), Round::Restarted);
        assert_started_over(&db).await;
    }
}
