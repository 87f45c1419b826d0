//! Bluesky (platform-apis.md §2): `app.bsky.feed.searchPosts` with
//! `sort=latest` for each of the source's queries, logged in with an app
//! password (`auth.rs`) and sent to the PDS, or anonymous on the public
//! AppView when no credentials are configured (Bluesky often answers that
//! with a 403, classified `Auth` with a hint: no retry loop).
//!
//! **Reading a window**: `since` (inclusive, on `sortAt` = the earlier of
//! `createdAt` and `indexedAt`) bounds a query from below; pages follow
//! `cursor` newest first until it is absent. A short page is *not* the end
//! (the AppView drops deleted and blocked posts while the cursor goes on).
//! Anonymous, where the AppView refuses `cursor`, pages move `until` down
//! instead.
//!
//! **Cursor**: JSON, the newest `sortAt` read (never past `now`) and, per
//! query, a stretch not read yet:
//! `{"newest":"2026-05-01T12:30:42.004Z","backlog":{"acme air":{"since":"2026-05-01T12:00:00Z","until":"2026-05-01T12:10:00.001Z"}}}`.
//! A poll reads `since = newest − overlap` (the overlap covers the search
//! index's lag; the store drops what is read twice), or `now − backfill`
//! the first time. When paging stops early (`max_pages`, or the rate-limit
//! budget spent) before reaching the old cursor, the unread stretch (from
//! the old cursor up to the oldest post read) is kept in `backlog` and read
//! with `since`/`until` on the same and the next polls, so no post is
//! skipped however many arrive. An unreadable cursor is logged and read as
//! absent.
//!
//! **Budget**: `RateLimit-*` (epoch reset) feeds `Batch.throttle`; a 429
//! (`RateLimitExceeded`) waits for `Retry-After` or the reset.
//!
//! Followers are not in search results (`getProfiles` would cost a request
//! per 25 authors); `Author::followers` stays `None`.
//!
//! Tests: `bluesky/tests.rs` (recorded fixtures in `tests/fixtures/bluesky/`,
//! hostile posts, URIs, URLs, cursors); the session flow and polling
//! against the fake PDS in `tests/it/bluesky.rs` and the contract suite.

mod auth;
mod wire;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use url::Url;

use self::auth::Auth;
pub use self::auth::{is_expired, RENEW_ERRORS};
pub use self::wire::{
    format_time, parse_post_uri, parse_search_page, parse_search_posts, permalink, sort_at, view_to_post,
    xrpc_error_name, SearchPage,
};
use super::http::{endpoint, send_raw, RawResponse};
use super::paged::{read_cursor, Poll};
use super::{saturating_sub, Batch, Cursor, PollContext, Source, SourceError};
use crate::config::{BlueskyConfig, BlueskySettings};
use crate::domain::Platform;

/// Re-reading from one millisecond above a post makes `until` (exclusive)
/// include every post of that millisecond.
const ONE_MS: chrono::Duration = chrono::Duration::milliseconds(1);

#[derive(Debug)]
pub struct BlueskySource {
    cfg: BlueskyConfig,
    /// Where `searchPosts` goes (see `BlueskyConfig::base_url`).
    search_base: Url,
    /// `None`: anonymous.
    auth: Option<Auth>,
}

/// Where a source got to; see the module doc.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub backlog: BTreeMap<String, Gap>,
}

/// A stretch of one query not read yet: `since` inclusive, `until`
/// exclusive (`None`: up to now).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub since: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

impl Gap {
    /// The smallest stretch covering both (re-reading the part between is
    /// harmless).
    pub fn merge(self, other: Gap) -> Gap {
        let until = match (self.until, other.until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        Gap { since: self.since.min(other.since), until }
    }
}

impl BlueskyCursor {
    pub fn parse(cursor: &Cursor) -> Option<BlueskyCursor> {
        cursor.from_json().ok()
    }

