//! Reddit (platform-apis.md §3): `/search` (all of Reddit) or
//! `/r/{sub}/search?restrict_sr=1` (each configured subreddit) for each of
//! the source's queries, sorted by new, and optionally `/r/{sub}/comments`
//! (search does not cover comments), on `oauth.reddit.com` with an app-only
//! token (`auth.rs`), the User-Agent Reddit requires, and `raw_json=1` so
//! text comes unescaped.
//!
//! **Cursor**: the watermark W, the newest `created_utc` read, as decimal
//! unix seconds (`"1777638641"`); never past `now`, never backwards. A poll
//! walks each listing newest first with `after` until an item is older
//! than `W − overlap` (or `now − backfill` the first time), the listing
//! ends, or `max_pages` is reached. The overlap covers same-second ties
//! and search indexing lag; the store drops what is read twice. `t`
//! (hour, day, ... all) is the smallest window covering that reach.
//! `before=` is never used: a deleted anchor makes Reddit answer an empty
//! listing (platform-apis.md 3.5). An unreadable cursor is logged and read
//! as absent.
//!
//! **Known gap**: Reddit serves a few hundred results per search and
//! ~1000 items per listing; when more arrive within one poll interval (or
//! `max_pages` stops first), the oldest are not read. This is logged as a
//! warning; poll more often for such volumes.
//!
//! **Errors**: a subreddit that cannot be read (private, quarantined,
//! banned, or unknown: a redirect to `/subreddits/search`) is logged and
//! skipped, so one bad entry does not stop the others. 401 gets one new
//! token and one retry, then `Auth`; 403 is `Auth` (a generic User-Agent is
//! answered with an HTML "Blocked" page). `X-Ratelimit-Used/Remaining/Reset`
//! (remaining a float, reset in seconds) feeds `Batch.throttle`; with
//! nothing left, the poll fails `RateLimited` until the reset rather than
//! sending requests that would be refused.
//!
//! Removed and deleted items (`[removed]`, `[deleted]`,
//! `removed_by_category`) are skipped: there is nothing to answer.
//!
//! Tests: `reddit/tests.rs` (recorded fixtures in `tests/fixtures/reddit/`,
//! hostile items, URLs, windows); the token flow and polling against the
//! fake API in `tests/it/reddit.rs` and the contract suite.

mod auth;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, USER_AGENT};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use self::auth::Auth;
pub use self::auth::{lifetime, EXPIRY_MARGIN};
pub use self::wire::{
    error_reason, parse_listing, parse_listing_page, permalink, thing_to_post, token_refused, ListingPage, Thing, GONE,
};
use super::budget::RateBudget;
use super::http::{endpoint, send_raw_at, RawResponse};
use super::paged::read_cursor;
use super::{saturating_sub, Batch, Collected, Cursor, PollContext, Source, SourceError};
use crate::config::{RedditConfig, RedditSettings};
use crate::domain::Platform;

/// Where Reddit redirects a request for an unknown subreddit.
const UNKNOWN_SUB_PATH: &str = "/subreddits/search";
/// Added to the reach of a poll before choosing `t`.
const WINDOW_MARGIN_SECS: i64 = 300;

#[derive(Debug)]
pub struct RedditSource {
    cfg: RedditConfig,
    subreddits: Vec<String>,
    user_agent: String,
    auth: Auth,
}

/// One listing a poll walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// `/search?q=…` (`sub: None`) or `/r/{sub}/search?q=…&restrict_sr=1`.
    Search { sub: Option<String>, query: String },
    /// `/r/{sub}/comments`.
    Comments { sub: String },
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listing::Search { sub: None, query } => write!(f, "search {query:?}"),
            Listing::Search { sub: Some(s), query } => write!(f, "r/{s} search {query:?}"),
            Listing::Comments { sub } => write!(f, "r/{sub} comments"),
        }
    }
}

/// One poll's running state.
struct Poll<'a> {
    cx: &'a PollContext,
    budget: RateBudget,
    read: Collected,
    pages: u32,
    /// Newest `created_utc` read.
    newest: Option<i64>,
}

