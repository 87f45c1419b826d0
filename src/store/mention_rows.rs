//! What a poll's commit writes for each new mention (its row, its queue
//! item, its alert's outbox rows), and how the new rows it gets back are
//! told apart, with the follow-ups it records and the report it gives:
//! shared by the backends' own ways of writing them (`sqlite_commit.rs`
//! binds the values row by row on the poll writer's handle,
//! `postgres_commit.rs` as one array per column).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::alert_drafts::AlertDrafts;
use super::repo::{clamp_i64, json};
use super::{to_ms, CommitReport, NewMention, OutboxWrite, Placement, StoreError};
use crate::domain::{MentionId, QueueItemId};
use crate::queue::customer::FollowUpNote;
use crate::routing::Delivery;

/// The `mentions` columns a commit fills, in [`MentionValues`] order.
pub(crate) const MENTION_COLUMNS: &str = "platform, external_id, brand, source, url, author_handle, author_name,
    author_followers, body, lang, likes, reposts, replies, posted_at, stored_at, terms, compound, label, urgency,
    level, topics, reasons";

/// The `outbox` columns a routed row fills.
pub(crate) const OUTBOX_COLUMNS: &str =
    "mention_id, receiver, payload, state, attempts, due_at, created_at, route, group_key, silence_id";

/// Moves a source's stored cursor: source, cursor, now (both backends
/// write it beside the poll's rows, in the poll's transaction).
pub(crate) const CURSOR_UPSERT: &str = "INSERT INTO source_cursors (source, cursor, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at";

/// The key a mention is unique by.
pub(crate) const MENTION_KEY: &str = "(platform, external_id, brand)";

/// The `author_posts` columns (one row per post, its first label over the
/// brands it names: what the customer tally reads), in bind order.
pub(crate) const AUTHOR_POST_COLUMNS: &str = "platform, author_handle, posted_at, external_id, label";

/// Where a new mention meets its post's row: a lower label (`negative` <
/// `neutral` < `positive`) becomes the post's first label; otherwise the
/// row stays as it is (no write).
pub(crate) const AUTHOR_POST_CONFLICT: &str = "ON CONFLICT (platform, author_handle, posted_at, external_id)
    DO UPDATE SET label = excluded.label WHERE excluded.label < author_posts.label";

/// One mention's row, borrowed from the post and its score where it can be.
pub(crate) struct MentionValues<'a> {
    pub platform: &'a str,
    pub external_id: &'a str,
    pub brand: &'a str,
    pub source: &'a str,
    pub url: &'a str,
    pub author_handle: &'a str,
    pub author_name: Option<&'a str>,
    pub author_followers: Option<i64>,
    pub body: &'a str,
    pub lang: Option<&'a str>,
    pub likes: Option<i64>,
    pub reposts: Option<i64>,
    pub replies: Option<i64>,
    pub posted_at: i64,
    pub stored_at: i64,
    pub terms: String,
    pub compound: f64,
    pub label: &'static str,
    pub urgency: f64,
    pub level: &'static str,
    pub topics: String,
    pub reasons: String,
}

impl<'a> MentionValues<'a> {
    /// `m`'s row, read by `source`, stored at `now` (ms).
    pub(crate) fn of(m: &NewMention<'a>, source: &'a str, now: i64) -> Self {
        let (post, score) = (m.post, &m.mention.score);
        MentionValues {
            platform: post.platform.as_str(),
            external_id: post.external_id.as_str(),
            brand: m.mention.brand.as_str(),
            source,
            url: &post.url,
            author_handle: &post.author.handle,
            author_name: post.author.display_name.as_deref(),
            author_followers: post.author.followers.map(clamp_i64),
            body: &post.text,
            lang: post.lang.as_deref(),
            likes: post.engagement.likes.map(clamp_i64),
            reposts: post.engagement.reposts.map(clamp_i64),
            replies: post.engagement.replies.map(clamp_i64),
            posted_at: to_ms(post.created_at),
            stored_at: now,
            terms: json(&m.mention.terms),
            compound: score.compound,
            label: score.label.as_str(),
            urgency: score.urgency,
            level: score.level.as_str(),
            topics: json(&score.topics),
            reasons: json(&score.reasons),
        }
    }
}

/// Each key's first mention in `mentions`, by index: the one a new row
/// with that key is. Keys are borrowed, so rows coming back are looked up
/// without copying their strings.
pub(crate) fn first_mentions<'c, 'a: 'c>(
    mentions: impl ExactSizeIterator<Item = &'c NewMention<'a>>,
) -> HashMap<(&'c str, &'c str, &'c str), usize> {
    let mut first = HashMap::with_capacity(mentions.len());
    for (i, m) in mentions.enumerate() {
        first.entry((m.post.platform.as_str(), m.post.external_id.as_str(), m.mention.brand.as_str())).or_insert(i);
    }
    first
}

