//! What earlier polls stored about the posts of a new batch, for the
//! scorer's [`History`](crate::pipeline::History): each post's engagement
//! when last read (momentum) and its author's recent complaints (repeat
//! complaints); and the re-read write that refreshes a stored mention's
//! engagement and score, alerting the receivers a rising mention newly
//! reaches.
//!
//! Written once for both backends like `repo.rs`: the post and author
//! lists are bound as ONE JSON array each (`json_each(?)`, which the
//! PostgreSQL dialect turns into `json_array_elements_text`), so a batch
//! costs three queries, whatever its size. Their SQL and the reading of
//! their rows ([`Columns`], [`PriorBuilder`], [`tally_row`], [`item_row`])
//! live outside the macro, so SQLite's reads on a connection's own handle
//! (`sqlite_reads.rs`) share them with sqlx's (PostgreSQL's).
//!
//! The same author query gives each author's customer record (their
//! posts in the history window and their queue items), from which the
//! daemon sums up the history an alert shows and notices a post that
//! follows up on a resolved item (`queue::customer`).
//!
//! Tests: `store/tests.rs` (both backends) and `tests/it/flow.rs`.

macro_rules! history_repository {
    ($store:ident) => {
        impl $store {
            /// [`Store::prior_reads`](crate::store::Store::prior_reads)
            /// through sqlx: the stored mentions and the customer records
            /// read at once, on reader connections of their own.
            /// PostgreSQL's way; SQLite reads on a connection's own handle
            /// (`sqlite_reads.rs`), and its copy of this one is the oracle
            /// its tests compare that with.
            #[cfg_attr(not(test), allow(dead_code))]
            pub(super) async fn prior_reads_pooled(
                &self,
                platform: Platform,
                posts: &[&Post],
                complaints_since: DateTime<Utc>,
                history_since: DateTime<Utc>,
            ) -> Result<PriorReads, StoreError> {
                let batch = super::history_repo::Batch::of(posts);
                if batch.is_empty() {
                    return Ok(PriorReads { complaints_since, ..PriorReads::default() });
                }
                let window = batch.window(complaints_since, history_since);
                let posts_read = async {
                    sqlx::query(&self.sql(super::history_repo::STORED_SQL))
                        .bind(platform.as_str())
                        .bind(&batch.ids_json)
                        .persistent(Self::KEEP_LOOKUP_PLANS)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(StoreError::from)
                };
                let (rows, customers) = tokio::try_join!(posts_read, self.customer_records(platform, &batch.authors, window))?;
                let mut prior = super::history_repo::PriorBuilder::new(complaints_since, history_since);
                for r in &rows {
                    prior.stored_row(r)?;
                }
                Ok(prior.finish(customers))
            }

            /// Per author: their posts in `window` summed up (one per
            /// post, its first label and time over its brands), their open
            /// and acknowledged queue items counted, and their resolved
            /// ones (what a new post may follow up on). Two queries, each
            /// returning a few rows per author however much they posted or
            /// how many items they have open; each reads one covering
            /// index (`author_posts`' key, `queue_items_author_state`).
            pub async fn customer_records(
                &self,
                platform: Platform,
                authors: &[&str],
                window: HistoryWindow<'_>,
            ) -> Result<std::collections::HashMap<String, CustomerRecord>, StoreError> {
                let mut out: std::collections::HashMap<String, CustomerRecord> = std::collections::HashMap::new();
                if authors.is_empty() {
                    return Ok(out);
                }
                let authors = json(authors);
                let leaving_out = json(window.leaving_out);
                // The two reads run at once, on reader connections of their own.
                let tally_sql = self.sql(Self::TALLY_SQL);
                let tally = sqlx::query(&tally_sql)
                    .bind(to_ms(window.complaints_since))
                    .bind(platform.as_str())
                    .bind(&authors)
                    .bind(to_ms(window.since))
                    .bind(&leaving_out)
                    .persistent(Self::KEEP_LOOKUP_PLANS)
                    .fetch_all(&self.pool);
                let items_sql = self.sql(Self::ITEMS_SQL);
                let items = sqlx::query(&items_sql)
                    .bind(platform.as_str())
                    .bind(&authors)
                    .bind(window.leaving_out_item.map_or(0, |i| i.0))
                    .persistent(Self::KEEP_LOOKUP_PLANS)
                    .fetch_all(&self.pool);
                let (rows, items) = tokio::try_join!(tally, items)?;
                for r in &rows {
                    super::history_repo::tally_row(&mut out, r);
                }
                for r in &items {
                    super::history_repo::item_row(&mut out, r)?;
                }
                Ok(out)
            }

            /// Who wrote a stored mention, where, and what it said.
            pub async fn mention_author(&self, id: MentionId) -> Result<Option<MentionAuthor>, StoreError> {
                let Some(r) = sqlx::query(&self.sql(
                    "SELECT platform, author_handle, external_id, label, posted_at, brand FROM mentions WHERE id = ?",
                ))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let (platform, label): (String, String) = (r.get(0), r.get(3));
                Ok(Some(MentionAuthor {
                    platform: crate::store::parse_stored(&platform, "platform", Platform::parse)?,
                    author: r.get(1),
                    external_id: r.get(2),
                    label: parse_label(&label)?,
                    posted_at: from_ms(r.get(4)),
                    brand: r.get(5),
                }))
            }

            pub async fn record_rereads(
                &self,
                source: &SourceName,
                rereads: &[Reread<'_>],
                now: DateTime<Utc>,
            ) -> Result<u64, StoreError> {
                let r_now = now;
                let now = to_ms(now);
                let mut rows = 0;
                let mut tx = self.begin_write().await?;
                for r in rereads {
                    let (post, score) = (r.post, &r.mention.score);
                    sqlx::query(&self.sql(
                        "UPDATE mentions SET likes = ?, reposts = ?, replies = ?, author_followers = ?, read_at = ?,
                             compound = ?, label = ?, urgency = ?, level = ?, topics = ?, reasons = ?
                         WHERE id = ?",
                    ))
                    .bind(post.engagement.likes.map(clamp_i64))
                    .bind(post.engagement.reposts.map(clamp_i64))
                    .bind(post.engagement.replies.map(clamp_i64))
                    .bind(post.author.followers.map(clamp_i64))
                    .bind(now)
                    .bind(score.compound)
                    .bind(score.label.as_str())
                    .bind(score.urgency)
                    .bind(score.level.as_str())
                    .bind(json(&score.topics))
                    .bind(json(&score.reasons))
                    .bind(r.mention_id.0)
                    .execute(&mut *tx)
                    .await?;
                    // Its post's first label over its brands, again.
                    sqlx::query(&self.sql(
                        "UPDATE author_posts SET label = (
                             SELECT MIN(m.label) FROM mentions m
                             WHERE m.platform = author_posts.platform AND m.external_id = author_posts.external_id
                               AND m.author_handle = author_posts.author_handle AND m.posted_at = author_posts.posted_at)
                         WHERE (platform, author_handle, posted_at, external_id) =
                               (SELECT platform, author_handle, posted_at, external_id FROM mentions WHERE id = ?)",
                    ))
                    .bind(r.mention_id.0)
                    .execute(&mut *tx)
                    .await?;
                    if r.deliveries.is_empty() {
                        continue;
                    }
                    let payload = encode(&Notification::Mention(MentionAlert {
                        mention_id: r.mention_id,
                        queue_item: None,
                        source: source.clone(),
                        post: post.clone(),
                        mention: r.mention.clone(),
                        history: None,
                    }))?;
                    let written = self.write_outbox(&mut tx, &super::OutboxWrite::all(Some(r.mention_id.0), &payload, &r.deliveries), r_now).await?;
                    rows += written.len() as u64;
                }
                tx.commit().await?;
                Ok(rows)
            }
        }
    };
}

