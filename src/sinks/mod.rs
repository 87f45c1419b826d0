//! Where alerts go: the [`Sink`] trait, the [`Notification`] each outbox
//! row carries, the classified [`SinkError`], and [`build`], which turns a
//! checked receiver config into a running sink.
//!
//! Sinks never touch the database and never decide about retries: they
//! say whether a failure is retryable (and after how long) or permanent, and
//! `delivery` acts on that. Error reasons never contain a webhook URL.

pub mod console;
pub mod slack;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::{ReceiverKind, ReceiverSettings};
use crate::domain::{Mention, MentionId, Post, QueueItemId, SourceName};

/// What one outbox row asks a receiver to say: the post, the mention (brand,
/// terms, score) and the ids a responder's buttons refer to. Serialized into
/// the outbox row when the mention is stored, so delivery needs no joins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub mention_id: MentionId,
    /// The rapid-response queue item opened for this mention, if any.
    pub queue_item: Option<QueueItemId>,
    pub source: SourceName,
    pub post: Post,
    pub mention: Mention,
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
