//! Silences: matchers that mute alerts for a while, created from the API
//! or the CLI and kept in the store. A silenced alert's outbox row is
//! written as `silenced` (visible and counted), never sent.

use chrono::{DateTime, Utc};

use super::labels::Labels;
use super::matcher::Matcher;

/// Database id of a silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SilenceId(pub i64);

/// One silence: alerts matching every matcher between `starts_at` and
/// `ends_at` are muted.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: SilenceId,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && now < self.ends_at
    }

    /// Whether the silence mutes `labels` at `now`. A silence with no
    /// matchers mutes nothing (refused at creation anyway).
    pub fn mutes(&self, labels: &Labels, now: DateTime<Utc>) -> bool {
        self.active_at(now) && !self.matchers.is_empty() && self.matchers.iter().all(|m| m.matches(labels))
    }
}
