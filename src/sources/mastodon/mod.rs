//! Mastodon (platform-apis.md §1): hashtag timelines on one instance, and,
//! with a user token, status search for the source's queries.
//!
//! **Timelines** are read with `min_id` paging: `min_id=X` returns the
//! *oldest* `limit` statuses after X (in descending order), so a poll walks
//! forward from its cursor, page by page (the next `min_id` is the page's
//! newest id, as its `Link: rel="prev"` says), until a page comes back
//! short: gap-free however many arrived (`since_id` would skip). Each poll
//! starts `overlap` below the cursor (ids are time-derived snowflakes, and
//! late-federated remote posts can get ids below an id already read); the
//! store drops what is read twice. The first poll starts at the snowflake
//! of `now - backfill`. An unknown tag (404) reads as empty.
//!
//! **Search** (`/api/v2/search?type=statuses`, newest first, `offset`
//! paging) is best effort by nature: only instances with full-text search,
//! only opted-in posts, and `min_id` there is only a date filter, so it is
//! not sent. A poll reads pages until it meets an id at or below the
//! query's cursor (or, on the first poll, a post older than the backfill).
//!
//! **Cursor**: JSON, the newest status id read per hashtag and per query:
//! `{"tags":{"acmeair":"113500000000009876"},"search":{"acme air":"113500000000004321"}}`.
//! Ids compare as numbers. A cursor id never points past `now` (a post
//! stamped in the future cannot make later polls skip real ones). Entries
//! for tags or queries no longer configured are dropped; an unreadable
//! cursor is logged and read as absent.
//!
//! **Budget**: `X-RateLimit-*` (reset as an ISO time) feeds
//! `Batch.throttle`. When the budget is spent mid-poll the poll stops and
//! returns what it read; timeline cursors keep exactly their progress, a
//! search cursor does not move (the next poll finishes it). A 429 (its body
//! `{"error":"Too many requests"}`, no `Retry-After`) waits for the reset.
//!
//! Tests: `mastodon/tests.rs` (recorded fixtures in `tests/fixtures/mastodon/`,
//! hostile statuses, ids, Link headers, cursors); polling against the fake
//! instance in `tests/it/mastodon.rs` and the contract suite.

mod wire;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

pub use self::wire::{
    id_at, id_cmp, id_time, link_prev_min_id, parse_search, parse_search_page, parse_timeline, parse_timeline_page,
    status_to_post, StatusPage,
};
use super::http::{endpoint, send_raw, RawResponse};
use super::paged::{read_cursor, Poll};
use super::{saturating_sub, Batch, Cursor, PollContext, Source, SourceError};
use crate::config::{MastodonConfig, MastodonSettings};
use crate::domain::Platform;

#[derive(Debug)]
pub struct MastodonSource {
    cfg: MastodonConfig,
    /// `cfg.tags()`, computed once.
    tags: Vec<String>,
    token: Option<SecretString>,
}

/// Where each timeline and query got to; see the module doc.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonCursor {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub search: BTreeMap<String, String>,
}

impl MastodonCursor {
    /// The stored cursor, or `None` when it does not parse.
    pub fn parse(cursor: &Cursor) -> Option<MastodonCursor> {
        cursor.from_json().ok()
    }

    pub fn encode(&self) -> Cursor {
        Cursor::to_json(self)
    }
}

impl MastodonSource {
    pub fn new(settings: MastodonSettings) -> Self {
        let tags = settings.config.tags();
        MastodonSource { cfg: settings.config, tags, token: settings.token }
    }

    /// `{base}/api/v1/timelines/tag/{tag}?min_id=…&limit=…`
    pub fn timeline_url(&self, tag: &str, min_id: &str) -> Result<Url, SourceError> {
        let mut url = endpoint(&self.cfg.base_url, &["api", "v1", "timelines", "tag", tag])?;
        url.query_pairs_mut().append_pair("min_id", min_id).append_pair("limit", &self.cfg.limit.to_string());
        Ok(url)
    }

