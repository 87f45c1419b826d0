//! PostgreSQL's half of a poll's commit: new mentions as one array per
//! column (`INSERT ... SELECT FROM UNNEST`, their posts' `author_posts`
//! rows entered by the same statement), one statement for the ones
//! later rows name (their ids come back by RETURNING) and one for the
//! rest, and their queue items with their opening events in one more.
//! With multi-row VALUES a batch took a statement per power-of-two chunk
//! and the server set up an expression per bound value (22 per mention)
//! on every execution.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::alert_drafts::AlertDrafts;
use super::history_repo::{follow_up_note, FOLLOW_UP_EVENT, FOLLOW_UP_UPDATE};
use super::mention_rows::{
    check_opened, first_mentions, opening, MentionValues, NewRows, OpenedItems, PollRows, AUTHOR_POST_COLUMNS,
    AUTHOR_POST_CONFLICT, CURSOR_UPSERT, MENTION_COLUMNS, MENTION_KEY, OUTBOX_COLUMNS,
};
use super::{to_ms, CommitReport, NewMention, OutboxWrite, PgStore, Placement, PollCommit, StoreError};
use crate::domain::{MentionId, QueueItemId};

type Tx<'t> = sqlx::Transaction<'t, sqlx::Postgres>;

/// The element type of each [`MENTION_COLUMNS`] array.
const MENTION_ARRAYS: [&str; 22] = [
    "text", "text", "text", "text", "text", "text", "text", "bigint", "text", "text", "bigint", "bigint", "bigint",
    "bigint", "bigint", "text", "float8", "text", "float8", "text", "text", "text",
];

/// The mentions INSERT, each new row entered in its post's `author_posts`
/// row in the same statement; then `select` over the new rows (`new`).
fn mention_insert(select: &str) -> String {
    let arrays: Vec<String> = MENTION_ARRAYS.iter().enumerate().map(|(i, t)| format!("${}::{t}[]", i + 1)).collect();
    format!(
        "WITH new AS (
             INSERT INTO mentions ({MENTION_COLUMNS}) SELECT * FROM UNNEST({}) ON CONFLICT {MENTION_KEY} DO NOTHING
             RETURNING id, platform, external_id, brand, author_handle, posted_at, label
         ), posts AS (
             INSERT INTO author_posts ({AUTHOR_POST_COLUMNS})
             SELECT platform, author_handle, posted_at, external_id, MIN(label) FROM new
             GROUP BY platform, author_handle, posted_at, external_id
             {AUTHOR_POST_CONFLICT}
         )
         {select}",
        arrays.join(", ")
    )
}

static NAMED_INSERT: LazyLock<String> =
    LazyLock::new(|| mention_insert("SELECT id, platform, external_id, brand FROM new"));
static QUIET_INSERT: LazyLock<String> = LazyLock::new(|| mention_insert("SELECT COUNT(*) FROM new"));

