//! PostgreSQL backend: a connection pool, the same repository queries as
//! SQLite (`repo.rs`) with `$n` placeholders, and `FOR UPDATE SKIP LOCKED`
//! where outbox rows are claimed, so several replicas can share the work.
//! Migrations live in `migrations/postgres/`.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};

use super::alert_drafts::AlertDrafts;
use super::board_repo::board_repository;
use super::history_repo::history_repository;
use super::leases::{lease_repository, LeaseRow};
use super::queue::{QueueError, QueueEvent, QueueFilter, QueueItemRow};
use super::queue_repo::{queue_repository, queue_row};
use super::repo::{clamp_i64, encode, json, repository};
use super::routing_repo::routing_repository;
use super::sla::{Breach, DueItem, Escalation, QueueDepth, SlaFigure};
use super::sla_repo::{due_item, sla_repository};
use super::spike_repo::spike_repository;
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

/// A write transaction, as `begin_write` gives it.
type WriteTx<'t> = sqlx::Transaction<'t, sqlx::Postgres>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let pool =
            PgPoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(10)).connect(url).await?;
        Ok(PgStore { pool })
    }

    /// One direct connection, opened and closed: an unreachable server is
    /// reported with its own error at once, where the pool would retry
    /// until its acquire timeout and report only that.
    pub async fn probe(url: &str) -> Result<(), StoreError> {
        use sqlx::Connection;
        sqlx::PgConnection::connect(url).await?.close().await?;
        Ok(())
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn begin_write(&self) -> Result<WriteTx<'_>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Stores a poll in a transaction of its own.
    pub async fn commit_poll(&self, commit: PollCommit<'_>) -> Result<CommitReport, StoreError> {
        // Encoded before the transaction begins: it holds row locks.
        self.commit_alone(&commit, &AlertDrafts::of(&commit)?).await
    }

    /// Where a write outside a transaction (one statement) runs: the pool.
    fn writes(&self) -> &PgPool {
        &self.pool
    }

    /// The shared SQL in PostgreSQL's placeholders (`?` -> `$n`).
    pub(super) fn sql(&self, q: &'static str) -> Cow<'static, str> {
        Cow::Owned(to_postgres(q))
    }

    /// The per-batch lookups by a list of posts or authors (`history_repo.rs`)
    /// are planned anew on every call instead of kept prepared. After five
    /// runs a prepared statement keeps one generic plan for good, planned on
    /// what the tables held then; with no statistics yet (autovacuum has not
    /// run, or is off) a plan made on a small table reads every row of the
    /// platform, so the same lookup took 181 ms at 300k mentions instead of
    /// 0.4 ms. Planning costs about 0.3 ms a call.
    const KEEP_LOOKUP_PLANS: bool = false;

    /// The customer records' reads: a lateral lookup per author (see
    /// [`super::history_repo::PG_TALLY_SQL`]).
    const TALLY_SQL: &'static str = super::history_repo::PG_TALLY_SQL;
    const ITEMS_SQL: &'static str = super::history_repo::PG_ITEMS_SQL;

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

repository!(PgStore);
queue_repository!(PgStore);
history_repository!(PgStore);
board_repository!(PgStore);
lease_repository!(PgStore);
routing_repository!(PgStore, sqlx::Postgres);
spike_repository!(PgStore);
sla_repository!(PgStore);

/// Rewrites the shared SQLite-style SQL for PostgreSQL: `?N` → `$N`, each
/// bare `?` → the next `$n`, `/*LOCK*/` → `FOR UPDATE SKIP LOCKED`, and
/// `json_each(?)` (a JSON array bound as text) and `json_each(m.topics)` (a
/// stored one) → their PostgreSQL twins.
///
/// `col IN (SELECT value FROM json_each(?))` becomes `col = ANY(ARRAY(...))`
/// (and `NOT IN` `<> ALL`): an array is an index condition on `col`, where
/// a semi-join with a set-returning function (guessed at 100 rows) let the
/// planner read every row of the platform and hash them against the list.
fn to_postgres(q: &str) -> String {
    let q = q
        .replace("/*LOCK*/", "FOR UPDATE SKIP LOCKED")
        .replace("/*ROWLOCK*/", "FOR UPDATE")
        .replace("NOT IN (SELECT value FROM json_each(?))", "<> ALL(ARRAY(SELECT json_array_elements_text(?::json)))")
        .replace("IN (SELECT value FROM json_each(?))", "= ANY(ARRAY(SELECT json_array_elements_text(?::json)))")
        .replace("json_each(?)", "json_array_elements_text(?::json)")
        .replace("json_each(m.topics)", "json_array_elements_text(m.topics::json)");
    let mut out = String::with_capacity(q.len() + 16);
    let mut next = 1;
    let mut chars = q.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        out.push('$');
        if chars.peek().is_some_and(char::is_ascii_digit) {
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
        } else {
            out.push_str(&next.to_string());
            next += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn placeholders_and_locks_are_rewritten() {
        assert_eq!(
            to_postgres("a = ? AND b = ? LIMIT ? /*LOCK*/"),
            "a = $1 AND b = $2 LIMIT $3 FOR UPDATE SKIP LOCKED"
        );
        assert_eq!(
            to_postgres("x = ? AND id IN (SELECT value FROM json_each(?))"),
            "x = $1 AND id = ANY(ARRAY(SELECT json_array_elements_text($2::json)))"
        );
        assert_eq!(
            to_postgres("x NOT IN (SELECT value FROM json_each(?)) AND y IN (SELECT value FROM json_each(?))"),
            "x <> ALL(ARRAY(SELECT json_array_elements_text($1::json))) \
             AND y = ANY(ARRAY(SELECT json_array_elements_text($2::json)))"
        );
        assert_eq!(
            to_postgres("SELECT t.value FROM json_each(?) t"),
            "SELECT t.value FROM json_array_elements_text($1::json) t"
        );
        assert_eq!(to_postgres("(?1 IS NULL OR state = ?1) LIMIT ?2"), "($1 IS NULL OR state = $1) LIMIT $2");
    }
}