pub(crate) use history_repository;

/// Records on a resolved queue item what a new mention (a post by the
/// same author about the same brand, after the item's resolve) says, when
/// it changes what the item knew; a poll's commit runs it for each new
/// mention with a [`FollowUpNote`], and [`FOLLOW_UP_EVENT`] when it changed
/// a row. Binds: outcome, mention id, now, item, outcome.
pub(super) const FOLLOW_UP_UPDATE: &str = "UPDATE queue_items SET outcome = ?, outcome_mention_id = ?, updated_at = ?
     WHERE id = ? AND state IN ('resolved', 'followed_up') AND (outcome IS NULL OR outcome <> ?)";

/// A follow-up's audit event. Binds: [`follow_up_note`], now, item.
pub(super) const FOLLOW_UP_EVENT: &str =
    "INSERT INTO queue_events (item_id, from_state, to_state, actor, via, note, at)
     SELECT id, state, state, 'earshot', 'pipeline', ?, ? FROM queue_items WHERE id = ?";

/// What a follow-up's audit event says.
pub(super) fn follow_up_note(mention: MentionId, f: &FollowUpNote) -> String {
    format!("customer posted again (mention {}): {}", mention.0, f.outcome.words())
}

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{from_ms, parse_label, parse_stored, HistoryWindow, PriorReads, StoreError, StoredMention};
use crate::domain::{BrandName, Label, MentionId, Post, QueueItemId, Urgency};
use crate::queue::customer::{CustomerItem, CustomerRecord, FollowUpNote, PastPost};
use crate::queue::QueueState;

