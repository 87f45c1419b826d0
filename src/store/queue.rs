//! The queue's side of the repository API: rows, events, filters and the
//! errors a move can meet. Queries are in `queue_repo.rs`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::{MentionId, QueueItemId, Urgency};
use crate::queue::{InvalidMove, QueueState};

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
