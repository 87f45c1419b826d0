//! `type = "reddit"`: search (site-wide or per subreddit) and subreddit
//! comments with app-only OAuth (platform-apis.md §3). `client_id` and
//! `client_secret` are secrets (each also as `_env` / `_file`), moved at
//! load into [`RedditSettings`].

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{check_endpoint, check_range, take_spec};
use crate::config::secret::{InlineSecret, SecretSpec};

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
fn default_max_pages() -> u32 {
    10
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
        check_endpoint("base_url", &self.base_url)?;
        check_endpoint("auth_url", &self.auth_url)?;
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