/// The batch's posts' stored mentions (platform, the ids as a JSON array).
pub(super) const STORED_SQL: &str =
    "SELECT external_id, brand, id, likes, reposts, replies, COALESCE(read_at, stored_at),
            level, author_handle, label, posted_at
     FROM mentions WHERE platform = ? AND external_id IN (SELECT value FROM json_each(?))";

/// The per-author columns of [`TALLY_SQL`] and [`PG_TALLY_SQL`] (`?1`: the
/// complaint window's start).
macro_rules! tally_columns {
    () => {
        "author_handle,
            SUM(CASE WHEN label = 'negative' THEN 1 ELSE 0 END),
            SUM(CASE WHEN label = 'neutral' THEN 1 ELSE 0 END),
            SUM(CASE WHEN label = 'positive' THEN 1 ELSE 0 END),
            SUM(CASE WHEN label = 'negative' AND posted_at >= ?1 THEN 1 ELSE 0 END),
            MAX(CASE WHEN label = 'negative' THEN posted_at END),
            MAX(CASE WHEN label = 'neutral' THEN posted_at END),
            MAX(CASE WHEN label = 'positive' THEN posted_at END)
         FROM author_posts"
    };
}

/// Each post once (its first label over its brands, one row of
/// `author_posts`; a post stored with two different times counts as two),
/// per author, the labels side by side. Binds: the complaint window's
/// start, platform, authors (JSON), the history window's start, the ids
/// left out (JSON).
pub(super) const TALLY_SQL: &str = concat!(
    "SELECT ",
    tally_columns!(),
    " WHERE platform = ?2 AND author_handle IN (SELECT value FROM json_each(?3)) AND posted_at >= ?4
       AND external_id NOT IN (SELECT value FROM json_each(?5))
     GROUP BY author_handle"
);

/// [`TALLY_SQL`] for PostgreSQL (same binds, same rows): one range of
/// `author_posts`' key per author, whatever the statistics say. With the
/// authors as a list beside the platform, a planner whose statistics lag a
/// fast-growing table (autovacuum analyses at most once a minute) took
/// the platform's range as a few rows, read all of it and compared each
/// row with every author and every id left out: 50-80 ms a page at 400k
/// mentions in the load command's minute (5.8 ms on average), where a
/// lookup per author takes 1.3 ms for the page. Each author is a lateral
/// lookup here (named once, however often the batch names them), and the
/// ids left out a hashed set.
pub(super) const PG_TALLY_SQL: &str = concat!(
    "SELECT t.* FROM (SELECT DISTINCT json_array_elements_text(?3::json)) AS a (handle)
     CROSS JOIN LATERAL (SELECT ",
    tally_columns!(),
    " WHERE platform = ?2 AND author_handle = a.handle AND posted_at >= ?4
           AND external_id NOT IN (SELECT json_array_elements_text(?5::json))
         GROUP BY author_handle) t"
);