    pub fn encode(&self) -> Cursor {
        Cursor::to_json(self)
    }
}

/// What reading one stretch found.
#[derive(Debug, Default)]
struct Window {
    /// Paging reached the end (or the bottom of the stretch).
    complete: bool,
    newest: Option<DateTime<Utc>>,
    oldest: Option<DateTime<Utc>>,
}

impl BlueskySource {
    pub fn new(settings: BlueskySettings) -> Self {
        let cfg = settings.config;
        let auth = match (cfg.identifier.as_deref(), settings.app_password) {
            (Some(id), Some(pw)) => Some(Auth::new(id.trim().to_string(), pw, cfg.pds_url.clone())),
            _ => None,
        };
        let default_base = if auth.is_some() { &cfg.pds_url } else { &cfg.appview_url };
        let search_base = cfg.base_url.clone().unwrap_or_else(|| default_base.clone());
        BlueskySource { cfg, search_base, auth }
    }

    /// `{base}/xrpc/app.bsky.feed.searchPosts?q=…&sort=latest&limit=…&since=…[&until=…][&cursor=…]`
    pub fn search_url(&self, query: &str, gap: Gap, cursor: Option<&str>) -> Result<Url, SourceError> {
        let mut url = endpoint(&self.search_base, &["xrpc", "app.bsky.feed.searchPosts"])?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", query)
                .append_pair("sort", "latest")
                .append_pair("limit", &self.cfg.limit.to_string())
                .append_pair("since", &format_time(gap.since));
            if let Some(until) = gap.until {
                q.append_pair("until", &format_time(until));
            }
            if let Some(c) = cursor {
                q.append_pair("cursor", c);
            }
        }
        Ok(url)
    }

