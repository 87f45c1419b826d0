//! What the web board reads: open items joined with their mention, mention
//! volume and negative share per brand over time buckets, and top complaint
//! topics. Queries are in `board_repo.rs`. (SLA percentiles come from
//! [`Store::sla_figures`](super::Store::sla_figures), shared with metrics.)
//!
//! Tests: `store/tests/board.rs` (both backends).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Store, StoreError};
use crate::domain::QueueItemId;

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
}

/// A queue item with what a responder needs to see of its mention.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardItem {
    /// The item itself, as the queue API lists it.
    pub queue: super::QueueItemRow,
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

/// How often a topic came up in negative mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicCount {
    pub topic: String,
    pub mentions: u64,
}
