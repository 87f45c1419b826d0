//! X (Twitter) through API v2 recent search (platform-apis.md §5):
//! `GET {base_url}/tweets/search/recent` with an app-only bearer token, the
//! brands' queries OR-ed into one query, `since_id` + `next_token` paging,
//! authors joined from `includes.users`.
//!
//! **Cursor**: normally the decimal `since_id`, the `meta.newest_id` of the
//! first page of the last poll that read anything (`"1915000000000000123"`;
//! unchanged when a poll reads nothing, per the "Polling and listening"
//! guide, 5.4). When a poll stops at `max_pages` with pages left, the
//! unread rest of its window is kept as a *backlog* and the cursor becomes
//! JSON: `{"since_id":"…","backlog":{"since_id":"…","until_id":"…"}}`
//! (`start_time` instead of the backlog's `since_id` on a first run). The
//! next poll reads the backlog (`until_id` = oldest id read, exclusive)
//! before anything newer, so nothing is skipped, and a heavy hour costs
//! several polls instead of an unbounded one.
//!
//! **First run** (no cursor): `start_time = now - backfill`, clamped to X's
//! 7-day window. **Stale cursor**: if X answers 400 naming `since_id` (the
//! id is older than 7 days: earshot was down that long), the poll reads
//! from `start_time = now - backfill` instead, like a first run, and logs a
//! warning naming the gap; that keeps the flood bounded the same way the
//! admin bounded the first run.
//!
//! Errors: 401/403 problem JSON → `Auth` with what X said; 429 →
//! `RateLimited` until `x-rate-limit-reset` (epoch seconds); a 200 with
//! `errors` next to `data` is fine (logged). `Batch::throttle` is set from
//! the last response's `x-rate-limit-*` headers when the budget runs low.
//!
//! Tests: `x/tests.rs` (recorded responses in `tests/fixtures/x/`, query
//! building, cursor handling); over HTTP against the fake X in
//! `tests/it/x.rs` and the contract suite `tests/it/contract/x.rs`.

pub mod wire;

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use self::wire::{classify_error, parse_id, parse_search, Failure, SearchPage};
use super::http::{check_json_body, send_raw, throttle};
use super::{Batch, Cursor, PollContext, Source, SourceError};
use crate::config::{XConfig, XSettings};
use crate::domain::{Platform, Post};

/// Recent search reaches this far back (5.1).
const SEARCH_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);
/// Kept off the edge of the 7-day window, so a `start_time` computed now is
/// still inside it when X checks it.
const WINDOW_MARGIN: Duration = Duration::from_secs(300);

/// Fields requested with every search (5.2).
const TWEET_FIELDS: &str = "created_at,public_metrics,lang,author_id,note_tweet";
const USER_FIELDS: &str = "username,name,public_metrics";

#[derive(Debug)]
pub struct XSource {
    cfg: XConfig,
    token: SecretString,
}

/// Where a search window starts (exclusive id, or inclusive time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lower {
    #[serde(with = "id_string")]
    SinceId(u64),
    StartTime(DateTime<Utc>),
}

/// The unread, older part of a window a poll did not finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    #[serde(flatten)]
    pub lower: Lower,
    /// Exclusive upper bound: the oldest id already read.
    #[serde(with = "id_string")]
    pub until_id: u64,
}

/// The decoded cursor (see the module doc for its two spellings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct XCursor {
    #[serde(default, with = "opt_id_string", skip_serializing_if = "Option::is_none")]
    pub since_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Backlog>,
}

impl XCursor {
    /// Reads either spelling; `None` (with a warning) if it is neither.
    pub fn parse(cursor: &Cursor, cx: &PollContext) -> Option<XCursor> {
        let raw = cursor.0.trim();
        let parsed = match parse_id(raw) {
            Some(id) => Some(XCursor { since_id: Some(id), backlog: None }),
            None => cursor.from_json().ok(),
        };
        if parsed.is_none() {
            tracing::warn!(source = %cx.source, cursor = %raw, "unreadable X cursor; reading from the backfill start");
        }
        parsed
    }

    /// The stored form: plain digits unless there is a backlog.
    pub fn to_cursor(&self) -> Option<Cursor> {
        match (self.since_id, &self.backlog) {
            (None, None) => None,
            (Some(id), None) => Some(Cursor(id.to_string())),
            _ => Some(Cursor::to_json(self)),
        }
    }
}

/// What a poll has read so far.
#[derive(Debug, Default)]
struct Read {
    posts: Vec<Post>,
    seen: HashSet<u64>,
    pages: u32,
    /// Page budget left for this poll.
    budget: u32,
    throttle: Option<Duration>,
}

