//! `type = "bluesky"`: `searchPosts` logged in with an app password, or
//! anonymous on the public AppView (platform-apis.md §2). The app password
//! is a secret (`app_password`, `app_password_env` or `app_password_file`),
//! moved at load into [`BlueskySettings::app_password`].

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use super::{check_endpoint, check_range, take_spec};
use crate::config::secret::{InlineSecret, SecretSpec};

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
fn default_max_pages() -> u32 {
    10
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
        check_endpoint("pds_url", &self.pds_url)?;
        check_endpoint("appview_url", &self.appview_url)?;
        if let Some(u) = &self.base_url {
            check_endpoint("base_url", u)?;
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
