//! What the web board reads: open items joined with their mention, mention
//! volume and negative share per brand over time buckets, top complaint
//! topics, and the durations behind SLA percentiles. Queries are in
//! `board_repo.rs`; the percentile arithmetic is here, pure.
//!
//! Tests: `store/tests/board.rs` (both backends) and the unit tests below.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::domain::{QueueItemId, Urgency};
use crate::queue::QueueState;

impl Store {
    /// The board's items (see [`BoardScope`]): most urgent first, oldest
    /// first within a level, at most `limit`.
    pub async fn board_items(&self, scope: BoardScope, limit: u32) -> Result<Vec<BoardItem>, StoreError> {
        dispatch!(self, s => s.board_items(scope, limit).await)
    }

    /// Mentions and negative mentions per brand and bucket of `width`,
    /// posted in `[since, until)`; buckets without mentions are absent.
    pub async fn mention_volume(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        width: Duration,
    ) -> Result<Vec<VolumeBucket>, StoreError> {
        dispatch!(self, s => s.mention_volume(since, until, width).await)
    }

    /// The most frequent topics of negative mentions posted since `since`.
    pub async fn complaint_topics(&self, since: DateTime<Utc>, limit: u32) -> Result<Vec<TopicCount>, StoreError> {
        dispatch!(self, s => s.complaint_topics(since, limit).await)
    }

    /// Time to acknowledge and to resolve of every item opened since `since`.
    pub async fn item_times(&self, since: DateTime<Utc>) -> Result<Vec<ItemTimes>, StoreError> {
        dispatch!(self, s => s.item_times(since).await)
    }
}

/// A queue item with what a responder needs to see of its mention.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardItem {
    pub id: QueueItemId,
    pub brand: String,
    pub level: Urgency,
    pub state: QueueState,
    pub assignee: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub platform: String,
    pub author: String,
    /// The post's full text (untrusted: escape before display).
    pub text: String,
    /// Link to the post (untrusted too).
    pub url: String,
    pub posted_at: DateTime<Utc>,
    /// The scorer's topics and reasons for the mention's urgency.
    pub topics: Vec<String>,
    pub reasons: Vec<String>,
}

/// Which items the board lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardScope {
    /// Open and acknowledged items (what still needs a responder), of one
    /// brand or all.
    Unresolved { brand: Option<String> },
    /// One item, whatever its state.
    Item(QueueItemId),
}

impl BoardScope {
    /// Every unresolved item, whatever its brand.
    pub const UNRESOLVED: BoardScope = BoardScope::Unresolved { brand: None };
}

/// Mentions of one brand in one time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeBucket {
    pub brand: String,
    /// Start of the bucket (a multiple of the bucket width since the epoch, UTC).
    pub start: DateTime<Utc>,
    pub mentions: u64,
    pub negative: u64,
}

impl VolumeBucket {
    /// Negative mentions as a share of all, 0..=1.
    pub fn negative_share(&self) -> f64 {
        if self.mentions == 0 {
            0.0
        } else {
            self.negative as f64 / self.mentions as f64
        }
    }
}

/// How often a topic came up in negative mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCount {
    pub topic: String,
    pub mentions: u64,
}

/// How long one item took to be acknowledged and resolved (`None`: not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemTimes {
    pub level: Urgency,
    pub to_ack: Option<Duration>,
    pub to_resolve: Option<Duration>,
}

/// Percentiles of one duration over a set of items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Items with the duration (acknowledged / resolved).
    pub count: u64,
    pub p50: Option<Duration>,
    pub p90: Option<Duration>,
}

impl Percentiles {
    /// Nearest-rank percentiles of `values` (any order).
    pub fn of(mut values: Vec<Duration>) -> Percentiles {
        values.sort_unstable();
        Percentiles { count: values.len() as u64, p50: nearest_rank(&values, 50), p90: nearest_rank(&values, 90) }
    }
}

/// The `p`th percentile of sorted `values` by the nearest-rank method.
fn nearest_rank(sorted: &[Duration], p: usize) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// SLA figures of one urgency level: time to acknowledge and to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelSla {
    pub level: Urgency,
    /// Items opened in the window.
    pub items: u64,
    pub ack: Percentiles,
    pub resolve: Percentiles,
}

/// Per urgency level, most urgent first; levels without items are left out.
pub fn sla_by_level(times: &[ItemTimes]) -> Vec<LevelSla> {
    [Urgency::Critical, Urgency::High, Urgency::Normal, Urgency::Low]
        .into_iter()
        .filter_map(|level| {
            let of_level: Vec<&ItemTimes> = times.iter().filter(|t| t.level == level).collect();
            (!of_level.is_empty()).then(|| LevelSla {
                level,
                items: of_level.len() as u64,
                ack: Percentiles::of(of_level.iter().filter_map(|t| t.to_ack).collect()),
                resolve: Percentiles::of(of_level.iter().filter_map(|t| t.to_resolve).collect()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &[u64]) -> Vec<Duration> {
        s.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let p = Percentiles::of(secs(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]));
        assert_eq!((p.count, p.p50, p.p90), (10, Some(Duration::from_secs(5)), Some(Duration::from_secs(9))));
        let one = Percentiles::of(secs(&[42]));
        assert_eq!((one.p50, one.p90), (Some(Duration::from_secs(42)), Some(Duration::from_secs(42))));
        assert_eq!(Percentiles::of(vec![]), Percentiles::default());
    }

    #[test]
    fn sla_is_grouped_by_level_most_urgent_first() {
        let t = |level, ack: Option<u64>, resolve: Option<u64>| ItemTimes {
            level,
            to_ack: ack.map(Duration::from_secs),
            to_resolve: resolve.map(Duration::from_secs),
        };
        let figures = sla_by_level(&[
            t(Urgency::Low, Some(100), None),
            t(Urgency::Critical, Some(60), Some(600)),
            t(Urgency::Critical, None, None),
        ]);
        assert_eq!(figures.iter().map(|f| f.level).collect::<Vec<_>>(), [Urgency::Critical, Urgency::Low]);
        assert_eq!((figures[0].items, figures[0].ack.count, figures[0].resolve.count), (2, 1, 1));
        assert_eq!(figures[1].resolve.p50, None);
    }

    #[test]
    fn negative_share_of_an_empty_bucket_is_zero() {
        let b =
            |mentions, negative| VolumeBucket { brand: "a".into(), start: DateTime::UNIX_EPOCH, mentions, negative };
        assert_eq!(b(0, 0).negative_share(), 0.0);
        assert_eq!(b(4, 1).negative_share(), 0.25);
    }
}
