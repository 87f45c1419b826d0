//! SQLite's poll commit: a poll's new mentions, their queue items, their
//! alerts' outbox rows, follow-ups, group schedules and its cursor,
//! written in one go through SQLite's C API (`sqlite_raw.rs`) on the
//! handle of the poll writer (`sqlite_handles.rs`), inside the transaction
//! its group holds open (`sqlite_group.rs`). Rows go in through
//! single-row statements, stepped per row, so each mention says at once
//! whether it was new and which id it got; the poll writer keeps them
//! prepared from poll to poll (`Db::prepare_kept`).

use chrono::{DateTime, Utc};

use super::alert_drafts::AlertDrafts;
use super::history_repo::{follow_up_note, Columns, FOLLOW_UP_EVENT, FOLLOW_UP_UPDATE};
use super::mention_rows::{
    check_opened, opening, MentionValues, NewRows, OpenedItems, PollRows, AUTHOR_POST_COLUMNS, AUTHOR_POST_CONFLICT,
    CURSOR_UPSERT, MENTION_COLUMNS, MENTION_KEY, OUTBOX_COLUMNS,
};
use super::repo::json;
use super::routing_repo::{joined_groups, GROUP_SCHEDULE_SQL, GROUP_SCHEDULE_UPSERT};
use super::sqlite_raw::{with_handle, Db, Statement};
use super::{to_ms, CommitReport, NewMention, OutboxWrite, Placement, PollCommit, SqliteStore, StoreError};
use crate::domain::{MentionId, QueueItemId};

type Tx<'t> = sqlx::Transaction<'t, sqlx::Sqlite>;

/// `INSERT INTO {table} ({columns}) VALUES (?, ...) {tail}`, one row.
fn one_row_insert(table: &str, columns: &str, tail: &str) -> String {
    let places = vec!["?"; columns.split(',').count()].join(", ");
    format!("INSERT INTO {table} ({columns}) VALUES ({places}) {tail}")
}

static MENTION_INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    one_row_insert("mentions", MENTION_COLUMNS, &format!("ON CONFLICT {MENTION_KEY} DO NOTHING"))
});
static AUTHOR_POST_UPSERT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| one_row_insert("author_posts", AUTHOR_POST_COLUMNS, AUTHOR_POST_CONFLICT));
static OUTBOX_INSERT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| one_row_insert("outbox", OUTBOX_COLUMNS, ""));

impl SqliteStore {
    /// Inserts outbox `rows`, each in the state, due time and silence of
    /// its `placed` entry, created `now` (notifications other than a
    /// poll's alerts, through sqlx's writer).
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
        with_handle(tx, |db| insert_outbox(db, rows, placed, now)).await
    }
}

/// Writes a poll in the transaction open on `db` (the caller commits):
/// its mentions, the queue items they open, their alerts' outbox rows,
/// follow-ups on resolved items, the schedules of the groups its alerts
/// joined and its source's cursor. Idempotent: written again after a
/// commit whose outcome is unknown, it finds every mention stored and only
/// moves the cursor again.
pub(super) fn write_poll(
    db: &Db<'_>,
    commit: &PollCommit<'_>,
    drafts: &AlertDrafts<'_, '_>,
) -> Result<CommitReport, StoreError> {
    let now = to_ms(commit.now);
    let values: Vec<MentionValues<'_>> =
        commit.mentions.iter().map(|m| MentionValues::of(m, commit.source.as_str(), now)).collect();
    let rows = insert_mentions(db, &commit.mentions, &values)?;
    let items = open_queue_items(db, &opening(&rows.named), now)?;
    let written = PollRows::new(rows, items, drafts, commit.now)?;
    insert_outbox(db, &written.outbox_rows(), &written.placed, commit.now)?;
    for (mention, f) in written.follow_ups() {
        let outcome = f.outcome.as_str();
        let mut update = db.prepare_kept(FOLLOW_UP_UPDATE)?;
        update.bind(outcome)?.bind(mention.0)?.bind(now)?.bind(f.item.0)?.bind(outcome)?.execute()?;
        if db.changes() == 1 {
            let note = follow_up_note(mention, &f);
            db.prepare_kept(FOLLOW_UP_EVENT)?.bind(&note)?.bind(now)?.bind(f.item.0)?.execute()?;
        }
    }
    schedule_groups(db, &written, commit.now)?;
    if let Some(cursor) = commit.cursor {
        let mut upsert = db.prepare_kept(CURSOR_UPSERT)?;
        upsert.bind(commit.source.as_str())?.bind(cursor.0.as_str())?.bind(now)?.execute()?;
    }
    Ok(written.report())
}

/// Moves the schedule of each group the poll's alerts joined.
fn schedule_groups(db: &Db<'_>, written: &PollRows<'_, '_>, now: DateTime<Utc>) -> Result<(), StoreError> {
    for joined in joined_groups(written.deliveries(), &written.placed) {
        let mut read = db.prepare_kept(GROUP_SCHEDULE_SQL)?;
        read.bind(joined.receiver)?.bind(joined.group.key.as_str())?;
        let stored = if read.next_row()? { Some((read.opt_int(0), read.opt_int(1))) } else { None };
        drop(read);
        let flush_at = joined.flush_at(now, stored);
        let mut upsert = db.prepare_kept(GROUP_SCHEDULE_UPSERT)?;
        upsert.bind(joined.receiver)?.bind(joined.group.key.as_str())?.bind(flush_at)?.execute()?;
    }
    Ok(())
}