/// The per-author columns of [`ITEMS_SQL`] and [`PG_ITEMS_SQL`].
macro_rules! items_columns {
    () => {
        "author_handle, CASE WHEN state IN ('open', 'acknowledged') THEN 0 ELSE id END AS item,
            COUNT(*), MIN(brand), MIN(state), MAX(resolved_at)
         FROM queue_items"
    };
}

/// Open items as one count per author (item 0), resolved ones one row each
/// (ids start at 1, so 0 also leaves nothing out). One range of the
/// covering index per author; no condition on the state an index could
/// take: with `state IN (...)` PostgreSQL, its statistics behind a fast
/// growing table, intersected the state and platform indexes instead and
/// filtered every open item of every author. Binds: platform, authors
/// (JSON), the item left out.
pub(super) const ITEMS_SQL: &str = concat!(
    "SELECT ",
    items_columns!(),
    " WHERE platform = ?1 AND author_handle IN (SELECT value FROM json_each(?2))
       AND state <> 'dismissed' AND id <> ?3
     GROUP BY author_handle, item"
);

/// [`ITEMS_SQL`] for PostgreSQL, a lateral lookup per author for the
/// reason [`PG_TALLY_SQL`] gives (there: the platform's range read whole
/// and filtered, 7,640 rows for 3, 79 ms; 2.0 ms a page on average, 1.4
/// per author).
pub(super) const PG_ITEMS_SQL: &str = concat!(
    "SELECT t.* FROM (SELECT DISTINCT json_array_elements_text(?2::json)) AS a (handle)
     CROSS JOIN LATERAL (SELECT ",
    items_columns!(),
    " WHERE platform = ?1 AND author_handle = a.handle AND state <> 'dismissed' AND id <> ?3
         GROUP BY author_handle, item) t"
);

/// A result row read by column position: a sqlx row of either backend, or
/// a statement stepped on SQLite's own handle (`sqlite_raw.rs`), so the
/// rows of [`STORED_SQL`], [`TALLY_SQL`] and [`ITEMS_SQL`] are read by one
/// piece of code however they were fetched.
pub(super) trait Columns {
    /// A text column (NULL reads as empty).
    fn text(&self, i: usize) -> String;
    /// An integer column (NULL reads as 0).
    fn int(&self, i: usize) -> i64;
    fn opt_int(&self, i: usize) -> Option<i64>;
}

macro_rules! sqlx_columns {
    ($row:ty) => {
        impl Columns for $row {
            fn text(&self, i: usize) -> String {
                sqlx::Row::get::<Option<String>, _>(self, i).unwrap_or_default()
            }
            fn int(&self, i: usize) -> i64 {
                sqlx::Row::get::<Option<i64>, _>(self, i).unwrap_or_default()
            }
            fn opt_int(&self, i: usize) -> Option<i64> {
                sqlx::Row::get(self, i)
            }
        }
    };
}

sqlx_columns!(sqlx::sqlite::SqliteRow);
sqlx_columns!(sqlx::postgres::PgRow);

/// A batch's post ids and authors, as the reads bind them.
pub(super) struct Batch<'p> {
    ids: Vec<&'p str>,
    /// Sorted, each once.
    pub(super) authors: Vec<&'p str>,
    pub(super) ids_json: String,
}

