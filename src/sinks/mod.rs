//! Where alerts go: the [`Sink`] trait, the [`Notification`] each outbox
//! row carries, the classified [`SinkError`], and [`build`], which turns a
//! checked receiver config into a running sink.
//!
//! Sinks never touch the database and never decide about retries: they
//! say whether a failure is retryable (and after how long) or permanent, and
//! `delivery` acts on that. Error reasons never contain a webhook URL.

pub mod console;
pub mod digest;
pub mod http;
pub mod queue_alerts;
pub mod slack;
pub mod webhook;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use self::digest::{Digest, DigestExample};
use crate::config::{ReceiverKind, ReceiverSettings};
use chrono::{DateTime, Utc};

use crate::domain::{BrandName, Mention, MentionId, Platform, Post, QueueItemId, SourceName, Urgency};

pub use self::queue_alerts::{FollowUpAlert, ItemRef, SlaBreachAlert};

/// What one outbox row asks a receiver to say. Serialized into the outbox
/// row when it is written, so delivery needs no joins.
// One is made per alert and written as JSON at once: its size in memory
// does not matter, and boxing a variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A mention worth a responder's attention.
    Mention(MentionAlert),
    /// A source went silent (kept failing) or recovered.
    SourceHealth(SourceHealthAlert),
    /// Several alerts of one group, folded into one message.
    Digest(Digest),
    /// Negative mentions of a brand (or brand and topic) far above normal,
    /// or back to normal.
    Spike(SpikeAlert),
    /// A queue item missed its SLA (kind `sla_breach`).
    SlaBreach(SlaBreachAlert),
    /// A resolved queue item is due for its follow-up (kind `follow_up`).
    FollowUp(FollowUpAlert),
}

impl Notification {
    /// How urgent the alert is, for logs and routing.
    pub fn level(&self) -> Urgency {
        match self {
            Notification::Mention(m) => m.mention.score.level,
            Notification::SourceHealth(h) => h.level(),
            Notification::Digest(d) => d.level(),
            Notification::Spike(s) => s.level(),
            Notification::SlaBreach(b) => b.item.level,
            Notification::FollowUp(f) => f.item.level,
        }
    }

    /// The alert's kind, as in its JSON `kind` and routing labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Notification::Mention(_) => "mention",
            Notification::SourceHealth(_) => "source_health",
            Notification::Digest(_) => "digest",
            Notification::Spike(_) => "spike",
            Notification::SlaBreach(_) => "sla_breach",
            Notification::FollowUp(_) => "follow_up",
        }
    }

    /// A short label for logs: the brand, or the source.
    pub fn subject(&self) -> &str {
        match self {
            Notification::Mention(m) => m.mention.brand.as_str(),
            Notification::SourceHealth(h) => h.source.as_str(),
            Notification::Digest(d) => d.group.as_str(),
            Notification::Spike(s) => s.brand.as_str(),
            Notification::SlaBreach(b) => b.item.brand.as_str(),
            Notification::FollowUp(f) => f.item.brand.as_str(),
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
    /// What earshot heard from the author before (absent in alerts for a
    /// mention read again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<crate::queue::customer::CustomerHistory>,
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

/// A spike of negative mentions: how many in the last interval against the
/// learned normal, since when, and the most urgent examples. A resolved
/// spike carries the same key and when it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeAlert {
    pub brand: BrandName,
    /// `None` for a spike of the whole brand.
    pub topic: Option<String>,
    pub resolved: bool,
    /// Negative mentions in the interval that fired (or the last one seen).
    pub count: u64,
    /// The learned normal count per interval (EWMA).
    pub baseline: f64,
    /// `count` over the normal (see `routing::spike::ratio`).
    pub ratio: f64,
    /// Length of one counting interval, in seconds.
    pub interval_secs: u64,
    /// Start of the first interval above normal.
    pub since: DateTime<Utc>,
    /// End of the spike, when resolved.
    pub ended: Option<DateTime<Utc>>,
    /// Up to five of the most urgent mentions of the spike.
    pub examples: Vec<SpikeExample>,
}

impl SpikeAlert {
    pub fn level(&self) -> Urgency {
        if self.resolved {
            Urgency::Normal
        } else {
            Urgency::High
        }
    }

    /// `Acme Air` or `Acme Air / refunds`.
    pub fn what(&self) -> String {
        match &self.topic {
            Some(t) => format!("{} / {t}", self.brand),
            None => self.brand.to_string(),
        }
    }
}

/// One mention quoted in a spike alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeExample {
    pub mention_id: MentionId,
    pub platform: Platform,
    pub url: String,
    pub author: String,
    /// The post's text, cut to a few hundred characters.
    pub text: String,
    pub level: Urgency,
    pub urgency: f64,
}

/// The outbox row a delivery comes from: receivers that can dedupe (the
/// webhook's `X-Earshot-Delivery`) see the same id on every retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliveryId(pub i64);

impl std::fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
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
    /// `code` is a bounded label for metrics (`channel_not_found`,
    /// `http_404`, ...); `reason` the message for logs and the store.
    #[error("permanent: {reason}")]
    Permanent { code: String, reason: String },
}

/// A destination for notifications.
#[async_trait]
pub trait Sink: Send + Sync + std::fmt::Debug {
    /// Delivers `n`, the payload of outbox row `id`.
    async fn deliver(&self, id: DeliveryId, n: &Notification) -> Result<(), SinkError>;
}

/// Builds the running sink for a checked receiver. `http` is the shared
/// client (one connection pool for every webhook); `interactive` says
/// whether Slack interactivity (`[slack] signing_secret`) is configured,
/// so Slack messages carry Acknowledge / Resolve buttons.
pub fn build(receiver: &ReceiverSettings, http: reqwest::Client, interactive: bool) -> Box<dyn Sink> {
    match &receiver.kind {
        ReceiverKind::Slack(cfg) => Box::new(slack::SlackSink::new(cfg.clone(), http).interactive(interactive)),
        ReceiverKind::Webhook(cfg) => Box::new(webhook::WebhookSink::new(cfg.clone(), http)),
        ReceiverKind::Console(_) => Box::new(console::ConsoleSink::stdout()),
    }
}
