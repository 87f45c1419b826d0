//! The one seam between the scheduler and the platforms: the [`Source`]
//! trait, its [`PollContext`], the opaque [`Cursor`], the classified
//! [`SourceError`], and [`build`], which turns a checked source config into
//! a running source.
//!
//! Only modules under `sources/` know a platform's wire format. A source
//! never touches the database: it is handed the stored cursor and returns
//! the posts it read plus the next cursor; the daemon commits both in one
//! transaction. Parsing is unit-tested in each platform module against the
//! recorded responses in `tests/fixtures/`; end-to-end polling is in
//! `tests/it/`.

pub mod bluesky;
pub mod budget;
pub mod feed;
pub mod hackernews;
pub mod http;
pub mod lenient;
pub mod mastodon;
mod paged;
pub mod reddit;
pub mod text;
pub mod x;
pub mod youtube;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::SourceKind;
use crate::domain::{ExternalId, Platform, Post};

pub use self::http::HttpClient;

/// Where a source got to, as the source itself encodes it (an HN
/// `created_at_i` watermark, a Mastodon `min_id`, ...). Stored verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    /// A cursor holding `state` as JSON (for sources whose position is more
    /// than one number: validators per feed URL, a quota day...).
    pub fn to_json<T: Serialize>(state: &T) -> Cursor {
        Cursor(serde_json::to_string(state).expect("cursor state serializes: plain data, string keys"))
    }

    /// The state written by [`Cursor::to_json`]; the caller decides what an
    /// unreadable cursor means (usually: log it and start from the backfill).
    pub fn from_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// What one poll read: every post seen (the pipeline decides which are
/// mentions) and the cursor to store with them.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub posts: Vec<Post>,
    /// `None` keeps the stored cursor unchanged.
    pub next: Option<Cursor>,
    /// Pages fetched, for metrics and logs.
    pub pages: u32,
    /// Wait at least this long before the next poll: the platform's
    /// rate-limit headers say the budget is nearly spent (slow down before
    /// being throttled, rather than after).
    pub throttle: Option<Duration>,
}

/// Everything a poll needs from outside the source itself.
#[derive(Debug, Clone)]
pub struct PollContext {
    /// The configured source being polled, for log fields.
    pub source: crate::domain::SourceName,
    /// Shared HTTP client (timeouts, User-Agent, connection pool).
    pub http: HttpClient,
    /// Search queries to ask the platform for: the source's own `queries`
    /// or else every brand's watch terms, with `@`/`#` stripped, deduplicated.
    /// Shared, not copied per poll: 1,000 brands make about 9,000 of them.
    pub queries: std::sync::Arc<[String]>,
    /// Wall-clock "now" for this poll (tests pin it).
    pub now: DateTime<Utc>,
    /// How far back the first poll (no stored cursor) reads.
    pub backfill: Duration,
}

impl PollContext {
    /// Where the first poll of a source starts: `now - backfill`.
    pub fn backfill_start(&self) -> DateTime<Utc> {
        saturating_sub(self.now, self.backfill)
    }
}

/// `t - d`, or the earliest time there is when that underflows.
pub fn saturating_sub(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d).ok().and_then(|d| t.checked_sub_signed(d)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Why a poll failed, classified by what the caller does about it.
/// Whatever the variant, the cursor does not advance.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The platform asked us to slow down; wait at least this long.
    #[error("rate limited by the platform; retry after {}", humantime::format_duration(*retry_after))]
    RateLimited { retry_after: Duration },
    /// A 5xx, a timeout, a reset connection: retry with backoff.
    #[error("transient failure: {0}")]
    Transient(String),
    /// Credentials missing, wrong or expired.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The platform answered something we cannot read.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The request itself was refused as invalid (4xx other than auth/429).
    #[error("request rejected: {0}")]
    Rejected(String),
}

impl SourceError {
    /// Stable, bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::RateLimited { .. } => "rate_limited",
            SourceError::Transient(_) => "transient",
            SourceError::Auth(_) => "auth",
            SourceError::Malformed(_) => "malformed",
            SourceError::Rejected(_) => "rejected",
        }
    }
}

impl SourceError {
    /// Adds what to check to an `Auth` error (which key, which setting);
    /// other variants pass through.
    pub fn with_auth_hint(self, hint: &str) -> SourceError {
        match self {
            SourceError::Auth(detail) => SourceError::Auth(format!("{detail}; {hint}")),
            other => other,
        }
    }
}

/// The posts one poll has read, deduplicated by external id: a post can
/// show up on two pages (the list moved between requests) or under two
/// queries.
#[derive(Debug, Default)]
pub struct Collected {
    posts: Vec<Post>,
    seen: HashSet<ExternalId>,
}

impl Collected {
    /// Adds `post` unless one with its id is in already; `true` if added.
    pub fn push(&mut self, post: Post) -> bool {
        if self.seen.insert(post.external_id.clone()) {
            self.posts.push(post);
            true
        } else {
            false
        }
    }

    pub fn len(&self) -> usize {
        self.posts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.posts.is_empty()
    }

    pub fn into_posts(self) -> Vec<Post> {
        self.posts
    }
}

/// A platform poller. One implementation per platform module.
#[async_trait]
pub trait Source: Send + Sync + std::fmt::Debug {
    fn platform(&self) -> Platform;

    /// Reads everything new since `cursor` (or since `now - backfill` when
    /// there is none), across pages. On any error nothing is returned, so
    /// the stored cursor stays where it was and the next poll re-reads.
    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError>;
}

/// Builds the running source for a checked source config.
pub fn build(kind: &SourceKind) -> Box<dyn Source> {
    match kind {
        SourceKind::Hackernews(cfg) => Box::new(hackernews::HackernewsSource::new(cfg.clone())),
        SourceKind::Mastodon(s) => Box::new(mastodon::MastodonSource::new(s.clone())),
        SourceKind::Bluesky(s) => Box::new(bluesky::BlueskySource::new(s.clone())),
        SourceKind::Reddit(s) => Box::new(reddit::RedditSource::new(s.clone())),
        SourceKind::X(s) => Box::new(x::XSource::new(s.clone())),
        SourceKind::Youtube(s) => Box::new(youtube::YoutubeSource::new(s.clone())),
        SourceKind::Feed(c) => Box::new(feed::FeedSource::new(c.clone())),
    }
}