impl<'p> Batch<'p> {
    pub(super) fn of(posts: &[&'p Post]) -> Batch<'p> {
        let ids: Vec<&str> = posts.iter().map(|p| p.external_id.as_str()).collect();
        let mut authors: Vec<&str> = posts.iter().map(|p| p.author.handle.as_str()).collect();
        authors.sort_unstable();
        authors.dedup();
        let ids_json = super::repo::json(&ids);
        Batch { ids, authors, ids_json }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The authors' records leave the batch's own posts out.
    pub(super) fn window(&self, complaints_since: DateTime<Utc>, history_since: DateTime<Utc>) -> HistoryWindow<'_> {
        HistoryWindow { since: history_since, complaints_since, leaving_out: &self.ids, leaving_out_item: None }
    }
}

/// A batch's [`PriorReads`] gathered from the rows of [`STORED_SQL`] and
/// the authors' records.
pub(super) struct PriorBuilder {
    prior: PriorReads,
    history_since: DateTime<Utc>,
    /// The batch's posts stored before, per author, one per post (its
    /// first label and time over its brands, as the tally in SQL counts a
    /// post).
    stored: HashMap<String, Vec<PastPost>>,
}

impl PriorBuilder {
    pub(super) fn new(complaints_since: DateTime<Utc>, history_since: DateTime<Utc>) -> PriorBuilder {
        PriorBuilder {
            prior: PriorReads { complaints_since, ..PriorReads::default() },
            history_since,
            stored: HashMap::new(),
        }
    }

    /// One row of [`STORED_SQL`].
    pub(super) fn stored_row(&mut self, r: &impl Columns) -> Result<(), StoreError> {
        let engagement = [r.opt_int(3), r.opt_int(4), r.opt_int(5)];
        let level = parse_stored(&r.text(7), "urgency level", Urgency::parse)?;
        let external_id = r.text(0);
        let (label, posted_at) = (parse_label(&r.text(9))?, from_ms(r.int(10)));
        let posts_of_author = self.stored.entry(r.text(8)).or_default();
        match posts_of_author.iter_mut().find(|p| p.external_id == external_id) {
            Some(p) => {
                if label.as_str() < p.label.as_str() {
                    p.label = label;
                }
                p.posted_at = p.posted_at.min(posted_at);
            }
            None => posts_of_author.push(PastPost { external_id: external_id.clone(), label, posted_at }),
        }
        self.prior.posts.entry(external_id).or_default().push(StoredMention {
            brand: BrandName::new(r.text(1)),
            id: MentionId(r.int(2)),
            interactions: engagement.iter().flatten().map(|n| u64::try_from(*n).unwrap_or(0)).sum(),
            read_at: from_ms(r.int(6)),
            level,
        });
        Ok(())
    }

    /// The reads with the authors' records, each listing the batch's posts
    /// by them that were stored before.
    pub(super) fn finish(mut self, customers: HashMap<String, CustomerRecord>) -> PriorReads {
        self.prior.customers = customers;
        for (author, posts_of_author) in self.stored {
            let record = self.prior.customers.entry(author).or_default();
            record.posts = posts_of_author.into_iter().filter(|p| p.posted_at >= self.history_since).collect();
        }
        self.prior
    }
}

/// One row of [`TALLY_SQL`] into its author's record.
pub(super) fn tally_row(out: &mut HashMap<String, CustomerRecord>, r: &impl Columns) {
    let earlier = &mut out.entry(r.text(0)).or_default().earlier;
    // Counted for negative posts only (`add_many` ignores it for the others).
    let complaints = r.int(4);
    // In label order, so of two latest posts at one time the first label's
    // counts as the latest (as it always did).
    for (k, label) in [Label::Negative, Label::Neutral, Label::Positive].into_iter().enumerate() {
        let (n, latest) = (r.int(1 + k), r.opt_int(5 + k));
        let Some(latest) = latest.filter(|_| n > 0) else { continue };
        earlier.add_many(
            label,
            u32::try_from(n).unwrap_or(u32::MAX),
            u32::try_from(complaints).unwrap_or(u32::MAX),
            from_ms(latest),
        );
    }
}

/// One row of [`ITEMS_SQL`] into its author's record.
pub(super) fn item_row(out: &mut HashMap<String, CustomerRecord>, r: &impl Columns) -> Result<(), StoreError> {
    let record = out.entry(r.text(0)).or_default();
    let id = r.int(1);
    if id == 0 {
        record.open_items = u32::try_from(r.int(2)).unwrap_or(u32::MAX);
        return Ok(());
    }
    let state = parse_stored(&r.text(4), "queue state", QueueState::parse)?;
    record.resolved.push(CustomerItem {
        id: QueueItemId(id),
        brand: r.text(3),
        state,
        resolved_at: r.opt_int(5).map(from_ms),
    });
    Ok(())
}
