//! SQLite backend: one file in WAL mode, a small pool, `BEGIN IMMEDIATE`
//! transactions so the single writer never deadlocks on lock upgrades, and
//! no pooled connection kept after a COMMIT failed (full disk, I/O error).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    from_ms, parse_label, to_ms, CommitReport, HistoryWindow, MentionAuthor, MentionRow, OutboxId, OutboxRow,
    PollCommit, PriorReads, Reread, StoreCounts, StoreError, StoreGauges,
};
use crate::domain::{BrandName, MentionId, Platform, Post, QueueItemId, ReceiverName, SourceName, Urgency};
use crate::queue::customer::CustomerRecord;
use crate::queue::sla::{Cutoffs, SlaKind};
use crate::queue::{self as rules, QueueState};
use crate::sinks::{MentionAlert, Notification};
use crate::sources::Cursor;

use super::board_repo::board_repository;
use super::history_repo::history_repository;
use super::leases::{lease_repository, LeaseRow};
use super::queue::{QueueError, QueueEvent, QueueFilter, QueueItemRow};
use super::queue_repo::{queue_repository, queue_row};
use super::repo::{clamp_i64, create_dir, encode, json, repository};
use super::routing_repo::routing_repository;
use super::sla::{Breach, DueItem, Escalation, QueueDepth, SlaFigure};
use super::sla_repo::{due_item, sla_repository};
use super::spike_repo::spike_repository;
use super::sqlite_group::GroupCommit;
use super::sqlite_handles::{ReadHandles, StoreFile};
use super::sqlite_raw::with_connection;
use super::wal_checkpoint::{Checkpointer, BUSY_TIMEOUT};

/// A write transaction, as `begin_write` gives it.
type WriteTx<'t> = sqlx::Transaction<'t, sqlx::Sqlite>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Readers share a small pool, but a poll's reads run on the poll readers
/// and polls are written on the poll writer, handles of earshot's own
/// (`sqlite_handles.rs`), in groups (`sqlite_group.rs`); every other
/// write (a transaction from `begin_write`, or one statement through
/// `writes()`) goes through one sqlx writer connection. SQLite takes one
/// writer at a time anyway, and a connection throws its whole page cache
/// away when it sees that another one committed: with commits spread over
/// the pool, each write transaction started on a cold cache and read the
/// mention indexes' upper levels again. The poll writer's cache stays warm
/// across its own commits, and polls queue for it in the process instead
/// of on SQLite's busy handler; the other writes are few.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The readers of everything but a poll's reads.
    pub(super) pool: SqlitePool,
    /// The poll readers (`sqlite_reads.rs`).
    pub(super) readers: std::sync::Arc<ReadHandles>,
    writer: SqlitePool,
    checkpoints: Checkpointer,
    /// Polls share the writer's transactions (`sqlite_group.rs`).
    group: std::sync::Arc<GroupCommit>,
}

