//! Customer history: what earshot has heard from one author on one
//! platform before a new post: their earlier mentions and sentiment, their
//! complaints this week, their live queue items, and whether the new post
//! follows up on an item of the same brand that was resolved. Alerts show
//! it on one line ("3rd complaint this week · 1 open item · last:
//! negative"). Pure: the store reads the record, this module sums it up.
//!
//! Tests: in this module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::follow_up::Outcome;
use super::QueueState;
use crate::domain::{Label, QueueItemId};

/// How far back an author's earlier mentions count.
pub const HISTORY_WINDOW_DAYS: i64 = 90;

/// An author's stored record, as read for a batch.
///
/// The store sums up their posts in the history window in SQL
/// (`earlier`), leaving out the posts being summed up against it (the
/// batch's), and lists those of them stored before in `posts`, so each
/// post of a batch sees the others but not itself. Reading a sum keeps a
/// batch's cost flat in how much an author has posted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerRecord {
    /// Their stored posts in the history window, the batch's left out.
    pub earlier: PostTally,
    /// The batch's posts by them that were stored before, one per post.
    pub posts: Vec<PastPost>,
    /// Their queue items still open or acknowledged, counted (in SQL:
    /// they pile up for a frequent author, and only their number shows).
    pub open_items: u32,
    /// Their resolved and followed-up items: what a new post may follow
    /// up on.
    pub resolved: Vec<CustomerItem>,
}

/// Posts summed up by sentiment, one per post.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PostTally {
    pub negative: u32,
    pub neutral: u32,
    pub positive: u32,
    /// Negative posts since the complaint window's start the tally was
    /// read for.
    pub complaints: u32,
    /// The latest post's time and sentiment.
    pub latest: Option<(DateTime<Utc>, Label)>,
}

impl PostTally {
    /// Counts one more post: `in_window` says whether it falls in the
    /// complaint window.
    pub fn add(&mut self, label: Label, posted_at: DateTime<Utc>, in_window: bool) {
        self.add_many(label, 1, u32::from(in_window && label == Label::Negative), posted_at);
    }

    /// Counts `n` posts of `label` of which `complaints` fall in the
    /// complaint window, the latest posted at `latest`.
    pub fn add_many(&mut self, label: Label, n: u32, complaints: u32, latest: DateTime<Utc>) {
        match label {
            Label::Negative => self.negative += n,
            Label::Neutral => self.neutral += n,
            Label::Positive => self.positive += n,
        }
        if label == Label::Negative {
            self.complaints += complaints;
        }
        if n > 0 && self.latest.is_none_or(|(t, _)| latest > t) {
            self.latest = Some((latest, label));
        }
    }

    pub fn total(&self) -> u32 {
        self.negative + self.neutral + self.positive
    }
}

/// One earlier post of an author.
#[derive(Debug, Clone, PartialEq)]
pub struct PastPost {
    pub external_id: String,
    pub label: Label,
    pub posted_at: DateTime<Utc>,
}

/// One queue item opened for an author.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerItem {
    pub id: QueueItemId,
    pub brand: String,
    pub state: QueueState,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The new post being summed up against a record.
#[derive(Debug, Clone, Copy)]
pub struct NewPost<'a> {
    pub external_id: &'a str,
    pub brand: &'a str,
    pub label: Label,
    pub posted_at: DateTime<Utc>,
}

/// A customer's history as an alert shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerHistory {
    /// Earlier posts in the history window (this one not counted).
    pub previous_mentions: u32,
    pub negative: u32,
    pub neutral: u32,
    pub positive: u32,
    /// Earlier negative posts since the complaint window's start.
    pub complaints_this_week: u32,
    /// Items still open or acknowledged (this post's own not counted).
    pub open_items: u32,
    /// The sentiment of the latest earlier post.
    pub last: Option<Label>,
    /// This post follows an item of the same brand resolved before it.
    pub follow_up: Option<FollowUpNote>,
}

/// The item a new post follows up on, and what the post says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpNote {
    pub item: QueueItemId,
    pub outcome: Outcome,
}

impl CustomerRecord {
    /// The author's posts other than `external_id`, summed up, with
    /// complaints counted since `complaints_since` (the start the store
    /// read `earlier` for).
    pub fn others(&self, external_id: &str, complaints_since: DateTime<Utc>) -> PostTally {
        let mut tally = self.earlier;
        for p in self.posts.iter().filter(|p| p.external_id != external_id) {
            tally.add(p.label, p.posted_at, p.posted_at >= complaints_since);
        }
        tally
    }

    /// The history `post` is seen with: other posts only, complaints since
    /// `complaints_since`, and the latest resolved item of the post's brand
    /// resolved before the post (the follow-up it answers).
    pub fn history(&self, post: NewPost<'_>, complaints_since: DateTime<Utc>) -> CustomerHistory {
        let others = self.others(post.external_id, complaints_since);
        let mut h = CustomerHistory {
            previous_mentions: others.total(),
            negative: others.negative,
            neutral: others.neutral,
            positive: others.positive,
            complaints_this_week: others.complaints,
            last: others.latest.map(|(_, label)| label),
            ..CustomerHistory::default()
        };
        h.open_items = self.open_items;
        h.follow_up = self
            .resolved
            .iter()
            .filter(|i| matches!(i.state, QueueState::Resolved | QueueState::FollowedUp) && i.brand == post.brand)
            .filter_map(|i| Some((i, i.resolved_at?)))
            .filter(|(_, resolved)| *resolved < post.posted_at)
            .max_by_key(|(_, resolved)| *resolved)
            .map(|(i, _)| FollowUpNote { item: i.id, outcome: Outcome::of(post.label) });
        h
    }
}

