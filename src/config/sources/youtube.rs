//! `type = "youtube"`: YouTube Data API v3 (platform-apis.md §6): video
//! search and comment threads, within a daily quota. The API key is a
//! secret: `api_key`, `api_key_env` or `api_key_file`, resolved at load into
//! [`YoutubeSettings::api_key`].

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::check_base_url;

/// `type = "youtube"` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YoutubeConfig {
    /// API root, `https://www.googleapis.com/youtube/v3` by default.
    #[serde(default = "default_base_url")]
    pub base_url: Url,
    /// API key, inline. Prefer `api_key_env` or `api_key_file`; exactly
    /// one of the three is required. Moved into
    /// [`YoutubeSettings::api_key`] at load, never kept here.
    #[serde(default)]
    pub api_key: Option<String>,
    /// Name of the environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// File holding the API key.
    #[serde(default)]
    pub api_key_file: Option<PathBuf>,
    /// Search for videos matching the queries (`search.list`, 100 quota
    /// units per page). Turn off for a comments-only source.
    #[serde(default = "default_true")]
    pub search_videos: bool,
    /// `maxResults` per search page, 1..=50.
    #[serde(default = "default_max_results")]
    pub max_results: u32,
    /// Search pages per poll at most (each costs 100 units). A window with
    /// more videos is finished by the next polls; nothing is skipped.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Re-read window below the newest `publishedAt` seen: the search
    /// index lags publication by minutes to hours. Re-read videos are
    /// recognised and dropped by the store.
    #[serde(default = "default_overlap", with = "humantime_serde")]
    pub overlap: Duration,
    /// Optional `regionCode` filter for the search (ISO 3166-1 alpha-2).
    #[serde(default)]
    pub region_code: Option<String>,
    /// Optional `relevanceLanguage` filter for the search (ISO 639-1).
    #[serde(default)]
    pub relevance_language: Option<String>,
    /// Video ids whose comment threads are read every poll
    /// (`commentThreads.list`, 1 unit per page).
    #[serde(default)]
    pub comment_videos: Vec<String>,
    /// Channel ids whose comment threads (on the channel and all its
    /// videos) are read every poll, e.g. the brand's own channel.
    #[serde(default)]
    pub comment_channels: Vec<String>,
    /// Ask YouTube to return only comments containing a query
    /// (`searchTerms`, one request series per query) instead of every
    /// comment; the matcher decides either way.
    #[serde(default)]
    pub comment_search: bool,
    /// Comment pages per video or channel per poll at most (100 comments each).
    #[serde(default = "default_comment_max_pages")]
    pub comment_max_pages: u32,
    /// Fetch view/like/comment counts (`videos.list`) and subscriber counts
    /// (`channels.list`) for the videos found: 1 unit per 50 videos each.
    #[serde(default = "default_true")]
    pub statistics: bool,
    /// Quota units this source may spend per day (Google's default project
    /// quota is 10,000). The day resets at midnight Pacific time, as
    /// Google's does; the source refuses to poll rather than exceed it.
    #[serde(default = "default_daily_quota")]
    pub daily_quota: u32,
}

fn default_base_url() -> Url {
    Url::parse("https://www.googleapis.com/youtube/v3").expect("constant URL parses")
}
fn default_true() -> bool {
    true
}
fn default_max_results() -> u32 {
    50
}
fn default_max_pages() -> u32 {
    2
}
fn default_overlap() -> Duration {
    Duration::from_secs(2 * 3600)
}
fn default_comment_max_pages() -> u32 {
    3
}
fn default_daily_quota() -> u32 {
    10_000
}

impl YoutubeConfig {
    /// Range checks serde cannot express; `(key, reason)` on failure.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        let err = |k: &str, r: &str| Err((k.to_string(), r.to_string()));
        if !(1..=50).contains(&self.max_results) {
            return err("max_results", "must be between 1 and 50 (YouTube's limit)");
        }
        if self.max_pages == 0 {
            return err("max_pages", "must be at least 1");
        }
        if self.comment_max_pages == 0 {
            return err("comment_max_pages", "must be at least 1");
        }
        if self.daily_quota < 100 {
            return err("daily_quota", "must be at least 100 (one search page costs 100 units)");
        }
        if !self.search_videos && self.comment_videos.is_empty() && self.comment_channels.is_empty() {
            return err("search_videos", "with search_videos = false, give comment_videos or comment_channels");
        }
        for (key, ids) in [("comment_videos", &self.comment_videos), ("comment_channels", &self.comment_channels)] {
            if let Some(i) = ids.iter().position(|id| !is_youtube_id(id)) {
                return Err((format!("{key}[{i}]"), format!("{:?} is not a YouTube id", ids[i])));
            }
        }
        check_base_url(&self.base_url)
    }
}

/// Video and channel ids are URL-safe base64 (`dQw4w9WgXcQ`, `UC…`).
fn is_youtube_id(id: &str) -> bool {
    (5..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A checked YouTube source: the config with its key resolved.
#[derive(Debug, Clone)]
pub struct YoutubeSettings {
    /// The config as written, with `api_key` emptied.
    pub config: YoutubeConfig,
    /// API key; `Debug` prints `[REDACTED]`. It travels in the query
    /// string, so no request URL is ever logged or put in an error.
    pub api_key: SecretString,
}
