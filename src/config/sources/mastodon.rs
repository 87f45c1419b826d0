//! `type = "mastodon"`: hashtag timelines and, with a user token, status
//! search on one instance (platform-apis.md §1). The token is a secret
//! (`token`, `token_env` or `token_file`), moved at load into
//! [`MastodonSettings::token`].

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{check_endpoint, check_range, take_spec};
use crate::config::secret::{InlineSecret, SecretSpec};

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
fn default_max_pages() -> u32 {
    10
}
fn default_mastodon_limit() -> u32 {
    40
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
        check_endpoint("base_url", &self.base_url)?;
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
