//! `[[sources]]`: the settings every source shares (name, schedule,
//! backfill, queries) and one config struct per platform, selected by
//! `type`. Each platform struct documents its own keys; the newer ones
//! live in `sources/{x,youtube,feed,mastodon,bluesky,reddit}.rs`. A
//! secret key (`token`, `app_password`, `client_secret`...) also takes the
//! `_env` and `_file` forms, resolved once at load into a `SecretString`
//! held by the platform's `*Settings`.
//!
//! Tests: `config/tests.rs`.

mod bluesky;
mod feed;
mod mastodon;
mod reddit;
mod x;
mod youtube;

pub use self::bluesky::{BlueskyConfig, BlueskySettings};
pub use self::feed::FeedConfig;
pub use self::mastodon::{MastodonConfig, MastodonSettings};
pub use self::reddit::{RedditConfig, RedditSettings};
pub use self::x::{XConfig, XSettings};
pub use self::youtube::{YoutubeConfig, YoutubeSettings};

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::secret::{InlineSecret, SecretSpec};
use crate::domain::SourceName;

/// A checked source.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    pub name: SourceName,
    pub schedule: Schedule,
    /// How far back the very first poll reads.
    pub backfill: Duration,
    /// After failing this long without a success, the source raises a
    /// "source silent" alert through the routes without a brand filter.
    pub silent_after: Duration,
    /// Explicit search queries; `None` means every brand's watch terms.
    pub queries: Option<Vec<String>>,
    pub kind: SourceKind,
}

/// When a source polls.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// `every = "60s"`
    Every(Duration),
    /// `cron = "0 */5 * * * *"` (seconds field first, as tokio-cron-scheduler reads it)
    Cron(String),
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Every(d) => write!(f, "every {}", humantime::format_duration(*d)),
            Schedule::Cron(c) => write!(f, "cron {c}"),
        }
    }
}

/// The platform-specific part of a source.
#[derive(Debug, Clone)]
pub enum SourceKind {
    Hackernews(HackernewsConfig),
    X(XSettings),
    Youtube(YoutubeSettings),
    Feed(FeedConfig),
    Mastodon(MastodonSettings),
    Bluesky(BlueskySettings),
    Reddit(RedditSettings),
}

impl SourceKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            SourceKind::Hackernews(_) => "hackernews",
            SourceKind::X(_) => "x",
            SourceKind::Youtube(_) => "youtube",
            SourceKind::Feed(_) => "feed",
            SourceKind::Mastodon(_) => "mastodon",
            SourceKind::Bluesky(_) => "bluesky",
            SourceKind::Reddit(_) => "reddit",
        }
    }
}

/// The `type` values the design names; those not yet built are refused
/// with a clear message instead of "unknown".
pub(crate) const PLANNED_TYPES: &[&str] = &[];
pub(crate) const BUILT_TYPES: &[&str] = &["hackernews", "mastodon", "bluesky", "reddit", "x", "youtube", "feed"];

/// `type = "hackernews"`: Hacker News through the Algolia search API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HackernewsConfig {
    /// API root; the public one by default. Tests point it at a fake.
    #[serde(default = "default_hn_base_url")]
    pub base_url: Url,
    /// Algolia `tags`, OR-ed: which item kinds to read.
    #[serde(default = "default_hn_tags")]
    pub tags: Vec<String>,
    /// Hits per page (Algolia allows up to 1000).
    #[serde(default = "default_hn_hits_per_page")]
    pub hits_per_page: u32,
    /// Re-read window below the watermark, for same-second ties and
    /// indexing lag (duplicates are dropped by the store).
    #[serde(default = "default_hn_overlap", with = "humantime_serde")]
    pub overlap: Duration,
    /// Pages per pass over a query's window (Algolia serves at most 1000
    /// hits per query); a window with more is read in further passes with
    /// its top moved down, so nothing is skipped.
    #[serde(default = "default_hn_max_pages")]
    pub max_pages: u32,
}

fn default_hn_base_url() -> Url {
    Url::parse("https://hn.algolia.com/api/v1").expect("constant URL parses")
}
fn default_hn_tags() -> Vec<String> {
    vec!["story".into(), "comment".into()]
}
fn default_hn_hits_per_page() -> u32 {
    100
}
fn default_hn_overlap() -> Duration {
    Duration::from_secs(300)
}
fn default_hn_max_pages() -> u32 {
    10
}

impl HackernewsConfig {
    /// Range checks serde cannot express; `(key, reason)` on failure.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        if !(1..=1000).contains(&self.hits_per_page) {
            return Err(("hits_per_page".into(), "must be between 1 and 1000".into()));
        }
        if self.max_pages == 0 {
            return Err(("max_pages".into(), "must be at least 1".into()));
        }
        if self.tags.is_empty() {
            return Err(("tags".into(), "give at least one tag, e.g. [\"story\", \"comment\"]".into()));
        }
        if !matches!(self.base_url.scheme(), "http" | "https") {
            return Err(("base_url".into(), "must be an http or https URL".into()));
        }
        Ok(())
    }
}

/// An endpoint must be http(s); `(key, reason)` names `base_url`.
pub(crate) fn check_base_url(url: &Url) -> Result<(), (String, String)> {
    check_endpoint("base_url", url)
}

/// An endpoint under `key` must be http(s) with a host.
pub(crate) fn check_endpoint(key: &str, url: &Url) -> Result<(), (String, String)> {
    if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(())
    } else {
        Err((key.into(), "must be an http or https URL".into()))
    }
}

/// `(key, reason)` when `value` is outside `range`.
pub(crate) fn check_range(key: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<(), (String, String)> {
    if !range.contains(&value) {
        return Err((key.into(), format!("must be between {} and {}", range.start(), range.end())));
    }
    Ok(())
}

/// Takes the three forms of one secret out of a config struct, so the
/// struct kept in the settings holds none of them.
pub(crate) fn take_spec(
    inline: &mut Option<InlineSecret>,
    env: &mut Option<String>,
    file: &mut Option<PathBuf>,
) -> SecretSpec {
    SecretSpec { inline: inline.take().map(InlineSecret::into_inner), env: env.take(), file: file.take() }
}