/// Reader connections (reads run beside the writer in WAL mode).
const READERS: u32 = 3;

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        no_memory_statistics();
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            // Statement journals (a statement that may fail half way,
            // such as an INSERT ... SELECT, keeps one) and sort spills in
            // memory, not temp files.
            .pragma("temp_store", "MEMORY")
            // 8 MiB of page cache per connection (SQLite's default is
            // 2 MiB): the mention indexes' upper levels stay cached as the
            // table grows. Pages are cached as they are read, so an idle
            // daemon does not pay for it.
            .pragma("cache_size", "-8192")
            // No checkpoint at COMMIT: they run beside the writer
            // (`wal_checkpoint.rs`).
            .pragma("wal_autocheckpoint", "0");
        let path = opts.get_filename().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir(dir)?;
        }
        let pool = pool_of(READERS).connect_with(opts.clone()).await?;
        wal_mode(&pool).await?;
        let writer = pool_of(1).connect_with(opts).await?;
        // Earshot's own handles open the file as sqlx did.
        let read_only = with_connection(&mut *pool.acquire().await?, |db| Ok(db.read_only())).await?;
        let file = StoreFile { path, read_only };
        let readers = std::sync::Arc::new(ReadHandles::new(file.clone()));
        let group = std::sync::Arc::new(GroupCommit::new(file));
        let checkpoints = Checkpointer::start(pool.clone(), group.clone());
        Ok(SqliteStore { pool, readers, writer, checkpoints, group })
    }

    /// Applies pending migrations. sqlx's SQLite migrator takes no lock and
    /// applies each migration in a deferred transaction, so two processes
    /// migrating one file at once (two replicas starting, the CLI next to
    /// the daemon after an upgrade) both apply the same migration ("table
    /// already exists") or fail to upgrade their read lock ("database is
    /// locked"). With migrations pending, the run holds the write lock
    /// (`BEGIN IMMEDIATE`, each migration a savepoint inside it), so the
    /// others wait their turn and then find nothing to do. With none
    /// pending it only reads, so a read-only file still opens.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default();
        if MIGRATOR.iter().all(|m| applied.contains(&m.version)) {
            MIGRATOR.run(&self.pool).await?;
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        MIGRATOR.run_direct(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A write transaction: `BEGIN IMMEDIATE` takes the write lock up
    /// front, so two writers never deadlock upgrading a read lock.
    pub(super) async fn begin_write(&self) -> Result<WriteTx<'static>, sqlx::Error> {
        self.checkpoints.wrote();
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }

    /// Stores a poll, in one transaction with the polls that reach the
    /// writer beside it (`sqlite_group.rs`), on the poll writer.
    pub async fn commit_poll(&self, commit: PollCommit<'_>) -> Result<CommitReport, StoreError> {
        if commit.mentions.is_empty() && commit.cursor.is_none() {
            // Pushed posts that matched nothing: nothing to write, so no
            // turn to take and no checkpoint to ask for.
            return Ok(CommitReport::default());
        }
        self.checkpoints.wrote();
        self.group.commit(&commit).await
    }

    /// The writer's group commits (tests).
    #[cfg(test)]
    pub(crate) fn group(&self) -> &GroupCommit {
        &self.group
    }

    /// Where a write outside a transaction (one statement) runs: on the
    /// writer too, so every write goes through it.
    fn writes(&self) -> &SqlitePool {
        self.checkpoints.wrote();
        &self.writer
    }

    /// SQLite reads the shared SQL as written.
    fn sql(&self, q: &'static str) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(q)
    }

    /// SQLite plans without table sizes (no `ANALYZE` is run), so a kept
    /// plan is the one a fresh one would be.
    const KEEP_LOOKUP_PLANS: bool = true;

    /// The customer records' reads, as the poll readers run them.
    pub(super) const TALLY_SQL: &'static str = super::history_repo::TALLY_SQL;
    pub(super) const ITEMS_SQL: &'static str = super::history_repo::ITEMS_SQL;

    /// The pool, for tests in this module that inspect rows directly.
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Turns SQLite's memory statistics off, once, before the process's first
/// connection initialises the library. With them on (the default), every
/// allocation SQLite makes takes one process-wide mutex to count itself,
/// and the writer's and the readers' threads queued on it (futex waits and
/// context switches inside `sqlite3_step`). Nothing reads the statistics.
/// When the library was initialised already (a connection opened some
/// other way first) SQLite refuses the setting and nothing changes.
fn no_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sets one flag of SQLite's global configuration; called
        // once, before this process opens a connection through the store.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::os::raw::c_int)
        };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "SQLite was initialised already; its memory statistics stay on");
        }
    });
}

/// A pool of at most `connections`, which closes a connection a failed
/// COMMIT left unusable.
fn pool_of(connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_release(|conn, _| Box::pin(async move { still_usable(conn).await }))
}

/// Puts the file in WAL mode, once: the mode is stored in the file, and
/// later connections find it there. Not a per-connection pragma: switching
/// a new file to WAL needs an exclusive lock that SQLite does not wait for
/// (no busy handler), so processes opening a fresh file at once got
/// "database is locked"; here a busy answer is retried, for as long as the
/// busy timeout.
async fn wal_mode(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut delay = Duration::from_millis(5);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match sqlx::query_scalar::<_, String>("PRAGMA journal_mode = WAL").fetch_one(pool).await {
            Ok(_) => return Ok(()),
            Err(sqlx::Error::Database(e))
                if e.code().is_some_and(|c| c == "5" || c.parse::<i32>().is_ok_and(|c| c & 0xff == 5))
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether a connection handed back to the pool may be reused. A COMMIT
/// that fails on a full disk or an I/O error can end the transaction
/// inside SQLite while sqlx still counts it open; the ROLLBACK queued when
/// the transaction is dropped then fails as well ("no transaction is
/// active"), and every later transaction on that connection would fail
/// (`BEGIN IMMEDIATE` inside a transaction) or nest as a savepoint. Such a
/// connection is closed instead, and the pool opens a fresh one.
async fn still_usable(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // No transaction open (a read, a single write, a transaction that
    // committed): nothing queued that could fail, and no round trip to the
    // connection's thread, which every read and commit used to wait for.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // Runs after the queued ROLLBACK (one worker, in order).
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("closing a database connection left in a failed transaction (full disk or I/O error?)");
        return Ok(false);
    }
    Ok(true)
}

repository!(SqliteStore);
queue_repository!(SqliteStore);
history_repository!(SqliteStore);
board_repository!(SqliteStore);
lease_repository!(SqliteStore);
routing_repository!(SqliteStore, sqlx::Sqlite);
spike_repository!(SqliteStore);
sla_repository!(SqliteStore);