    /// `{base}/api/v2/search?q=…&type=statuses&limit=…[&offset=…]`
    pub fn search_url(&self, query: &str, offset: usize) -> Result<Url, SourceError> {
        let mut url = endpoint(&self.cfg.base_url, &["api", "v2", "search"])?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", query).append_pair("type", "statuses").append_pair("limit", &self.cfg.limit.to_string());
            if offset > 0 {
                q.append_pair("offset", &offset.to_string());
            }
        }
        Ok(url)
    }

    fn searching(&self) -> bool {
        self.token.is_some() && self.cfg.search
    }

    async fn get(&self, poll: &mut Poll<'_>, url: Url) -> Result<RawResponse, SourceError> {
        let mut req = poll.cx.http.inner.get(url);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token.expose_secret());
        }
        let resp = send_raw(req).await?;
        poll.budget.observe(&resp.headers, Utc::now());
        Ok(resp)
    }

    fn auth_hint(&self) -> &'static str {
        if self.token.is_some() {
            "the instance refused `token` (revoked, or without the `read` scope)"
        } else {
            "the instance wants a token for this: give a user `token`"
        }
    }

    /// Reads one hashtag forward from its cursor; the new cursor.
    async fn poll_tag(
        &self,
        poll: &mut Poll<'_>,
        tag: &str,
        from: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        let cx = poll.cx;
        let mut newest = from.map(str::to_string);
        let mut min_id = match from {
            Some(c) => overlap_start(c, self.cfg.overlap),
            None => id_at(cx.backfill_start()),
        };
        for _ in 0..self.cfg.max_pages {
            if poll.out_of_budget() {
                break;
            }
            let resp = self.get(poll, self.timeline_url(tag, &min_id)?).await?;
            if resp.status.as_u16() == 404 && resp.content_type().is_some_and(|c| c.contains("json")) {
                tracing::debug!(source = %cx.source, tag, "hashtag not known to the instance yet; nothing to read");
                break;
            }
            let page =
                parse_timeline_page(resp.json_body(Utc::now()).map_err(|e| e.with_auth_hint(self.auth_hint()))?)?;
            poll.pages += 1;
            tracing::debug!(source = %cx.source, tag, items = page.items, "timeline page");
            newest = newer(newest, page.newest_id.as_deref(), cx.now);
            let full = page.items >= self.cfg.limit as usize;
            for post in page.posts {
                poll.read.push(post);
            }
            let forward = |id: &String| id_cmp(id, &min_id) == Ordering::Greater;
            match link_prev_min_id(&resp.headers).filter(forward).or(page.newest_id.filter(forward)) {
                Some(next) if full => min_id = next,
                _ => return Ok(newest),
            }
        }
        tracing::debug!(source = %cx.source, tag, "page limit or budget reached; the rest is read next poll");
        Ok(newest)
    }

    /// Searches one query down to its cursor; the new cursor.
    async fn poll_search(
        &self,
        poll: &mut Poll<'_>,
        query: &str,
        from: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        let cx = poll.cx;
        let floor = cx.backfill_start();
        let mut newest = from.map(str::to_string);
        let mut offset = 0usize;
        for _ in 0..self.cfg.max_pages {
            if poll.out_of_budget() {
                // Newest first: moving the cursor now would skip the unread rest.
                return Ok(from.map(str::to_string));
            }
            let resp = self.get(poll, self.search_url(query, offset)?).await?;
            let page = parse_search_page(resp.json_body(Utc::now()).map_err(|e| e.with_auth_hint(self.auth_hint()))?)?;
            poll.pages += 1;
            let mut reached = false;
            for post in page.posts {
                let known = match from {
                    Some(c) => id_cmp(post.external_id.as_str(), c) != Ordering::Greater,
                    None => post.created_at < floor,
                };
                if known {
                    reached = true;
                } else {
                    poll.read.push(post);
                }
            }
            newest = newer(newest, page.newest_id.as_deref(), cx.now);
            if reached || page.items < self.cfg.limit as usize {
                return Ok(newest);
            }
            offset += page.items;
        }
        tracing::warn!(
            source = %cx.source,
            query,
            max_pages = self.cfg.max_pages,
            "search stopped at max_pages; older results of this poll are not read (search is best effort)"
        );
        Ok(newest)
    }
}

#[async_trait]
impl Source for MastodonSource {
    fn platform(&self) -> Platform {
        Platform::Mastodon
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let old = read_cursor(cx, cursor, MastodonCursor::parse);
        let queries: &[String] = if self.searching() { &cx.queries } else { &[] };
        // Entries still configured carry over, so a poll cut short keeps them.
        let mut next = MastodonCursor {
            tags: old.tags.iter().filter(|(t, _)| self.tags.contains(t)).map(|(k, v)| (k.clone(), v.clone())).collect(),
            search: old
                .search
                .iter()
                .filter(|(q, _)| queries.contains(q))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let mut poll = Poll::new(cx);
        for tag in &self.tags {
            if poll.spent.is_some() {
                break;
            }
            if let Some(id) = self.poll_tag(&mut poll, tag, old.tags.get(tag).map(String::as_str)).await? {
                next.tags.insert(tag.clone(), id);
            }
        }
        for query in queries {
            if poll.spent.is_some() {
                break;
            }
            if let Some(id) = self.poll_search(&mut poll, query, old.search.get(query).map(String::as_str)).await? {
                next.search.insert(query.clone(), id);
            }
        }
        let next = (cursor.is_some() || next != MastodonCursor::default()).then(|| next.encode());
        Ok(poll.finish(next))
    }
}

/// The `min_id` a poll starts from: `overlap` below the cursor's time, or
/// the cursor itself when it is not a snowflake.
pub fn overlap_start(cursor: &str, overlap: Duration) -> String {
    match id_time(cursor) {
        Some(t) if !overlap.is_zero() => {
            let start = id_at(saturating_sub(t, overlap));
            if id_cmp(&start, cursor) == Ordering::Less {
                start
            } else {
                cursor.to_string()
            }
        }
        _ => cursor.to_string(),
    }
}

/// The greater of a cursor and a page's newest id, an id from the future
/// counting as `now`'s.
pub fn newer(cursor: Option<String>, page_newest: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    let candidate = page_newest.map(|id| match id_time(id) {
        Some(t) if t > now => id_at(now),
        _ => id.to_string(),
    });
    match (cursor, candidate) {
        (Some(c), Some(n)) => Some(if id_cmp(&n, &c) == Ordering::Greater { n } else { c }),
        (c, n) => c.or(n),
    }
}

#[cfg(test)]
mod tests;
