//! `[[sources]]`: the settings every source shares (name, schedule,
//! backfill, queries) and one config struct per platform, selected by
//! `type`. Each platform struct documents its own keys; those holding a
//! secret (`token`, `app_password`, `client_secret`...) also accept the
//! `_env` and `_file` forms, resolved once at load into a
//! [`SecretString`] held by the platform's `*Settings`.
//!
//! Tests: `config/tests.rs`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
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
    Mastodon(MastodonSettings),
    Bluesky(BlueskySettings),
    Reddit(RedditSettings),
}

impl SourceKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            SourceKind::Hackernews(_) => "hackernews",
            SourceKind::Mastodon(_) => "mastodon",
            SourceKind::Bluesky(_) => "bluesky",
            SourceKind::Reddit(_) => "reddit",
        }
    }
}

/// The `type` values the design names; those not yet built are refused
/// with a clear message instead of "unknown".
pub(crate) const PLANNED_TYPES: &[&str] = &["x", "youtube", "feed"];
pub(crate) const BUILT_TYPES: &[&str] = &["hackernews", "mastodon", "bluesky", "reddit"];

/// `(key, reason)` when `url` is not an http(s) URL that can take a path.
fn check_base_url(key: &str, url: &Url) -> Result<(), (String, String)> {
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err((key.into(), "must be an http or https URL".into()));
    }
    Ok(())
}

/// `(key, reason)` when `value` is outside `range`.
fn check_range(key: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<(), (String, String)> {
    if !range.contains(&value) {
        return Err((key.into(), format!("must be between {} and {}", range.start(), range.end())));
    }
    Ok(())
}

/// Takes the three forms of secret `base` out of a config struct.
fn take_spec(inline: &mut Option<InlineSecret>, env: &mut Option<String>, file: &mut Option<PathBuf>) -> SecretSpec {
    SecretSpec { inline: inline.take().map(InlineSecret::into_inner), env: env.take(), file: file.take() }
}

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
    /// Upper bound on pages per query per poll (Algolia serves at most
    /// 1000 hits per query).
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

/// `type = "mastodon"`: public hashtag timelines on one instance, and, with
/// a user token, status search for the source's queries
/// (platform-apis.md §1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    /// The instance, e.g. "https://mastodon.social". Every instance is its
    /// own server and sees a different part of the fediverse.
    pub base_url: Url,
    /// Hashtags whose timelines are read (`"acmeair"` or `"#acmeair"`,
    /// case-insensitive). The reliable public signal: needs no token.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// A user access token (Preferences → Development, scope `read`).
    /// Optional; with it, the source's queries are also searched
    /// (`/api/v2/search`, which ignores app-only tokens) and timeline
    /// reads count against the account's larger budget. Secret: give
    /// `token`, `token_env` or `token_file`.
    #[serde(default)]
    pub token: Option<InlineSecret>,
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Search statuses for the queries when a token is set.
    #[serde(default = "default_true")]
    pub search: bool,
    /// Statuses per request (Mastodon allows 1 to 40).
    #[serde(default = "default_mastodon_limit")]
    pub limit: u32,
    /// Upper bound on requests per hashtag or query per poll; a timeline
    /// stopped here resumes from its cursor on the next poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Re-read window below each hashtag's cursor: remote posts that
    /// federate late get ids from their creation time, which can fall
    /// below an already-read id. Duplicates are dropped by the store.
    #[serde(default = "default_mastodon_overlap", with = "humantime_serde")]
    pub overlap: Duration,
}

/// A checked Mastodon source.
#[derive(Debug, Clone)]
pub struct MastodonSettings {
    pub config: MastodonConfig,
    /// The user token, when given; never logged.
    pub token: Option<SecretString>,
}

fn default_true() -> bool {
    true
}
fn default_mastodon_limit() -> u32 {
    40
}
fn default_max_pages() -> u32 {
    10
}
fn default_mastodon_overlap() -> Duration {
    Duration::from_secs(120)
}

