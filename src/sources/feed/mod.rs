//! RSS 2.0 / Atom feeds (platform-apis.md §7): Google Alerts, review
//! sites, blogs. Each configured URL is fetched with a conditional GET
//! (`If-None-Match` / `If-Modified-Since` from the validators it sent last
//! time); a 304 means nothing new. Feeds have no query: every new entry is
//! a post and the matcher decides which are mentions.
//!
//! **Cursor** (JSON), per configured URL: `{"feeds":{"https://…":{"etag":
//! "\"ga-5f1c\"","last_modified":"Fri, 01 May 2026 12:40:00 GMT","newest":
//! "2026-05-01T12:30:41Z","seen":["9f2c…",…]}}}`. `seen` holds a 64-bit
//! hash of the external id of the entries of the last documents (at most
//! `remember`, newest documents first). An entry is new when its id is not
//! in `seen` and it is undated or dated after `newest - overlap` (`newest`
//! never passes the fetch time, so a future-dated entry cannot hide real
//! ones); on the first fetch of a URL, dated entries older than
//! `now - backfill` are skipped. Feeds reorder, drop and re-date entries,
//! so ids, not dates, decide; dates only bound how far back "new" reaches.
//!
//! **Ids**: Atom `id` / RSS `guid`, else the link, else a hash of title
//! and date. An id that is not a URI (`t3_qksbf1`, a bare database key) is
//! qualified with the feed's host (`www.reddit.com#t3_qksbf1`), since two
//! feeds may both number their entries from 1.
//!
//! **Errors**: any URL failing fails the poll (nothing partial). 410 and
//! 404 are `Rejected` with a message naming the feed's host (feed URLs can
//! be secret: Google Alerts) and telling the admin to remove it; 429, and
//! 503 with `Retry-After`, are `RateLimited` for that long; a 200 that is
//! an HTML page or not well-formed XML is `Malformed`. Redirects are
//! followed by the HTTP client.
//!
//! Tests: `feed/tests.rs` (recorded feeds in `tests/fixtures/feeds/`,
//! dates, ids, cursor rules); over HTTP against the fake feed server in
//! `tests/it/feed.rs` and the contract suite.

pub mod dates;
pub mod parse;

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use url::Url;

pub use self::parse::{parse_feed, FeedEntry, FeedKind, ParsedFeed};
use super::http::{retry_after, send_raw, RawResponse};
use super::{Batch, Cursor, PollContext, Source, SourceError};
use crate::config::FeedConfig;
use crate::domain::{Author, Engagement, ExternalId, Platform, Post};

/// What a feed reader asks for (7.3).
const ACCEPT_FEEDS: &str = "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.8";
/// Validators longer than this are not stored (a hostile server).
const MAX_VALIDATOR_LEN: usize = 512;
/// Ids longer than this are replaced by their hash.
const MAX_ID_LEN: usize = 512;

#[derive(Debug)]
pub struct FeedSource {
    cfg: FeedConfig,
}

/// The decoded cursor: one state per configured URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedCursor {
    #[serde(default)]
    pub feeds: BTreeMap<String, FeedState>,
}

/// What is remembered of one feed URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<DateTime<Utc>>,
    /// Hashes ([`id_hash`]) of recently seen entry ids, newest first.
    #[serde(default)]
    pub seen: Vec<String>,
}

impl FeedSource {
    pub fn new(cfg: FeedConfig) -> Self {
        FeedSource { cfg }
    }

    async fn fetch(&self, cx: &PollContext, url: &Url, state: Option<&FeedState>) -> Result<RawResponse, SourceError> {
        let mut req = cx.http.inner.get(url.clone()).header(ACCEPT, ACCEPT_FEEDS);
        if let Some(s) = state {
            if let Some(etag) = &s.etag {
                req = req.header(IF_NONE_MATCH, etag.as_str());
            }
            if let Some(lm) = &s.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.as_str());
            }
        }
        let resp = send_raw(req).await?;
        let code = resp.status.as_u16();
        let feed = redacted(url);
        match resp.status {
            s if s.is_success() || s == StatusCode::NOT_MODIFIED => Ok(resp),
            StatusCode::GONE => Err(SourceError::Rejected(format!(
                "feed {feed} is gone (HTTP 410 Gone): remove it from this source's `urls`"
            ))),
            StatusCode::NOT_FOUND => Err(SourceError::Rejected(format!(
                "feed {feed} was not found (HTTP 404): check the address or remove it from this source's `urls`"
            ))),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
                if retry_after(&resp.headers, cx.now).is_some() =>
            {
                let retry_after = retry_after(&resp.headers, cx.now).unwrap_or_default();
                Err(SourceError::RateLimited { retry_after })
            }
            _ => match resp.check(cx.now) {
                Err(SourceError::Auth(m)) => Err(SourceError::Auth(format!("feed {feed} refused access ({m})"))),
                Err(e) => Err(e),
                Ok(()) => Err(SourceError::Rejected(format!("feed {feed}: unexpected HTTP {code}"))),
            },
        }
    }

    /// The new entries of one fetched document, and the URL's next state.
    fn take_new(
        &self,
        cx: &PollContext,
        url: &Url,
        resp: &RawResponse,
        old: Option<&FeedState>,
    ) -> Result<(Vec<Post>, FeedState), SourceError> {
        let parsed = parse_feed(&resp.body).map_err(|e| match e {
            SourceError::Malformed(m) => SourceError::Malformed(format!("feed {}: {m}", redacted(url))),
            other => other,
        })?;
        let floor = match old.and_then(|s| s.newest) {
            Some(n) => n - chrono::Duration::from_std(self.cfg.overlap).unwrap_or_default(),
            // Nothing read from this URL yet: a first fetch.
            None if old.is_none_or(|s| s.seen.is_empty()) => {
                cx.now - chrono::Duration::from_std(cx.backfill).unwrap_or_default()
            }
            // Entries seen, none dated: ids alone decide.
            None => DateTime::<Utc>::MIN_UTC,
        };
        let seen: HashSet<&str> = old.map(|s| s.seen.iter().map(String::as_str).collect()).unwrap_or_default();
        let mut next = FeedState {
            etag: header(resp, ETAG),
            last_modified: header(resp, LAST_MODIFIED),
            newest: old.and_then(|s| s.newest),
            seen: Vec::with_capacity(parsed.entries.len()),
        };
        let mut posts = Vec::new();
        for entry in parsed.entries {
            let dated = entry.published.is_some();
            let post = entry_to_post(entry, url, cx.now);
            let hash = id_hash(post.external_id.as_str());
            if dated {
                next.newest = next.newest.max(Some(post.created_at.min(cx.now)));
            }
            let is_new = !seen.contains(hash.as_str()) && (!dated || post.created_at >= floor);
            if !next.seen.contains(&hash) {
                next.seen.push(hash);
            }
            if is_new {
                posts.push(post);
            }
        }
        for h in old.map(|s| s.seen.as_slice()).unwrap_or_default() {
            if next.seen.len() >= self.cfg.remember {
                break;
            }
            if !next.seen.contains(h) {
                next.seen.push(h.clone());
            }
        }
        next.seen.truncate(self.cfg.remember);
        Ok((posts, next))
    }
}