/// Inserts `mentions` (whose row `values` they are; duplicates of stored
/// ones, or of an earlier one in the commit, are skipped) and says which
/// were new, each with its id: a row the INSERT changed is new, and its id
/// is the connection's last rowid. Each new one also enters its post's
/// row in `author_posts` (its label, if lower than the row's).
fn insert_mentions<'c, 'a>(
    db: &Db<'_>,
    mentions: &'c [NewMention<'a>],
    values: &[MentionValues<'_>],
) -> Result<NewRows<'c, 'a>, StoreError> {
    if mentions.is_empty() {
        return Ok(NewRows::default());
    }
    let mut insert = db.prepare_kept(&MENTION_INSERT)?;
    let mut posts = AuthorPosts { upsert: db.prepare_kept(&AUTHOR_POST_UPSERT)?, pending: None };
    let mut named = Vec::with_capacity(mentions.len());
    for (m, v) in mentions.iter().zip(values) {
        insert.reset();
        insert
            .bind(v.platform)?
            .bind(v.external_id)?
            .bind(v.brand)?
            .bind(v.source)?
            .bind(v.url)?
            .bind(v.author_handle)?
            .bind(v.author_name)?
            .bind(v.author_followers)?
            .bind(v.body)?
            .bind(v.lang)?
            .bind(v.likes)?
            .bind(v.reposts)?
            .bind(v.replies)?
            .bind(v.posted_at)?
            .bind(v.stored_at)?
            .bind(&v.terms)?
            .bind(v.compound)?
            .bind(v.label)?
            .bind(v.urgency)?
            .bind(v.level)?
            .bind(&v.topics)?
            .bind(&v.reasons)?;
        insert.execute()?;
        if db.changes() == 1 {
            named.push((m, MentionId(db.last_insert_rowid())));
            posts.add(v)?;
        }
    }
    posts.flush()?;
    let inserted = named.len() as u64;
    Ok(NewRows { named, inserted, duplicates: mentions.len() as u64 - inserted })
}

/// The new mentions' posts entering `author_posts`: one upsert per post,
/// not per mention (a post's mentions, one per brand, come one after
/// another, and its lowest label is its first).
struct AuthorPosts<'d, 'v, 'r> {
    upsert: Statement<'d, 'v>,
    /// The post being gathered: its first mention's row and lowest label.
    pending: Option<(&'r MentionValues<'v>, &'static str)>,
}

impl<'v, 'r> AuthorPosts<'_, 'v, 'r> {
    /// Counts new mention `v` in its post.
    fn add(&mut self, v: &'r MentionValues<'v>) -> Result<(), StoreError> {
        if let Some((p, label)) = &mut self.pending {
            let same_post = p.external_id == v.external_id
                && p.posted_at == v.posted_at
                && p.author_handle == v.author_handle
                && p.platform == v.platform;
            if same_post {
                *label = (*label).min(v.label);
                return Ok(());
            }
        }
        self.flush()?;
        self.pending = Some((v, v.label));
        Ok(())
    }

    /// Writes the post being gathered.
    fn flush(&mut self) -> Result<(), StoreError> {
        let Some((v, label)) = self.pending.take() else { return Ok(()) };
        self.upsert.reset();
        self.upsert
            .bind(v.platform)?
            .bind(v.author_handle)?
            .bind(v.posted_at)?
            .bind(v.external_id)?
            .bind(label)?
            .execute()
    }
}

/// Opens a queue item for each of `opening` (new mentions, with their
/// ids), each with its opening event: two statements however many. Each
/// item is copied from its mention's row, in mention id order, so the k-th
/// item has the k-th id of the range the INSERT added, and the events come
/// from that range.
fn open_queue_items(db: &Db<'_>, opening: &[MentionId], now: i64) -> Result<OpenedItems, StoreError> {
    let mut items = OpenedItems::with_capacity(opening.len());
    if opening.is_empty() {
        return Ok(items);
    }
    let mut mentions: Vec<i64> = opening.iter().map(|id| id.0).collect();
    mentions.sort_unstable();
    let ids = json(&mentions);
    db.prepare_kept(
        "INSERT INTO queue_items (mention_id, brand, level, state, opened_at, updated_at, platform, author_handle)
         SELECT id, brand, level, 'open', ?, ?, platform, author_handle FROM mentions
         WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
    )?
    .bind(now)?
    .bind(now)?
    .bind(&ids)?
    .execute()?;
    check_opened(db.changes() as usize, mentions.len())?;
    let last = db.last_insert_rowid();
    let first = last + 1 - mentions.len() as i64;
    db.prepare_kept(
        "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
         SELECT id, NULL, 'open', 'earshot', 'pipeline', NULL, ? FROM queue_items
         WHERE id BETWEEN ? AND ? ORDER BY id",
    )?
    .bind(now)?
    .bind(first)?
    .bind(last)?
    .execute()?;
    items.extend(mentions.iter().enumerate().map(|(k, &mention)| (mention, QueueItemId(first + k as i64))));
    Ok(items)
}

/// Inserts outbox `rows` as `placed`, created `now`.
fn insert_outbox(
    db: &Db<'_>,
    rows: &[OutboxWrite<'_>],
    placed: &[Placement],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut insert = db.prepare_kept(&OUTBOX_INSERT)?;
    for (r, (state, ready, silence)) in rows.iter().zip(placed) {
        let d = r.delivery;
        insert.reset();
        insert
            .bind(r.mention_id)?
            .bind(d.receiver.as_str())?
            .bind(r.payload)?
            .bind(state.column())?
            .bind(0_i64)?
            .bind(to_ms(*ready))?
            .bind(to_ms(now))?
            .bind(d.route.as_str())?
            .bind(d.group.as_ref().map(|g| g.key.as_str()))?
            .bind(*silence)?
            .execute()?;
    }
    Ok(())
}