impl MastodonConfig {
    /// The hashtags without `#`, lower-cased, deduplicated, in order.
    pub fn tags(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in &self.hashtags {
            let t = t.trim().trim_start_matches('#').to_lowercase();
            if !t.is_empty() && !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    pub(crate) fn token_spec(&mut self) -> SecretSpec {
        take_spec(&mut self.token, &mut self.token_env, &mut self.token_file)
    }

    /// Range checks serde cannot express; `(key, reason)` on failure.
    /// `has_token` says whether a token was given in any form.
    pub(crate) fn check(&self, has_token: bool) -> Result<(), (String, String)> {
        check_base_url("base_url", &self.base_url)?;
        check_range("limit", self.limit, 1..=40)?;
        check_range("max_pages", self.max_pages, 1..=1000)?;
        for (i, t) in self.hashtags.iter().enumerate() {
            let t = t.trim().trim_start_matches('#');
            if t.is_empty() || t.chars().any(|c| !(c.is_alphanumeric() || c == '_' || c == '\u{b7}')) {
                return Err((
                    format!("hashtags[{i}]"),
                    "a hashtag is letters, digits and `_`, e.g. \"acmeair\"".into(),
                ));
            }
        }
        if self.hashtags.is_empty() && !(has_token && self.search) {
            return Err((
                "hashtags".into(),
                "nothing to poll: give hashtags, or a user `token` so the queries can be searched".into(),
            ));
        }
        Ok(())
    }
}

/// `type = "bluesky"`: `app.bsky.feed.searchPosts` (newest first) for the
/// source's queries (platform-apis.md §2). Logged in with an app password
/// through the PDS, or anonymous on the public AppView (which Bluesky
/// often refuses with a 403: log in for production).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    /// Account to log in as: a handle (`brand.bsky.social`) or a DID.
    #[serde(default)]
    pub identifier: Option<String>,
    /// An app password for `identifier` (Settings → Privacy and security →
    /// App passwords), never the account password. Secret: give
    /// `app_password`, `app_password_env` or `app_password_file`.
    #[serde(default)]
    pub app_password: Option<InlineSecret>,
    #[serde(default)]
    pub app_password_env: Option<String>,
    #[serde(default)]
    pub app_password_file: Option<PathBuf>,
    /// The PDS (or entryway) sessions are created on.
    #[serde(default = "default_bluesky_pds")]
    pub pds_url: Url,
    /// The public AppView searched when no credentials are given.
    #[serde(default = "default_bluesky_appview")]
    pub appview_url: Url,
    /// Where `searchPosts` is sent; by default `pds_url` when logged in,
    /// else `appview_url`.
    #[serde(default)]
    pub base_url: Option<Url>,
    /// Posts per request (1 to 100).
    #[serde(default = "default_bluesky_limit")]
    pub limit: u32,
    /// Upper bound on requests per query per poll. A query stopped here
    /// remembers the unread stretch in the cursor and reads it next poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Re-read window below the cursor (`since` = cursor − overlap), for
    /// the search index's lag; duplicates are dropped by the store.
    #[serde(default = "default_bluesky_overlap", with = "humantime_serde")]
    pub overlap: Duration,
}

/// A checked Bluesky source.
#[derive(Debug, Clone)]
pub struct BlueskySettings {
    pub config: BlueskyConfig,
    /// The app password, when logging in; never logged.
    pub app_password: Option<SecretString>,
}

fn default_bluesky_pds() -> Url {
    Url::parse("https://bsky.social").expect("constant URL parses")
}
fn default_bluesky_appview() -> Url {
    Url::parse("https://public.api.bsky.app").expect("constant URL parses")
}
fn default_bluesky_limit() -> u32 {
    100
}
fn default_bluesky_overlap() -> Duration {
    Duration::from_secs(600)
}

impl BlueskyConfig {
    pub(crate) fn app_password_spec(&mut self) -> SecretSpec {
        take_spec(&mut self.app_password, &mut self.app_password_env, &mut self.app_password_file)
    }

    /// Range checks; `has_password` says whether an app password was given.
    pub(crate) fn check(&self, has_password: bool) -> Result<(), (String, String)> {
        check_base_url("pds_url", &self.pds_url)?;
        check_base_url("appview_url", &self.appview_url)?;
        if let Some(u) = &self.base_url {
            check_base_url("base_url", u)?;
        }
        check_range("limit", self.limit, 1..=100)?;
        check_range("max_pages", self.max_pages, 1..=1000)?;
        match (self.identifier.as_deref().map(str::trim), has_password) {
            (Some(""), _) => Err(("identifier".into(), "must not be empty".into())),
            (Some(_), false) => Err((
                "app_password".into(),
                "logging in needs an app password: give `app_password`, `app_password_env` or `app_password_file`"
                    .into(),
            )),
            (None, true) => Err(("identifier".into(), "an app password needs the account's handle or DID".into())),
            _ => Ok(()),
        }
    }
}

/// `type = "reddit"`: `/search` (or `/r/{sub}/search`) sorted by new, with
/// app-only OAuth, and optionally the newest comments of the watched
/// subreddits (platform-apis.md §3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedditConfig {
    /// The app's client id (reddit.com/prefs/apps, under the app's name).
    /// Secret forms: `client_id`, `client_id_env`, `client_id_file`.
    #[serde(default)]
    pub client_id: Option<InlineSecret>,
    #[serde(default)]
    pub client_id_env: Option<String>,
    #[serde(default)]
    pub client_id_file: Option<PathBuf>,
    /// The app's secret ("script" or "web" app). Secret forms:
    /// `client_secret`, `client_secret_env`, `client_secret_file`.
    #[serde(default)]
    pub client_secret: Option<InlineSecret>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// The Reddit account that runs the app, named in the default
    /// User-Agent (`<platform>:earshot:v<version> (by /u/<username>)`).
    #[serde(default)]
    pub username: Option<String>,
    /// The whole User-Agent, in Reddit's required format
    /// `<platform>:<app id>:<version> (by /u/<username>)`; overrides the
    /// one built from `username`. Generic agents are blocked.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Subreddits to search (`"travel"` or `"r/travel"`); empty searches
    /// all of Reddit.
    #[serde(default)]
    pub subreddits: Vec<String>,
    /// Also read the newest comments of each subreddit in `subreddits`
    /// (search does not cover comments); the pipeline keeps the matches.
    #[serde(default)]
    pub comments: bool,
    /// The OAuth API root.
    #[serde(default = "default_reddit_base")]
    pub base_url: Url,
    /// Where app-only tokens come from (`/api/v1/access_token`).
    #[serde(default = "default_reddit_auth")]
    pub auth_url: Url,
    /// Items per request (1 to 100).
    #[serde(default = "default_reddit_limit")]
    pub limit: u32,
    /// Upper bound on requests per listing per poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Re-read window below the cursor, for search indexing lag;
    /// duplicates are dropped by the store.
    #[serde(default = "default_reddit_overlap", with = "humantime_serde")]
    pub overlap: Duration,
}

