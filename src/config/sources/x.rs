//! `type = "x"`: X API v2 recent search (platform-apis.md §5). The bearer
//! token is a secret: given as `bearer_token`, `bearer_token_env` or
//! `bearer_token_file`, resolved at load into [`XSettings::bearer_token`].

use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::check_base_url;

/// `type = "x"` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    /// API root, `https://api.x.com/2` by default. Tests point it at a fake.
    #[serde(default = "default_base_url")]
    pub base_url: Url,
    /// App-only bearer token, inline. Prefer `bearer_token_env` or
    /// `bearer_token_file`; exactly one of the three is required. Moved
    /// into [`XSettings::bearer_token`] at load, never kept here.
    #[serde(default)]
    pub bearer_token: Option<String>,
    /// Name of the environment variable holding the bearer token.
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// File holding the bearer token (relative paths are read from
    /// systemd's `$CREDENTIALS_DIRECTORY` when set).
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
    /// `max_results` per page, 10..=100 (X's own bounds).
    #[serde(default = "default_max_results")]
    pub max_results: u32,
    /// Pages read per poll at most. A window with more posts is finished
    /// by the next polls (the cursor keeps the unread part), so nothing is
    /// skipped; this only bounds the cost of one poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Add `-is:retweet` to the query: a retweet repeats someone else's
    /// text, so it would alert twice.
    #[serde(default = "default_true")]
    pub exclude_retweets: bool,
    /// Extra search operators ANDed to the query, e.g. `"lang:en -is:reply"`.
    #[serde(default)]
    pub operators: Option<String>,
    /// Longest query the plan accepts (512 on most plans, 1024 or 4096 on
    /// higher ones). A longer built query is refused with a clear error
    /// instead of a 400 from X.
    #[serde(default = "default_max_query_len")]
    pub max_query_len: usize,
}

fn default_base_url() -> Url {
    Url::parse("https://api.x.com/2").expect("constant URL parses")
}
fn default_max_results() -> u32 {
    100
}
fn default_max_pages() -> u32 {
    10
}
fn default_true() -> bool {
    true
}
fn default_max_query_len() -> usize {
    512
}

impl XConfig {
    /// Range checks serde cannot express; `(key, reason)` on failure.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        if !(10..=100).contains(&self.max_results) {
            return Err(("max_results".into(), "must be between 10 and 100 (X's limits)".into()));
        }
        if self.max_pages == 0 {
            return Err(("max_pages".into(), "must be at least 1".into()));
        }
        if !(16..=4096).contains(&self.max_query_len) {
            return Err(("max_query_len".into(), "must be between 16 and 4096".into()));
        }
        if self.operators.as_deref().is_some_and(|o| o.trim().is_empty()) {
            return Err(("operators".into(), "leave it out rather than empty".into()));
        }
        check_base_url(&self.base_url)
    }
}

/// A checked X source: the config with its token resolved.
#[derive(Debug, Clone)]
pub struct XSettings {
    /// The config as written, with `bearer_token` emptied.
    pub config: XConfig,
    /// App-only bearer token; `Debug` prints `[REDACTED]`.
    pub bearer_token: SecretString,
}
