//! SQLite's half of a poll's commit: new mentions in multi-row INSERTs
//! whose ids come from the last rowid, and their queue items copied from
//! the new rows. No row streams back from the connection's thread under
//! the write lock.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::mention_rows::{
    check_opened, first_mentions, MentionValues, NewRows, OpenedItems, MENTION_COLUMNS, MENTION_KEY, OUTBOX_COLUMNS,
};
use super::repo::{chunks, clamp_i64, json, values_sql};
use super::{to_ms, NewMention, OutboxState, OutboxWrite, SqliteStore, StoreError};
use crate::domain::{MentionId, QueueItemId};

type Tx<'t> = sqlx::Transaction<'t, sqlx::Sqlite>;

/// The multi-row INSERTs' heads and the mentions' conflict clause, put
/// together once.
static MENTION_INSERT: LazyLock<String> = LazyLock::new(|| format!("INSERT INTO mentions ({MENTION_COLUMNS})"));
static MENTION_CONFLICT: LazyLock<String> = LazyLock::new(|| format!("ON CONFLICT {MENTION_KEY} DO NOTHING"));
static OUTBOX_INSERT: LazyLock<String> = LazyLock::new(|| format!("INSERT INTO outbox ({OUTBOX_COLUMNS})"));

impl SqliteStore {
    /// Inserts `mentions` (duplicates of stored ones are skipped) and says
    /// which were new, each with its id. In a table with AUTOINCREMENT the
    /// rows one statement adds get ids in VALUES order, each above every
    /// id the table ever had, the last one the connection's last inserted
    /// rowid; with the write lock held no other insert comes between.
    pub(super) async fn insert_mentions<'c, 'a>(
        &self,
        tx: &mut Tx<'_>,
        mentions: &'c [NewMention<'a>],
        source: &'a str,
        now: i64,
    ) -> Result<NewRows<'c, 'a>, StoreError> {
        let mut ids: Vec<Option<MentionId>> = vec![None; mentions.len()];
        // Each key's first mention in commit order (the one a new row is),
        // built when a chunk had duplicates.
        let mut first_of: Option<HashMap<(&str, &str, &str), usize>> = None;
        let mut at = 0;
        for chunk in chunks(mentions) {
            let sql = values_sql(&MENTION_INSERT, 22, chunk.len(), &MENTION_CONFLICT);
            let mut query = sqlx::query(&sql);
            for m in chunk {
                let v = MentionValues::of(m, source, now);
                query = query
                    .bind(v.platform)
                    .bind(v.external_id)
                    .bind(v.brand)
                    .bind(v.source)
                    .bind(v.url)
                    .bind(v.author_handle)
                    .bind(v.author_name)
                    .bind(v.author_followers)
                    .bind(v.body)
                    .bind(v.lang)
                    .bind(v.likes)
                    .bind(v.reposts)
                    .bind(v.replies)
                    .bind(v.posted_at)
                    .bind(v.stored_at)
                    .bind(v.terms)
                    .bind(v.compound)
                    .bind(v.label)
                    .bind(v.urgency)
                    .bind(v.level)
                    .bind(v.topics)
                    .bind(v.reasons);
            }
            let done = query.execute(&mut **tx).await?;
            let (added, last) = (done.rows_affected(), done.last_insert_rowid());
            if added == chunk.len() as u64 {
                // No duplicate: one new row each, ids in order.
                for (k, id) in ids[at..at + chunk.len()].iter_mut().enumerate() {
                    *id = Some(MentionId(last - (chunk.len() - 1 - k) as i64));
                }
            } else if added > 0 {
                // Some were duplicates: the new rows are the `added`
                // highest ids up to `last`, read back in one query.
                let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                    "SELECT id, platform, external_id, brand FROM mentions WHERE id <= ? ORDER BY id DESC LIMIT ?",
                )
                .bind(last)
                .bind(clamp_i64(added))
                .fetch_all(&mut **tx)
                .await?;
                let first_of = first_of.get_or_insert_with(|| first_mentions(mentions.iter()));
                for (id, platform, external_id, brand) in &rows {
                    if let Some(&i) = first_of.get(&(platform.as_str(), external_id.as_str(), brand.as_str())) {
                        ids[i] = Some(MentionId(*id));
                    }
                }
            }
            at += chunk.len();
        }
        let named: Vec<_> = mentions.iter().zip(&ids).filter_map(|(m, id)| id.map(|id| (m, id))).collect();
        let inserted = named.len() as u64;
        Ok(NewRows { named, inserted, duplicates: mentions.len() as u64 - inserted })
    }
}

impl SqliteStore {
    /// Opens a queue item for each of `opening` (new mentions, with their
    /// ids), each with its opening event: two statements however many.
    /// Each item is copied from its mention's row, in mention id order, so
    /// the k-th item has the k-th id of the range the INSERT added, and the
    /// events come from that range.
    pub(super) async fn open_queue_items(
        &self,
        tx: &mut Tx<'_>,
        opening: &[MentionId],
        now: i64,
    ) -> Result<OpenedItems, StoreError> {
        let mut items = OpenedItems::with_capacity(opening.len());
        if opening.is_empty() {
            return Ok(items);
        }
        let mut mentions: Vec<i64> = opening.iter().map(|id| id.0).collect();
        mentions.sort_unstable();
        let done = sqlx::query(
            "INSERT INTO queue_items (mention_id, brand, level, state, opened_at, updated_at, platform, author_handle)
             SELECT id, brand, level, 'open', ?, ?, platform, author_handle FROM mentions
             WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        )
        .bind(now)
        .bind(now)
        .bind(json(&mentions))
        .execute(&mut **tx)
        .await?;
        check_opened(done.rows_affected() as usize, mentions.len())?;
        let last = done.last_insert_rowid();
        let first = last + 1 - mentions.len() as i64;
        sqlx::query(
            "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
             SELECT id, NULL, 'open', 'earshot', 'pipeline', NULL, ? FROM queue_items
             WHERE id BETWEEN ? AND ? ORDER BY id",
        )
        .bind(now)
        .bind(first)
        .bind(last)
        .execute(&mut **tx)
        .await?;
        items.extend(mentions.iter().enumerate().map(|(k, &mention)| (mention, QueueItemId(first + k as i64))));
        Ok(items)
    }
}

impl SqliteStore {
    /// Inserts outbox `rows`, each in the state, due time and silence of
    /// its `placed` entry, created `now`. A few multi-row INSERTs.
    pub(super) async fn insert_outbox(
        &self,
        tx: &mut Tx<'_>,
        rows: &[OutboxWrite<'_>],
        placed: &[(OutboxState, DateTime<Utc>, Option<i64>)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut at = 0;
        for chunk in chunks(rows) {
            let sql = values_sql(&OUTBOX_INSERT, 10, chunk.len(), "");
            let mut query = sqlx::query(&sql);
            for (r, (state, ready, silence)) in chunk.iter().zip(&placed[at..]) {
                let d = r.delivery;
                query = query
                    .bind(r.mention_id)
                    .bind(d.receiver.as_str())
                    .bind(r.payload)
                    .bind(state.column())
                    .bind(0_i64)
                    .bind(to_ms(*ready))
                    .bind(to_ms(now))
                    .bind(&d.route)
                    .bind(d.group.as_ref().map(|g| g.key.as_str()))
                    .bind(*silence);
            }
            query.execute(&mut **tx).await?;
            at += chunk.len();
        }
        Ok(())
    }
}