/// A checked Reddit source.
#[derive(Debug, Clone)]
pub struct RedditSettings {
    pub config: RedditConfig,
    pub client_id: SecretString,
    pub client_secret: SecretString,
    /// The User-Agent sent on every Reddit request.
    pub user_agent: String,
}

fn default_reddit_base() -> Url {
    Url::parse("https://oauth.reddit.com").expect("constant URL parses")
}
fn default_reddit_auth() -> Url {
    Url::parse("https://www.reddit.com").expect("constant URL parses")
}
fn default_reddit_limit() -> u32 {
    100
}
fn default_reddit_overlap() -> Duration {
    Duration::from_secs(900)
}

impl RedditConfig {
    pub(crate) fn client_id_spec(&mut self) -> SecretSpec {
        take_spec(&mut self.client_id, &mut self.client_id_env, &mut self.client_id_file)
    }

    pub(crate) fn client_secret_spec(&mut self) -> SecretSpec {
        take_spec(&mut self.client_secret, &mut self.client_secret_env, &mut self.client_secret_file)
    }

    /// The subreddit names, without `r/`, deduplicated, in order.
    pub fn subreddit_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.subreddits {
            let s = s.trim().trim_start_matches('/').trim_start_matches("r/").trim_end_matches('/');
            if !s.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
                out.push(s.to_string());
            }
        }
        out
    }

    /// The User-Agent to send: `user_agent`, else Reddit's format built
    /// from `username`.
    pub fn agent(&self) -> Option<String> {
        if let Some(ua) = self.user_agent.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            return Some(ua.to_string());
        }
        let user = self.username.as_deref()?.trim().trim_start_matches("/u/").trim_start_matches("u/");
        Some(format!("{}:earshot:v{} (by /u/{user})", std::env::consts::OS, env!("CARGO_PKG_VERSION")))
    }

    /// Range checks serde cannot express; `(key, reason)` on failure.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        check_base_url("base_url", &self.base_url)?;
        check_base_url("auth_url", &self.auth_url)?;
        check_range("limit", self.limit, 1..=100)?;
        check_range("max_pages", self.max_pages, 1..=1000)?;
        if let Some(u) = &self.username {
            let u = u.trim().trim_start_matches("/u/").trim_start_matches("u/");
            if !(3..=20).contains(&u.len()) || !u.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(("username".into(), "a Reddit username is 3-20 letters, digits, `_` or `-`".into()));
            }
        }
        match self.agent() {
            None => {
                return Err((
                    "username".into(),
                    "Reddit blocks generic User-Agents: give `username` (or a whole `user_agent`)".into(),
                ))
            }
            Some(ua) if reqwest::header::HeaderValue::from_str(&ua).is_err() => {
                return Err(("user_agent".into(), "must be printable ASCII".into()))
            }
            Some(_) => {}
        }
        for (i, s) in self.subreddits.iter().enumerate() {
            let s = s.trim().trim_start_matches('/').trim_start_matches("r/").trim_end_matches('/');
            if !(2..=21).contains(&s.len()) || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err((format!("subreddits[{i}]"), "a subreddit name is 2-21 letters, digits or `_`".into()));
            }
        }
        if self.comments && self.subreddits.is_empty() {
            return Err(("comments".into(), "reading comments needs `subreddits` to read them from".into()));
        }
        Ok(())
    }
}