#[async_trait]
impl Source for FeedSource {
    fn platform(&self) -> Platform {
        Platform::Feed
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let old: FeedCursor = match cursor.map(Cursor::from_json) {
            None => FeedCursor::default(),
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                tracing::warn!(source = %cx.source, error = %e, "unreadable feed cursor; reading from the backfill start");
                FeedCursor::default()
            }
        };
        let mut next = FeedCursor::default();
        let mut posts: Vec<Post> = Vec::new();
        let mut ids: HashSet<String> = HashSet::new();
        let mut pages = 0;
        for url in self.cfg.all_urls() {
            let state = old.feeds.get(url.as_str());
            let resp = self.fetch(cx, url, state).await?;
            pages += 1;
            if resp.status == StatusCode::NOT_MODIFIED {
                tracing::debug!(source = %cx.source, feed = %redacted(url), "feed not modified");
                if let Some(s) = state {
                    next.feeds.insert(url.to_string(), s.clone());
                }
                continue;
            }
            let (new, st) = self.take_new(cx, url, &resp, state)?;
            tracing::debug!(source = %cx.source, feed = %redacted(url), new = new.len(), "feed read");
            posts.extend(new.into_iter().filter(|p| ids.insert(p.external_id.as_str().to_string())));
            next.feeds.insert(url.to_string(), st);
        }
        Ok(Batch { posts, next: Some(Cursor::to_json(&next)), pages, throttle: None })
    }
}

/// An entry as a post: id qualified, link made absolute, a missing date
/// replaced by the fetch time.
pub fn entry_to_post(entry: FeedEntry, feed: &Url, fetched_at: DateTime<Utc>) -> Post {
    let host = feed.host_str().unwrap_or("feed");
    let link = entry
        .link
        .as_deref()
        .and_then(|l| feed.join(l).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from);
    let id = match (&entry.id, &link) {
        (Some(id), _) if is_uri(id) => id.clone(),
        (Some(id), _) => format!("{host}#{id}"),
        (None, Some(l)) => l.clone(),
        (None, None) => {
            let seed = format!("{}\n{}", entry.title, entry.date_raw.as_deref().unwrap_or(""));
            format!("{host}#hash:{}", id_hash(&seed))
        }
    };
    let id = if id.len() > MAX_ID_LEN { format!("{host}#hash:{}", id_hash(&id)) } else { id };
    let url = link
        .or_else(|| entry.id.as_ref().filter(|i| i.starts_with("http://") || i.starts_with("https://")).cloned())
        .unwrap_or_else(|| feed.to_string());
    let text = match (entry.title.is_empty(), entry.body.is_empty()) {
        (_, true) => entry.title,
        (true, false) => entry.body,
        (false, false) if entry.body.starts_with(&entry.title) => entry.body,
        (false, false) => format!("{}\n\n{}", entry.title, entry.body),
    };
    Post {
        platform: Platform::Feed,
        external_id: ExternalId::new(id),
        url,
        author: Author { handle: entry.author.unwrap_or_default(), display_name: None, followers: None },
        text,
        created_at: entry.published.unwrap_or(fetched_at),
        lang: entry.lang,
        engagement: Engagement::default(),
    }
}

/// `scheme:rest` with an RFC 3986 scheme: globally unique as written
/// (`tag:`, `urn:`, `http:`, `yt:`).
fn is_uri(id: &str) -> bool {
    let Some((scheme, rest)) = id.split_once(':') else { return false };
    !rest.is_empty()
        && scheme.len() >= 2
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// A stable 64-bit FNV-1a hash as 16 hex digits (stored in cursors, so it
/// must not change between versions or processes, unlike std's hasher).
pub fn id_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A feed URL for logs and errors: scheme and host only, since feed URLs
/// can be capabilities (Google Alerts).
pub fn redacted(url: &Url) -> String {
    format!("{}://{}/…", url.scheme(), url.host_str().unwrap_or("?"))
}

fn header(resp: &RawResponse, name: reqwest::header::HeaderName) -> Option<String> {
    let v = resp.headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty() && v.len() <= MAX_VALIDATOR_LEN).then(|| v.to_string())
}

#[cfg(test)]
mod tests;
