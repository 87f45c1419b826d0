//! The queue's side of the repository API: rows, events, filters and the
//! errors a move can meet. Queries are in `queue_repo.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::{MentionId, QueueItemId, Urgency};
use crate::queue::follow_up::Outcome;
use crate::queue::{InvalidMove, Move, QueueState};

/// A queue item as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueItemRow {
    pub id: QueueItemId,
    pub mention_id: MentionId,
    pub brand: String,
    pub level: Urgency,
    pub state: QueueState,
    pub assignee: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the SLA clock started: opened, or last reopened.
    pub sla_since: DateTime<Utc>,
    /// Acknowledged (or resolved) in this SLA cycle.
    pub acked_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the follow-up reminder for this resolve was queued.
    pub reminded_at: Option<DateTime<Utc>>,
    /// What the customer's latest post after the resolve said.
    pub outcome: Option<Outcome>,
}

impl QueueItemRow {
    /// Stamps the SLA clocks for `mv` made at `now`: an ack stops the
    /// acknowledge clock, a resolve stops both, a reopen starts a new cycle.
    pub(crate) fn stamp(&mut self, mv: Move, now: DateTime<Utc>) {
        match mv {
            Move::Ack => self.acked_at = Some(now),
            Move::Resolve => {
                self.acked_at.get_or_insert(now);
                self.resolved_at = Some(now);
            }
            Move::Reopen => {
                self.sla_since = now;
                (self.acked_at, self.resolved_at, self.reminded_at, self.outcome) = (None, None, None, None);
            }
            Move::FollowUp | Move::Dismiss => {}
        }
    }
}

/// One entry of an item's audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEvent {
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    /// `pipeline`, `api`, `cli`, `slack`, `timer` or `web`.
    pub via: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Which items to list; newest first, paged with `before_id`.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<QueueState>,
    pub brand: Option<String>,
    /// At least this urgent.
    pub min_level: Option<Urgency>,
    pub assignee: Option<String>,
    /// Opened at or before this time (older than an age).
    pub opened_before: Option<DateTime<Utc>>,
    /// Only items with a smaller id (the next page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// Why a queue change was refused.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("no queue item {0}")]
    NotFound(QueueItemId),
    #[error(transparent)]
    Invalid(#[from] InvalidMove),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for QueueError {
    fn from(e: sqlx::Error) -> Self {
        QueueError::Store(StoreError::Database(e))
    }
}

/// Urgency as a number, matching the SQL `CASE` in `queue_repo.rs`.
pub(crate) fn level_rank(u: Urgency) -> i64 {
    match u {
        Urgency::Low => 0,
        Urgency::Normal => 1,
        Urgency::High => 2,
        Urgency::Critical => 3,
    }
}