impl RedditSource {
    pub fn new(settings: RedditSettings) -> Self {
        let cfg = settings.config;
        let token_url =
            endpoint(&cfg.auth_url, &["api", "v1", "access_token"]).unwrap_or_else(|_| cfg.auth_url.clone());
        let auth = Auth::new(settings.client_id, settings.client_secret, token_url, settings.user_agent.clone());
        let subreddits = cfg.subreddit_names();
        RedditSource { cfg, subreddits, user_agent: settings.user_agent, auth }
    }

    /// The listings one poll walks, in order.
    pub fn listings(&self, queries: &[String]) -> Vec<Listing> {
        let mut out = Vec::new();
        if self.subreddits.is_empty() {
            out.extend(queries.iter().map(|q| Listing::Search { sub: None, query: q.clone() }));
        }
        for sub in &self.subreddits {
            out.extend(queries.iter().map(|q| Listing::Search { sub: Some(sub.clone()), query: q.clone() }));
            if self.cfg.comments {
                out.push(Listing::Comments { sub: sub.clone() });
            }
        }
        out
    }

    /// The URL of one page of `listing`.
    pub fn listing_url(&self, listing: &Listing, window: &str, after: Option<&str>) -> Result<Url, SourceError> {
        let mut url = match listing {
            Listing::Search { sub: None, .. } => endpoint(&self.cfg.base_url, &["search"])?,
            Listing::Search { sub: Some(s), .. } => endpoint(&self.cfg.base_url, &["r", s, "search"])?,
            Listing::Comments { sub } => endpoint(&self.cfg.base_url, &["r", sub, "comments"])?,
        };
        {
            let mut q = url.query_pairs_mut();
            if let Listing::Search { sub, query } = listing {
                q.append_pair("q", query)
                    .append_pair("sort", "new")
                    .append_pair("t", window)
                    .append_pair("type", "link");
                if sub.is_some() {
                    q.append_pair("restrict_sr", "1");
                }
            }
            q.append_pair("limit", &self.cfg.limit.to_string()).append_pair("raw_json", "1");
            if let Some(a) = after {
                q.append_pair("after", a);
            }
        }
        Ok(url)
    }

    fn request(&self, cx: &PollContext, url: Url, token: &SecretString) -> reqwest::RequestBuilder {
        cx.http
            .inner
            .get(url)
            .header(USER_AGENT, &self.user_agent)
            .header(AUTHORIZATION, format!("bearer {}", token.expose_secret()))
    }

    /// One API request; a refused token is renewed once. Also the URL
    /// that finally answered (an unknown subreddit redirects).
    async fn get(&self, poll: &mut Poll<'_>, url: Url) -> Result<(RawResponse, Url), SourceError> {
        let cx = poll.cx;
        let token = self.auth.token(cx).await?;
        let mut answer = send_raw_at(self.request(cx, url.clone(), &token)).await?;
        if answer.0.status == StatusCode::UNAUTHORIZED && token_refused(&answer.0.headers) {
            tracing::debug!(source = %cx.source, "Reddit refused the token; asking for a new one");
            self.auth.invalidate(&token).await;
            let token = self.auth.token(cx).await?;
            answer = send_raw_at(self.request(cx, url, &token)).await?;
        }
        poll.budget.observe(&answer.0.headers, Utc::now());
        Ok(answer)
    }