    fn auth_hint(&self) -> &'static str {
        if self.auth.is_some() {
            "Bluesky refused the session even after a fresh login: check the account and its app password"
        } else {
            "Bluesky refuses anonymous search here: give `identifier` and `app_password`"
        }
    }

    /// A search request, with the session's token (renewed once if it
    /// expired).
    async fn get(&self, poll: &mut Poll<'_>, url: Url) -> Result<RawResponse, SourceError> {
        let cx = poll.cx;
        let resp = match &self.auth {
            None => send_raw(cx.http.inner.get(url)).await?,
            Some(auth) => {
                let token = auth.access(cx).await?;
                let resp = send_raw(cx.http.inner.get(url.clone()).bearer_auth(token.expose_secret())).await?;
                if is_expired(&resp) {
                    tracing::debug!(source = %cx.source, "Bluesky access token expired; renewing the session");
                    let token = auth.renew(cx, &token).await?;
                    send_raw(cx.http.inner.get(url).bearer_auth(token.expose_secret())).await?
                } else {
                    resp
                }
            }
        };
        poll.budget.observe(&resp.headers, Utc::now());
        Ok(resp)
    }

    /// Reads one query's stretch, newest first, adding what it finds.
    async fn read_window(&self, poll: &mut Poll<'_>, query: &str, gap: Gap) -> Result<Window, SourceError> {
        let mut w = Window::default();
        // Logged in, pages follow `cursor`. Anonymous, the AppView refuses
        // `cursor` (a 403), so pages move `until` down to just above the
        // oldest post read instead (that millisecond is read twice; the
        // store drops the duplicates).
        let (mut stretch, mut cursor) = (gap, None::<String>);
        for _ in 0..self.cfg.max_pages {
            if poll.out_of_budget() {
                return Ok(w);
            }
            let resp = self.get(poll, self.search_url(query, stretch, cursor.as_deref())?).await?;
            let page = parse_search_page(resp.json_body(Utc::now()).map_err(|e| e.with_auth_hint(self.auth_hint()))?)?;
            poll.pages += 1;
            tracing::debug!(source = %poll.cx.source, query, items = page.items, "search page");
            w.newest = w.newest.max(page.newest);
            w.oldest = match (w.oldest, page.oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            for post in page.posts {
                if post.created_at >= gap.since {
                    poll.read.push(post);
                }
            }
            // Done: the bottom of the stretch, the last page, or the same
            // cursor again.
            let below = page.oldest.is_some_and(|o| o < gap.since);
            w.complete = below || page.cursor.is_none() || page.cursor == cursor;
            match page.cursor {
                _ if w.complete => return Ok(w),
                Some(next) if self.auth.is_some() => cursor = Some(next),
                _ => match page.oldest.map(|o| o + ONE_MS) {
                    Some(u) if stretch.until.is_none_or(|old| u < old) => stretch.until = Some(u),
                    // Nothing to move `until` by: left for the backlog.
                    _ => return Ok(w),
                },
            }
        }
        Ok(w)
    }

    /// Reads one query: the fresh stretch from `since`, then its backlog.
    /// `floor` is where certainty starts (the old cursor: everything above
    /// it is new; the overlap below it is a best-effort re-read). Returns
    /// the backlog left and the newest `sortAt` seen.
    async fn poll_query(
        &self,
        poll: &mut Poll<'_>,
        query: &str,
        (since, floor): (DateTime<Utc>, DateTime<Utc>),
        backlog: Option<Gap>,
    ) -> Result<(Option<Gap>, Option<DateTime<Utc>>), SourceError> {
        let mut newest = None;
        let unread = if poll.spent.is_some() {
            Some(Gap { since: floor, until: None })
        } else {
            let w = self.read_window(poll, query, Gap { since, until: None }).await?;
            newest = w.newest;
            match (w.complete, w.oldest) {
                (true, _) => None,
                (false, None) => Some(Gap { since: floor, until: None }),
                (false, Some(o)) if o >= floor => Some(Gap { since: floor, until: Some(o + ONE_MS) }),
                // Paging reached below the old cursor: every new post is read.
                (false, Some(_)) => None,
            }
        };
        if unread.is_some() {
            tracing::debug!(source = %poll.cx.source, query, "paging stopped early; the rest goes to the backlog");
        }
        let gap = match (backlog, unread) {
            (Some(b), Some(u)) => Some(b.merge(u)),
            (b, u) => b.or(u),
        };
        let Some(g) = gap else { return Ok((None, newest)) };
        if poll.spent.is_some() {
            return Ok((Some(g), newest));
        }
        let w = self.read_window(poll, query, g).await?;
        newest = newest.max(w.newest);
        let left = match (w.complete, w.oldest) {
            (true, _) => None,
            (false, None) => Some(g),
            (false, Some(o)) if g.until.is_none_or(|u| o + ONE_MS < u) => {
                Some(Gap { since: g.since, until: Some(o + ONE_MS) })
            }
            (false, Some(_)) => {
                tracing::warn!(
                    source = %poll.cx.source,
                    query,
                    "backlog read made no progress (does the server honour `until`?); dropping it"
                );
                None
            }
        };
        Ok((left, newest))
    }
}

#[async_trait]
impl Source for BlueskySource {
    fn platform(&self) -> Platform {
        Platform::Bluesky
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let old = read_cursor(cx, cursor, BlueskyCursor::parse);
        let since = match old.newest {
            Some(w) => saturating_sub(w, self.cfg.overlap),
            None => cx.backfill_start(),
        };
        let floor = old.newest.unwrap_or(since);
        let mut next = BlueskyCursor { newest: old.newest, backlog: BTreeMap::new() };
        let mut poll = Poll::new(cx);
        for query in cx.queries.iter() {
            let (left, newest) =
                self.poll_query(&mut poll, query, (since, floor), old.backlog.get(query).copied()).await?;
            next.newest = next.newest.max(newest.map(|n| n.min(cx.now)));
            if let Some(gap) = left {
                next.backlog.insert(query.clone(), gap);
            }
        }
        let next = (cursor.is_some() || next != BlueskyCursor::default()).then(|| next.encode());
        Ok(poll.finish(next))
    }
}

#[cfg(test)]
mod tests;