impl Read {
    fn add(&mut self, page: SearchPage) {
        for p in page.posts {
            if p.external_id.as_str().parse::<u64>().is_ok_and(|id| self.seen.insert(id)) {
                self.posts.push(p);
            }
        }
    }
}

/// How reading one window ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    /// `meta.newest_id` of the window's first page.
    first_newest: Option<u64>,
    /// `Some(oldest id read)` when pages were left unread.
    unfinished: Option<u64>,
}

impl XSource {
    pub fn new(settings: XSettings) -> Self {
        XSource { cfg: settings.config, token: settings.bearer_token }
    }

    /// The search URL for one page.
    pub fn search_url(
        &self,
        query: &str,
        lower: Lower,
        until_id: Option<u64>,
        next_token: Option<&str>,
    ) -> Result<Url, SourceError> {
        let mut url = self.cfg.base_url.clone();
        url.path_segments_mut()
            .map_err(|_| SourceError::Rejected("x base_url cannot take a path".into()))?
            .pop_if_empty()
            .extend(["tweets", "search", "recent"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("query", query)
                .append_pair("max_results", &self.cfg.max_results.to_string())
                .append_pair("tweet.fields", TWEET_FIELDS)
                .append_pair("expansions", "author_id")
                .append_pair("user.fields", USER_FIELDS);
            match lower {
                Lower::SinceId(id) => q.append_pair("since_id", &id.to_string()),
                Lower::StartTime(t) => q.append_pair("start_time", &t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            };
            if let Some(id) = until_id {
                q.append_pair("until_id", &id.to_string());
            }
            if let Some(t) = next_token {
                q.append_pair("next_token", t);
            }
        }
        Ok(url)
    }

    async fn fetch(&self, cx: &PollContext, url: Url) -> Result<(SearchPage, Option<Duration>), Failure> {
        let resp = send_raw(cx.http.inner.get(url).bearer_auth(self.token.expose_secret())).await?;
        if !resp.status.is_success() {
            return Err(classify_error(resp.status, &resp.headers, &resp.body, cx.now));
        }
        check_json_body(resp.content_type(), &resp.body)?;
        let page = parse_search(&resp.body)?;
        if page.partial_errors > 0 || page.skipped > 0 {
            tracing::debug!(
                source = %cx.source,
                partial_errors = page.partial_errors,
                skipped = page.skipped,
                "X page carried partial errors or unusable tweets"
            );
        }
        Ok((page, throttle(&resp.headers, cx.now)))
    }

    /// Pages through one window, newest first, within the poll's budget.
    async fn read_window(
        &self,
        cx: &PollContext,
        query: &str,
        lower: Lower,
        until_id: Option<u64>,
        read: &mut Read,
    ) -> Result<Outcome, Failure> {
        let mut token: Option<String> = None;
        let mut out = Outcome { first_newest: None, unfinished: None };
        let mut oldest: Option<u64> = None;
        loop {
            let url = self.search_url(query, lower, until_id, token.as_deref())?;
            let (page, wait) = self.fetch(cx, url).await?;
            read.pages += 1;
            read.budget = read.budget.saturating_sub(1);
            read.throttle = wait;
            if token.is_none() {
                out.first_newest = page.newest_id;
            }
            oldest = match (oldest, page.oldest_id) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let next = page.next_token.clone().filter(|_| page.result_count > 0);
            read.add(page);
            match next {
                None => return Ok(out),
                Some(_) if read.budget == 0 => {
                    out.unfinished = oldest.or(until_id);
                    if out.unfinished.is_none() {
                        tracing::warn!(source = %cx.source, "X pages left unread but no id to resume below; skipped");
                    }
                    return Ok(out);
                }
                Some(t) => token = Some(t),
            }
        }
    }

    /// The first-run (and stale-cursor) window start: `now - backfill`,
    /// kept inside X's 7-day window and at least a minute back.
    pub fn backfill_start(cx: &PollContext) -> DateTime<Utc> {
        let back = cx.backfill.clamp(Duration::from_secs(60), SEARCH_WINDOW - WINDOW_MARGIN);
        cx.now - chrono::Duration::from_std(back).unwrap_or_else(|_| chrono::Duration::hours(1))
    }

    /// The oldest `start_time` X accepts now, with the margin.
    fn oldest_start(cx: &PollContext) -> DateTime<Utc> {
        cx.now - chrono::Duration::from_std(SEARCH_WINDOW - WINDOW_MARGIN).unwrap_or_else(|_| chrono::Duration::days(6))
    }
}

#[async_trait]
impl Source for XSource {
    fn platform(&self) -> Platform {
        Platform::X
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let query = build_query(&cx.queries, &self.cfg)?;
        let old = cursor.and_then(|c| XCursor::parse(c, cx)).unwrap_or_default();
        let mut next = old.clone();
        let mut read = Read { budget: self.cfg.max_pages, ..Read::default() };

        if let Some(mut b) = old.backlog {
            if let Lower::StartTime(t) = b.lower {
                b.lower = Lower::StartTime(t.max(Self::oldest_start(cx)));
            }
            next.backlog = match self.read_window(cx, &query, b.lower, Some(b.until_id), &mut read).await {
                Ok(o) => o.unfinished.map(|until_id| Backlog { lower: b.lower, until_id }),
                Err(Failure::SinceIdTooOld) => {
                    tracing::warn!(
                        source = %cx.source,
                        "the unread backlog fell out of X's 7-day search window; its posts are not read"
                    );
                    None
                }
                Err(Failure::Error(e)) => return Err(e),
            };
        }
        if read.budget > 0 {
            let mut lower = old.since_id.map_or_else(|| Lower::StartTime(Self::backfill_start(cx)), Lower::SinceId);
            let outcome = match self.read_window(cx, &query, lower, None, &mut read).await {
                Err(Failure::SinceIdTooOld) => {
                    lower = Lower::StartTime(Self::backfill_start(cx));
                    tracing::warn!(
                        source = %cx.source,
                        since_id = ?old.since_id,
                        start_time = ?lower,
                        "the stored X position is older than the 7-day search window (earshot was down that long); \
                         reading from the backfill start, posts before it are not read"
                    );
                    self.read_window(cx, &query, lower, None, &mut read).await
                }
                other => other,
            };
            let outcome = match outcome {
                Ok(o) => o,
                Err(Failure::SinceIdTooOld) => {
                    return Err(SourceError::Rejected("X refused since_id even after a fallback".into()))
                }
                Err(Failure::Error(e)) => return Err(e),
            };
            if let Some(newest) = outcome.first_newest {
                next.since_id = Some(next.since_id.map_or(newest, |s| s.max(newest)));
            }
            if let Some(until_id) = outcome.unfinished {
                tracing::info!(
                    source = %cx.source,
                    max_pages = self.cfg.max_pages,
                    "more X posts than max_pages reads in one poll; the rest is read by the next polls"
                );
                next.backlog = Some(Backlog { lower, until_id });
            }
        }
        tracing::debug!(source = %cx.source, pages = read.pages, posts = read.posts.len(), "X poll read");
        Ok(Batch { posts: read.posts, next: next.to_cursor(), pages: read.pages, throttle: read.throttle })
    }
}

/// One recent-search query from the brands' terms: each term quoted (an
/// exact phrase; a `"` inside a term is dropped, X has no escape for it),
/// OR-ed, then `-is:retweet` and the configured operators. Refused when
/// empty or longer than `max_query_len` (X would answer 400).
pub fn build_query(queries: &[String], cfg: &XConfig) -> Result<String, SourceError> {
    let terms: Vec<String> = queries
        .iter()
        .map(|q| q.replace('"', " "))
        .map(|q| q.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|q| !q.is_empty())
        .map(|q| format!("\"{q}\""))
        .collect();
    if terms.is_empty() {
        return Err(SourceError::Rejected(
            "no search terms: give the source `queries` or configure a brand with terms".into(),
        ));
    }
    let mut query = terms.join(" OR ");
    let suffix: Vec<&str> =
        cfg.exclude_retweets.then_some("-is:retweet").into_iter().chain(cfg.operators.as_deref()).collect();
    if !suffix.is_empty() {
        if terms.len() > 1 {
            query = format!("({query})");
        }
        for s in suffix {
            query.push(' ');
            query.push_str(s.trim());
        }
    }
    let len = query.chars().count();
    if len > cfg.max_query_len {
        return Err(SourceError::Rejected(format!(
            "the X query is {len} characters, over max_query_len = {}: give this source fewer `queries`, or raise \
             max_query_len if your plan allows longer queries",
            cfg.max_query_len
        )));
    }
    Ok(query)
}

/// Ids as JSON strings, as X writes them (never numbers: they pass 2^53).
mod id_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_id(&s).ok_or_else(|| serde::de::Error::custom("not a tweet id"))
    }
}

mod opt_id_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.collect_str(id),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse_id(&s).map(Some).ok_or_else(|| serde::de::Error::custom("not a tweet id")),
        }
    }
}

#[cfg(test)]
mod tests;