    /// Walks one listing down to `since`, adding what it finds.
    async fn read_listing(&self, poll: &mut Poll<'_>, listing: &Listing, since: i64) -> Result<(), SourceError> {
        let cx = poll.cx;
        // A margin, so clock skew at the window's edge cannot drop an item.
        let window = time_window(cx.now.timestamp().saturating_sub(since).saturating_add(WINDOW_MARGIN_SECS));
        let mut after: Option<String> = None;
        for _ in 0..self.cfg.max_pages {
            if let Some(wait) = poll.budget.exhausted() {
                return Err(SourceError::RateLimited { retry_after: wait });
            }
            let (resp, answered) = self.get(poll, self.listing_url(listing, window, after.as_deref())?).await?;
            if let Some(why) = unreadable_subreddit(&resp, &answered, listing) {
                tracing::warn!(source = %cx.source, listing = %listing, "subreddit cannot be read ({why}); skipped");
                return Ok(());
            }
            let body = resp.json_body(Utc::now()).map_err(|e| e.with_auth_hint(AUTH_HINT))?;
            let page = parse_listing_page(body)?;
            poll.pages += 1;
            tracing::debug!(source = %cx.source, listing = %listing, items = page.items, "listing page");
            poll.newest = poll.newest.max(page.newest);
            for post in page.posts {
                if post.created_at.timestamp() >= since {
                    poll.read.push(post);
                }
            }
            let below = page.oldest.is_some_and(|o| o < since);
            match page.after {
                Some(next) if !below && page.items > 0 && after.as_deref() != Some(next.as_str()) => after = Some(next),
                _ => return Ok(()),
            }
        }
        tracing::warn!(
            source = %cx.source,
            listing = %listing,
            max_pages = self.cfg.max_pages,
            "stopped at max_pages; the oldest items of this poll window are not read"
        );
        Ok(())
    }
}

const AUTH_HINT: &str = "Reddit refused the request: check `client_id`/`client_secret`, and that \
                         `user_agent`/`username` give a descriptive User-Agent (generic ones are blocked)";

/// Why a subreddit listing cannot be read at all, if that is what the
/// answer says: redirected to the subreddit search (unknown), 404, or a
/// 403 JSON with a `reason` (private, quarantined, banned).
fn unreadable_subreddit(resp: &RawResponse, answered: &Url, listing: &Listing) -> Option<String> {
    let on_sub = matches!(listing, Listing::Search { sub: Some(_), .. } | Listing::Comments { .. });
    if !on_sub {
        return None;
    }
    if answered.path().starts_with(UNKNOWN_SUB_PATH) {
        return Some("no such subreddit".into());
    }
    match resp.status {
        StatusCode::NOT_FOUND => Some(error_reason(&resp.body).unwrap_or_else(|| "not found".into())),
        StatusCode::FORBIDDEN => error_reason(&resp.body),
        _ => None,
    }
}

/// The smallest `t` that reaches back `age_secs`.
pub fn time_window(age_secs: i64) -> &'static str {
    const HOUR: i64 = 3600;
    match age_secs {
        a if a <= HOUR => "hour",
        a if a <= 24 * HOUR => "day",
        a if a <= 7 * 24 * HOUR => "week",
        a if a <= 31 * 24 * HOUR => "month",
        a if a <= 365 * 24 * HOUR => "year",
        _ => "all",
    }
}

/// The stored watermark, or `None` when it does not parse.
pub fn parse_cursor(cursor: &Cursor) -> Option<i64> {
    cursor.0.trim().parse::<i64>().ok()
}

#[async_trait]
impl Source for RedditSource {
    fn platform(&self) -> Platform {
        Platform::Reddit
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let watermark = read_cursor(cx, cursor, |c| parse_cursor(c).map(Some));
        let since = match watermark.and_then(|w| DateTime::<Utc>::from_timestamp(w, 0)) {
            Some(w) => saturating_sub(w, self.cfg.overlap),
            None => cx.backfill_start(),
        }
        .timestamp();
        let mut poll = Poll { cx, budget: RateBudget::default(), read: Collected::default(), pages: 0, newest: None };
        for listing in self.listings(&cx.queries) {
            self.read_listing(&mut poll, &listing, since).await?;
        }
        let newest = poll.newest.map(|n| n.min(cx.now.timestamp()));
        let next = watermark.max(newest).map(|w| Cursor(w.to_string()));
        let throttle: Option<Duration> = poll.budget.throttle();
        Ok(Batch { posts: poll.read.into_posts(), next, pages: poll.pages, throttle })
    }
}

#[cfg(test)]
mod tests;