impl CustomerHistory {
    /// One line for an alert about a post with sentiment `label`:
    /// "3rd complaint this week · 1 open item · last: negative".
    pub fn line(&self, label: Label) -> String {
        let mut parts = Vec::new();
        if label == Label::Negative && self.complaints_this_week > 0 {
            parts.push(format!(
                "{} complaint this week",
                crate::pipeline::scorer::ordinal(u64::from(self.complaints_this_week) + 1)
            ));
        } else if self.previous_mentions == 0 {
            parts.push("first mention from this author".to_string());
        }
        if self.previous_mentions > 0 {
            parts.push(format!(
                "{} earlier {} ({} negative)",
                self.previous_mentions,
                plural(self.previous_mentions, "mention", "mentions"),
                self.negative
            ));
        }
        if self.open_items > 0 {
            parts.push(format!("{} open {}", self.open_items, plural(self.open_items, "item", "items")));
        }
        if let Some(l) = self.last {
            parts.push(format!("last: {}", l.as_str()));
        }
        if let Some(f) = self.follow_up {
            parts.push(format!("after item #{} was resolved: {}", f.item, f.outcome.words()));
        }
        parts.join(" · ")
    }
}

fn plural<'a>(n: u32, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, day, 12, 0, 0).unwrap()
    }

    fn past(id: &str, label: Label, day: u32) -> PastPost {
        PastPost { external_id: id.into(), label, posted_at: t(day) }
    }

    fn new_post(label: Label, day: u32) -> NewPost<'static> {
        NewPost { external_id: "new", brand: "Acme Air", label, posted_at: t(day) }
    }

    #[test]
    fn a_repeat_complainer_with_an_open_item() {
        let record = CustomerRecord {
            posts: vec![
                past("a", Label::Negative, 1),
                past("b", Label::Negative, 10),
                past("c", Label::Positive, 3),
                past("new", Label::Negative, 12),
            ],
            open_items: 1,
            ..CustomerRecord::default()
        };
        let h = record.history(new_post(Label::Negative, 12), t(5));
        assert_eq!((h.previous_mentions, h.negative, h.positive, h.complaints_this_week), (3, 2, 1, 1));
        assert_eq!((h.open_items, h.last, h.follow_up), (1, Some(Label::Negative), None));
        assert_eq!(
            h.line(Label::Negative),
            "2nd complaint this week · 3 earlier mentions (2 negative) · 1 open item · last: negative"
        );
    }

    #[test]
    fn the_stored_tally_and_the_batch_s_other_posts_add_up() {
        // Read from the store: two complaints (one this week) and a neutral
        // post, the latest a complaint on day 10; the batch holds this post
        // and another of the author's, both stored before.
        let mut earlier = PostTally::default();
        earlier.add_many(Label::Negative, 2, 1, t(10));
        earlier.add_many(Label::Neutral, 1, 0, t(4));
        let record = CustomerRecord {
            earlier,
            posts: vec![past("new", Label::Negative, 12), past("sibling", Label::Positive, 11)],
            ..CustomerRecord::default()
        };
        let h = record.history(new_post(Label::Negative, 12), t(5));
        assert_eq!((h.previous_mentions, h.negative, h.neutral, h.positive), (4, 2, 1, 1));
        assert_eq!((h.complaints_this_week, h.last), (1, Some(Label::Positive)), "the sibling is the latest other");
        let sibling = NewPost { external_id: "sibling", ..new_post(Label::Positive, 11) };
        let h = record.history(sibling, t(5));
        assert_eq!((h.previous_mentions, h.complaints_this_week, h.last), (4, 2, Some(Label::Negative)));
    }

    #[test]
    fn a_first_post_says_so() {
        let h = CustomerRecord::default().history(new_post(Label::Negative, 2), t(1));
        assert_eq!(h, CustomerHistory::default());
        assert_eq!(h.line(Label::Negative), "first mention from this author");
    }

    #[test]
    fn a_post_after_a_resolve_of_the_same_brand_is_its_follow_up() {
        let item = |id, brand: &str, state, resolved: Option<u32>| CustomerItem {
            id: QueueItemId(id),
            brand: brand.into(),
            state,
            resolved_at: resolved.map(t),
        };
        let record = CustomerRecord {
            posts: vec![past("a", Label::Negative, 1)],
            resolved: vec![
                item(1, "Acme Air", QueueState::Resolved, Some(2)),
                item(2, "Acme Air", QueueState::FollowedUp, Some(4)),
                item(3, "Globex", QueueState::Resolved, Some(5)),
                item(4, "Acme Air", QueueState::Resolved, Some(9)),
            ],
            ..CustomerRecord::default()
        };
        let h = record.history(new_post(Label::Positive, 6), t(1));
        assert_eq!(h.follow_up, Some(FollowUpNote { item: QueueItemId(2), outcome: Outcome::Recovered }));
        assert_eq!(
            h.line(Label::Positive),
            "1 earlier mention (1 negative) · last: negative · after item #2 was resolved: recovered"
        );
        let still = record.history(new_post(Label::Negative, 6), t(1)).follow_up.unwrap();
        assert_eq!(still.outcome, Outcome::StillNegative);
        assert_eq!(record.history(new_post(Label::Positive, 2), t(1)).follow_up, None, "not after the resolve");
    }
}