impl PgStore {
    /// Stores a poll in a transaction of its own: its rows, follow-ups on
    /// resolved items and the schedules of the groups its alerts joined.
    /// Idempotent: written again after a commit whose outcome is unknown,
    /// it finds every mention stored and only moves the cursor again.
    pub(super) async fn commit_alone(
        &self,
        commit: &PollCommit<'_>,
        drafts: &AlertDrafts<'_, '_>,
    ) -> Result<CommitReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let now = to_ms(commit.now);
        let written = self.write_poll_rows(&mut tx, commit, drafts, now).await?;
        for (mention, f) in written.follow_ups() {
            let outcome = f.outcome.as_str();
            let changed = sqlx::query(&self.sql(FOLLOW_UP_UPDATE))
                .bind(outcome)
                .bind(mention.0)
                .bind(now)
                .bind(f.item.0)
                .bind(outcome)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 1 {
                sqlx::query(&self.sql(FOLLOW_UP_EVENT))
                    .bind(follow_up_note(mention, &f))
                    .bind(now)
                    .bind(f.item.0)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        self.schedule_groups(&mut tx, written.deliveries(), &written.placed, commit.now).await?;
        tx.commit().await?;
        Ok(written.report())
    }

    /// Writes `commit`'s mentions, the queue items they open and their
    /// alerts' outbox rows: four statements however many.
    pub(super) async fn write_poll_rows<'c, 'a>(
        &self,
        tx: &mut Tx<'_>,
        commit: &'c PollCommit<'a>,
        drafts: &AlertDrafts<'_, '_>,
        now: i64,
    ) -> Result<PollRows<'c, 'a>, StoreError> {
        let rows = self.insert_mentions(tx, &commit.mentions, commit.source.as_str(), now).await?;
        let items = self.open_queue_items(tx, &opening(&rows.named), now).await?;
        let written = PollRows::new(rows, items, drafts, commit.now)?;
        self.insert_outbox(tx, &written.outbox_rows(), &written.placed, commit.now).await?;
        if let Some(cursor) = commit.cursor {
            sqlx::query(&self.sql(CURSOR_UPSERT))
                .bind(commit.source.as_str())
                .bind(&cursor.0)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(written)
    }

    /// Inserts `mentions` (duplicates of stored ones are skipped) and says
    /// which were new. Only those that later rows name (a queue item, an
    /// alert, a follow-up) come back with their ids; the others are
    /// counted, so quiet mentions cost no rows coming back.
    async fn insert_mentions<'c, 'a>(
        &self,
        tx: &mut Tx<'_>,
        mentions: &'c [NewMention<'a>],
        source: &'a str,
        now: i64,
    ) -> Result<NewRows<'c, 'a>, StoreError> {
        let (named, quiet): (Vec<&NewMention<'a>>, Vec<_>) = mentions.iter().partition(|m| m.is_named_later());
        let mut ids: Vec<Option<MentionId>> = vec![None; named.len()];
        let mut inserted = 0;
        if !named.is_empty() {
            let first_of = first_mentions(named.iter().copied());
            let values = rows_of(&named, source, now);
            let rows = bind_columns(sqlx::query(&NAMED_INSERT), &values).fetch_all(&mut **tx).await?;
            for row in rows {
                let key: (&str, &str, &str) = (row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                if let Some(&i) = first_of.get(&key) {
                    ids[i] = Some(MentionId(row.try_get(0)?));
                    inserted += 1;
                }
            }
        }
        if !quiet.is_empty() {
            let values = rows_of(&quiet, source, now);
            let new: i64 = bind_columns(sqlx::query(&QUIET_INSERT), &values).fetch_one(&mut **tx).await?.try_get(0)?;
            inserted += u64::try_from(new).unwrap_or(0);
        }
        let named: Vec<_> = named.into_iter().zip(ids).filter_map(|(m, id)| id.map(|id| (m, id))).collect();
        Ok(NewRows { named, inserted, duplicates: mentions.len() as u64 - inserted })
    }

    /// Opens a queue item for each of `opening` (new mentions, with their
    /// ids), copied from the mention's row, with its opening event: one
    /// statement however many.
    async fn open_queue_items(
        &self,
        tx: &mut Tx<'_>,
        opening: &[MentionId],
        now: i64,
    ) -> Result<OpenedItems, StoreError> {
        let mut items = OpenedItems::with_capacity(opening.len());
        if opening.is_empty() {
            return Ok(items);
        }
        let mentions: Vec<i64> = opening.iter().map(|id| id.0).collect();
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "WITH items AS (
                 INSERT INTO queue_items (mention_id, brand, level, state, opened_at, updated_at, platform, author_handle)
                 SELECT id, brand, level, 'open', $1, $1, platform, author_handle FROM mentions WHERE id = ANY($2::bigint[])
                 RETURNING id, mention_id
             ), events AS (
                 INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
                 SELECT id, NULL, 'open', 'earshot', 'pipeline', NULL, $1 FROM items
             )
             SELECT id, mention_id FROM items",
        )
        .bind(now)
        .bind(&mentions)
        .fetch_all(&mut **tx)
        .await?;
        check_opened(rows.len(), mentions.len())?;
        items.extend(rows.into_iter().map(|(item, mention)| (mention, QueueItemId(item))));
        Ok(items)
    }
}

impl PgStore {
    /// Inserts outbox `rows`, each in the state, due time and silence of
    /// its `placed` entry, created `now`. One statement, an array per column.
    pub(super) async fn insert_outbox(
        &self,
        tx: &mut Tx<'_>,
        rows: &[OutboxWrite<'_>],
        placed: &[Placement],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        static INSERT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO outbox ({OUTBOX_COLUMNS}) SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[],
                 $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::bigint[])"
            )
        });
        let now = to_ms(now);
        sqlx::query(&INSERT)
            .bind(rows.iter().map(|r| r.mention_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.delivery.receiver.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.payload).collect::<Vec<_>>())
            .bind(placed.iter().map(|(state, _, _)| state.column()).collect::<Vec<_>>())
            .bind(vec![0_i64; rows.len()])
            .bind(placed.iter().map(|(_, ready, _)| to_ms(*ready)).collect::<Vec<_>>())
            .bind(vec![now; rows.len()])
            .bind(rows.iter().map(|r| r.delivery.route.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.delivery.group.as_ref().map(|g| g.key.as_str())).collect::<Vec<_>>())
            .bind(placed.iter().map(|(_, _, silence)| *silence).collect::<Vec<_>>())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Binds `rows` to `query`, one array per column.
fn bind_columns<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    rows: &'q [MentionValues<'_>],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn column<'q, 'a: 'q, T>(rows: &'q [MentionValues<'a>], f: impl Fn(&'q MentionValues<'a>) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    query
        .bind(column(rows, |v| v.platform))
        .bind(column(rows, |v| v.external_id))
        .bind(column(rows, |v| v.brand))
        .bind(column(rows, |v| v.source))
        .bind(column(rows, |v| v.url))
        .bind(column(rows, |v| v.author_handle))
        .bind(column(rows, |v| v.author_name))
        .bind(column(rows, |v| v.author_followers))
        .bind(column(rows, |v| v.body))
        .bind(column(rows, |v| v.lang))
        .bind(column(rows, |v| v.likes))
        .bind(column(rows, |v| v.reposts))
        .bind(column(rows, |v| v.replies))
        .bind(column(rows, |v| v.posted_at))
        .bind(column(rows, |v| v.stored_at))
        .bind(column(rows, |v| v.terms.as_str()))
        .bind(column(rows, |v| v.compound))
        .bind(column(rows, |v| v.label))
        .bind(column(rows, |v| v.urgency))
        .bind(column(rows, |v| v.level))
        .bind(column(rows, |v| v.topics.as_str()))
        .bind(column(rows, |v| v.reasons.as_str()))
}

/// `mentions`' rows, read by `source`, stored at `now`.
fn rows_of<'a>(mentions: &[&NewMention<'a>], source: &'a str, now: i64) -> Vec<MentionValues<'a>> {
    mentions.iter().map(|m| MentionValues::of(m, source, now)).collect()
}
