//! Where alerts go: the [`Sink`] trait, the [`Notification`] each outbox
//! row carries, the classified [`SinkError`], and [`build`], which turns a
//! checked receiver config into a running sink.
//!
//! Sinks never touch the database and never decide about retries: they
//! say whether a failure is retryable (and after how long) or permanent, and
//! `delivery` acts on that. Error reasons never contain a webhook URL.

pub mod console;
pub mod digest;
pub mod slack;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use self::digest::{Digest, DigestExample};
use crate::config::{ReceiverKind, ReceiverSettings};
use chrono::{DateTime, Utc};

use crate::domain::{Mention, MentionId, Platform, Post, QueueItemId, SourceName, Urgency};

/// What one outbox row asks a receiver to say. Serialized into the outbox
/// row when it is written, so delivery needs no joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A mention worth a responder's attention.
    Mention(MentionAlert),
    /// A source went silent (kept failing) or recovered.
    SourceHealth(SourceHealthAlert),
    /// Several alerts of one group, folded into one message.
    Digest(Digest),
}

impl Notification {
    /// How urgent the alert is, for logs and routing.
    pub fn level(&self) -> Urgency {
        match self {
            Notification::Mention(m) => m.mention.score.level,
            Notification::SourceHealth(h) => h.level(),
            Notification::Digest(d) => d.level(),
        }
    }

    /// A short label for logs: the brand, or the source.
    pub fn subject(&self) -> &str {
        match self {
            Notification::Mention(m) => m.mention.brand.as_str(),
            Notification::SourceHealth(h) => h.source.as_str(),
            Notification::Digest(d) => d.group.as_str(),
        }
    }
}

/// A mention alert: the post, the mention (brand, terms, score) and the ids
/// a responder's buttons refer to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionAlert {
    pub mention_id: MentionId,
    /// The rapid-response queue item opened for this mention, if any.
    pub queue_item: Option<QueueItemId>,
    pub source: SourceName,
    pub post: Post,
    pub mention: Mention,
}

/// A source's health changed: it has failed for longer than its
/// `silent_after` (nothing is being heard from that platform), or it
/// works again after such an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceHealthAlert {
    pub source: SourceName,
    pub platform: Platform,
    pub recovered: bool,
    /// When the source last polled successfully, if ever since start.
    pub last_success: Option<DateTime<Utc>>,
    /// When the current run of failures began (or, recovered: had begun).
    pub failing_since: DateTime<Utc>,
    pub consecutive_failures: u32,
    /// The last error, already free of secrets (`SourceError` display).
    pub last_error: String,
}

impl SourceHealthAlert {
    pub fn level(&self) -> Urgency {
        if self.recovered {
            Urgency::Normal
        } else {
            Urgency::High
        }
    }
}

/// Why a delivery failed, classified by what delivery does next.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SinkError {
    /// Try again later; `after` is the receiver's own demand (Retry-After),
    /// otherwise delivery backs off exponentially.
    #[error("retryable: {reason}")]
    Retryable { after: Option<Duration>, reason: String },
    /// Retrying cannot help (revoked webhook, invalid payload, ...).
    #[error("permanent: {reason}")]
    Permanent { reason: String },
}

/// A destination for notifications.
#[async_trait]
pub trait Sink: Send + Sync + std::fmt::Debug {
    async fn deliver(&self, n: &Notification) -> Result<(), SinkError>;
}

/// Builds the running sink for a checked receiver. `http` is the shared
/// client (one connection pool for every webhook).
pub fn build(receiver: &ReceiverSettings, http: reqwest::Client) -> Box<dyn Sink> {
    match &receiver.kind {
        ReceiverKind::Slack(cfg) => Box::new(slack::SlackSink::new(cfg.clone(), http)),
        ReceiverKind::Console(_) => Box::new(console::ConsoleSink::stdout()),
    }
}