/// The mentions of a commit that were new, with their ids where later
/// rows need them (none by default: a commit with no mentions).
#[derive(Default)]
pub(crate) struct NewRows<'c, 'a> {
    /// New mentions that later rows may name, with their ids, in commit
    /// order.
    pub named: Vec<(&'c NewMention<'a>, MentionId)>,
    /// New rows in all (named or not).
    pub inserted: u64,
    /// Mentions that were stored before (or twice in the commit).
    pub duplicates: u64,
}

/// What a backend wrote of a poll's rows: its new
/// mentions, the queue items opened for them, and each alert's payload
/// with the placement of each of its outbox rows (in
/// [`PollRows::outbox_rows`] order). Each backend's poll commit adds
/// follow-ups and group schedules.
pub(crate) struct PollRows<'c, 'a> {
    pub rows: NewRows<'c, 'a>,
    pub items: OpenedItems,
    pub alerts: Vec<Alert<'c>>,
    pub placed: Vec<Placement>,
}

/// A new mention's alert: its id, the encoded notification and where it
/// goes.
pub(crate) type Alert<'c> = (i64, String, &'c [Delivery]);

impl<'c, 'a> PollRows<'c, 'a> {
    /// The rows of a poll whose mentions (`rows`) and queue items
    /// (`items`) are written: each new mention's alert, routed somewhere,
    /// naming its queue item if one was opened, and where each of its
    /// outbox rows goes at `now`.
    pub(crate) fn new(
        rows: NewRows<'c, 'a>,
        items: OpenedItems,
        drafts: &AlertDrafts<'_, '_>,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let routed = rows.named.iter().filter(|(m, _)| !m.deliveries.is_empty());
        let alerts = routed
            .map(|(m, mention_id)| {
                let payload = drafts.payload(m, *mention_id, items.get(&mention_id.0).copied())?;
                Ok((mention_id.0, payload, &m.deliveries[..]))
            })
            .collect::<Result<Vec<Alert<'c>>, StoreError>>()?;
        let mut written = PollRows { rows, items, alerts, placed: Vec::new() };
        written.placed = written.outbox_rows().iter().map(|r| r.placement(now)).collect();
        Ok(written)
    }

    /// Each alert's deliveries, one per outbox row, in [`Self::placed`]
    /// order.
    pub(crate) fn deliveries(&self) -> impl Iterator<Item = &'c Delivery> + '_ {
        self.alerts.iter().flat_map(|&(_, _, deliveries)| deliveries)
    }

    /// The new mentions that follow up on a resolved queue item of their
    /// author's, with the note for it.
    pub(crate) fn follow_ups(&self) -> impl Iterator<Item = (MentionId, FollowUpNote)> + '_ {
        let each = self.rows.named.iter();
        each.filter_map(|(m, id)| Some((*id, m.history.as_ref()?.follow_up?)))
    }

    /// What the poll's commit wrote, as its caller hears it.
    pub(crate) fn report(&self) -> CommitReport {
        let mut report = CommitReport {
            inserted: self.rows.inserted,
            duplicates: self.rows.duplicates,
            queue_items: self.items.len() as u64,
            outbox_rows: self.placed.len() as u64,
            ..CommitReport::default()
        };
        for (state, _, _) in &self.placed {
            report.routed.count(*state);
        }
        report
    }

    /// One outbox row per delivery of each alert, in [`Self::placed`]
    /// order.
    pub(crate) fn outbox_rows(&self) -> Vec<OutboxWrite<'_>> {
        let each = self.alerts.iter();
        each.flat_map(|(id, payload, deliveries)| OutboxWrite::all(Some(*id), payload, deliveries)).collect()
    }
}

/// The new mentions that open a queue item.
pub(crate) fn opening(named: &[(&NewMention<'_>, MentionId)]) -> Vec<MentionId> {
    named.iter().filter(|(m, _)| m.open_queue_item).map(|(_, id)| *id).collect()
}

/// The queue items a commit opened, by the mention id they were opened for.
pub(crate) type OpenedItems = std::collections::HashMap<i64, QueueItemId>;

/// An error unless one queue item was opened for each new mention asked.
pub(crate) fn check_opened(opened: usize, asked: usize) -> Result<(), StoreError> {
    if opened == asked {
        return Ok(());
    }
    Err(StoreError::Corrupt(format!("{opened} queue items opened for {asked} new mentions")))
}
