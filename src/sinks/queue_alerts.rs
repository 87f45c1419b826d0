//! Alerts the queue's clock raises about a queue item: an SLA breach (not
//! acknowledged or not resolved in time) and a follow-up reminder (resolved
//! a while ago: is the customer happy again?). Both carry [`ItemRef`], the
//! item and enough of its mention to act without opening anything.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BrandName, MentionId, Platform, QueueItemId, Urgency};
use crate::queue::follow_up::Outcome;
use crate::queue::sla::SlaKind;
use crate::queue::QueueState;

/// Characters of post text an item alert quotes.
pub const EXCERPT_CHARS: usize = 280;

/// The queue item an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRef {
    pub item: QueueItemId,
    pub mention_id: MentionId,
    pub brand: BrandName,
    pub level: Urgency,
    pub state: QueueState,
    pub assignee: Option<String>,
    pub platform: Platform,
    pub author: String,
    pub url: String,
    /// The start of the post's text, at most [`EXCERPT_CHARS`].
    pub excerpt: String,
}

/// An SLA deadline passed: escalated once per breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaBreachAlert {
    #[serde(flatten)]
    pub item: ItemRef,
    pub breach: SlaKind,
    /// When the SLA clock started (opened, or reopened).
    pub since: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

/// A resolved item is due for its follow-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpAlert {
    #[serde(flatten)]
    pub item: ItemRef,
    pub resolved_at: DateTime<Utc>,
    /// What the customer's latest post since the resolve said, if any.
    pub outcome: Option<Outcome>,
}

/// The first `max` characters of `text`, with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
