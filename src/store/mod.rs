//! The repository API: every read and write earshot makes to its database,
//! and the transaction boundaries that carry its guarantees. The only
//! module with SQL.
//!
//! - [`Store::commit_poll`] stores a poll's mentions, advances the source's
//!   cursor, writes one outbox row per mention × receiver and opens queue
//!   items, all in ONE transaction: a crash anywhere re-reads, never skips.
//! - Mentions are unique on (platform, external id, brand); a duplicate is
//!   counted and produces no outbox row, so re-reads never re-alert.
//! - Outbox rows are claimed with a lease (`claimed_until`), so a worker
//!   that dies mid-send leaves a row that becomes claimable again.
//!
//! Backends: SQLite (`sqlite.rs`) and PostgreSQL (`postgres.rs`) share
//! one set of queries (`repo.rs`); callers only see [`Store`].
//! Tests: `store/tests.rs` (real SQLite files) and `tests/it/`.

mod postgres;
mod queue;
mod queue_repo;
mod repo;
pub mod scratch;
mod sqlite;

/// Runs the same call on whichever backend the store is.
macro_rules! dispatch {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::{Mention, MentionId, Post, QueueItemId, ReceiverName, SourceName};
use crate::sources::Cursor;

pub use self::postgres::PgStore;
pub use self::queue::{QueueError, QueueEvent, QueueFilter, QueueItemRow};
pub use self::queue_repo::Change;
pub use self::sqlite::SqliteStore;

/// Database id of an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(pub i64);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported storage url {0:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// One mention to store, with where its alerts go.
#[derive(Debug)]
pub struct NewMention<'a> {
    pub post: &'a Post,
    pub mention: &'a Mention,
    /// One outbox row per receiver, written only if the mention is new.
    pub receivers: Vec<ReceiverName>,
    /// Open a rapid-response queue item (only if the mention is new).
    pub open_queue_item: bool,
}

/// Everything one poll stores, committed together.
#[derive(Debug)]
pub struct PollCommit<'a> {
    pub source: &'a SourceName,
    /// `None` leaves the stored cursor as it is (pushed posts).
    pub cursor: Option<&'a Cursor>,
    pub mentions: Vec<NewMention<'a>>,
    pub now: DateTime<Utc>,
}

/// What a commit did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CommitReport {
    pub inserted: u64,
    pub duplicates: u64,
    pub outbox_rows: u64,
    pub queue_items: u64,
}

/// A claimed outbox row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: OutboxId,
    /// `None` for alerts about earshot itself (source health).
    pub mention_id: Option<MentionId>,
    pub receiver: ReceiverName,
    /// The JSON-encoded `sinks::Notification`.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// When the row was written (the mention stored), for latency.
    pub created_at: DateTime<Utc>,
}

/// Totals for the demo summary, readiness and metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreCounts {
    pub mentions: u64,
    pub urgent_mentions: u64,
    pub outbox_pending: u64,
    pub outbox_sent: u64,
    pub outbox_failed: u64,
    pub queue_open: u64,
    /// When the oldest still-open (unacknowledged) queue item was opened.
    pub queue_oldest_open: Option<DateTime<Utc>>,
}

/// A stored mention as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct MentionRow {
    pub id: MentionId,
    pub platform: String,
    pub external_id: String,
    pub brand: String,
    pub source: String,
    pub author: String,
    pub text: String,
    pub level: String,
    pub posted_at: DateTime<Utc>,
}

/// The repository. Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Store {
    /// Opens (creating if needed) the database named by `storage.url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            return Ok(Store::Sqlite(SqliteStore::open(url).await?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Store::Postgres(PgStore::open(url).await?));
        }
        Err(StoreError::UnsupportedUrl(crate::config::redact_url_password(url)))
    }

    /// Applies pending migrations; safe to run at every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.migrate().await)
    }

    /// Readiness probe: a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        dispatch!(self, s => s.ping().await)
    }

    pub async fn cursor(&self, source: &SourceName) -> Result<Option<Cursor>, StoreError> {
        dispatch!(self, s => s.cursor(source).await)
    }

    /// Stores a poll in one transaction (see the module doc).
    pub async fn commit_poll(&self, commit: PollCommit<'_>) -> Result<CommitReport, StoreError> {
        dispatch!(self, s => s.commit_poll(commit).await)
    }

    /// Writes one outbox row per receiver for an alert that is not about a
    /// mention (source health).
    pub async fn enqueue(
        &self,
        receivers: &[ReceiverName],
        n: &crate::sinks::Notification,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        dispatch!(self, s => s.enqueue(receivers, n, now).await)
    }

    /// Claims up to `limit` due rows for `receiver`, leasing them for `lease`.
    pub async fn claim_due(
        &self,
        receiver: &ReceiverName,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        dispatch!(self, s => s.claim_due(receiver, now, limit, lease).await)
    }

    pub async fn mark_sent(&self, id: OutboxId, now: DateTime<Utc>) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_sent(id, now).await)
    }

    /// Releases the lease and makes the row due again at `due`.
    pub async fn retry_later(&self, id: OutboxId, due: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.retry_later(id, due, error).await)
    }

    /// Gives a claimed row back untouched (shutdown before it was tried).
    pub async fn release(&self, id: OutboxId) -> Result<(), StoreError> {
        dispatch!(self, s => s.release(id).await)
    }

    /// Gives a row up for good.
    pub async fn mark_failed(&self, id: OutboxId, now: DateTime<Utc>, error: &str) -> Result<(), StoreError> {
        dispatch!(self, s => s.mark_failed(id, now, error).await)
    }

    /// Queue items matching `f`, newest first.
    pub async fn queue_list(&self, f: &QueueFilter) -> Result<Vec<QueueItemRow>, StoreError> {
        dispatch!(self, s => s.queue_list(f).await)
    }

    /// One queue item and its audit trail.
    pub async fn queue_item(&self, id: QueueItemId) -> Result<Option<(QueueItemRow, Vec<QueueEvent>)>, StoreError> {
        dispatch!(self, s => s.queue_item(id).await)
    }

    /// Moves, assigns or annotates a queue item in one transaction, with
    /// its audit event; an invalid move is refused and changes nothing.
    pub async fn queue_change(
        &self,
        id: QueueItemId,
        change: &Change<'_>,
        now: DateTime<Utc>,
    ) -> Result<QueueItemRow, QueueError> {
        dispatch!(self, s => s.queue_change(id, change, now).await)
    }

    pub async fn counts(&self) -> Result<StoreCounts, StoreError> {
        dispatch!(self, s => s.counts().await)
    }

    /// The most recently stored mentions, newest first.
    pub async fn recent_mentions(&self, limit: u32) -> Result<Vec<MentionRow>, StoreError> {
        dispatch!(self, s => s.recent_mentions(limit).await)
    }
}

#[cfg(test)]
impl Store {
    /// Runs raw SQL, for tests that break the schema on purpose.
    pub(crate) async fn exec_for_tests(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Store::Sqlite(s) => sqlx::query(sql).execute(s.pool()).await.map(|_| ()),
            Store::Postgres(s) => sqlx::query(sql).execute(s.pool()).await.map(|_| ()),
        }
    }
}

/// Epoch milliseconds, the storage form of every time.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests;
