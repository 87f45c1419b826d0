//! SQLite backend: one file in WAL mode, a small pool, `BEGIN IMMEDIATE`
//! transactions so the single writer never deadlocks on lock upgrades, and
//! no pooled connection kept after a COMMIT failed (full disk, I/O error).

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    from_ms, to_ms, CommitReport, MentionAuthor, MentionRow, OutboxId, OutboxRow, PollCommit, PriorReads, Reread,
    StoreCounts, StoreError, StoredMention,
};
use crate::domain::{BrandName, Label, MentionId, Platform, Post, QueueItemId, ReceiverName, SourceName, Urgency};
use crate::queue::customer::{CustomerItem, CustomerRecord, PastPost};
use crate::queue::sla::{Cutoffs, SlaKind};
use crate::queue::{self as rules, QueueState};
use crate::sinks::{MentionAlert, Notification};
use crate::sources::Cursor;

use super::board_repo::board_repository;
use super::history_repo::history_repository;
use super::leases::{lease_repository, LeaseRow};
use super::queue::{QueueError, QueueEvent, QueueFilter, QueueItemRow};
use super::queue_repo::{queue_repository, queue_row};
use super::repo::{chunks, clamp_i64, create_dir, encode, json, repository, values_sql};
use super::routing_repo::routing_repository;
use super::sla::{Breach, DueItem, Escalation, QueueDepth, SlaFigure};
use super::sla_repo::{due_item, sla_repository};
use super::spike_repo::spike_repository;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let path = opts.get_filename().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dir(dir)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .after_release(|conn, _| Box::pin(async move { still_usable(conn).await }))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore { pool })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// A write transaction: `BEGIN IMMEDIATE` takes the write lock up
    /// front, so two writers never deadlock upgrading a read lock.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// SQLite reads the shared SQL as written.
    fn sql(&self, q: &'static str) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(q)
    }

    /// A query built at run time, in the shared dialect: as written.
    fn sql_owned(&self, q: String) -> String {
        q
    }

    /// The pool, for tests in this module that inspect rows directly.
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
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
