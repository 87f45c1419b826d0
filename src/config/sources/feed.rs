//! `type = "feed"`: RSS 2.0 / Atom feeds (platform-apis.md §7), e.g.
//! Google Alerts, review sites, blogs. No credentials.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::check_base_url;

/// `type = "feed"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// One feed URL (or use `urls`).
    #[serde(default)]
    pub url: Option<Url>,
    /// Several feed URLs, read in turn by one source.
    #[serde(default)]
    pub urls: Vec<Url>,
    /// Entries dated more than this before the newest entry already seen
    /// are taken as old (a feed that re-sorted or re-dated its archive).
    /// Newer unseen entries are always read, whatever their order.
    #[serde(default = "default_overlap", with = "humantime_serde")]
    pub overlap: Duration,
    /// How many entry ids per feed are remembered in the cursor, to tell
    /// new entries from seen ones (feeds without dates need it). Keep it
    /// above the number of entries a feed shows.
    #[serde(default = "default_remember")]
    pub remember: usize,
}

fn default_overlap() -> Duration {
    Duration::from_secs(3 * 24 * 3600)
}
fn default_remember() -> usize {
    500
}

impl FeedConfig {
    /// Every configured URL, `url` first.
    pub fn all_urls(&self) -> impl Iterator<Item = &Url> {
        self.url.iter().chain(self.urls.iter())
    }

    /// Range checks serde cannot express; `(key, reason)` on failure.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        if self.url.is_none() && self.urls.is_empty() {
            return Err(("urls".into(), "give the feed address as `url` or `urls`".into()));
        }
        if let Some(u) = &self.url {
            check_base_url(u).map_err(|(_, r)| ("url".to_string(), r))?;
        }
        for (i, u) in self.urls.iter().enumerate() {
            check_base_url(u).map_err(|(_, r)| (format!("urls[{i}]"), r))?;
        }
        let mut seen = std::collections::HashSet::new();
        if let Some((i, _)) = self.urls.iter().enumerate().find(|(_, u)| !seen.insert(u.as_str())) {
            return Err((format!("urls[{i}]"), "listed twice".into()));
        }
        if self.url.as_ref().is_some_and(|u| seen.contains(u.as_str())) {
            return Err(("url".into(), "also listed in `urls`".into()));
        }
        if !(10..=10_000).contains(&self.remember) {
            return Err(("remember".into(), "must be between 10 and 10000".into()));
        }
        Ok(())
    }
}
