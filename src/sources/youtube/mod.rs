//! YouTube through the Data API v3 (platform-apis.md §6): videos from
//! `search.list` (`type=video`, `order=date`, `publishedAfter`), comment
//! threads of configured videos and channels from `commentThreads.list`
//! (optionally filtered with `searchTerms`), and like/comment/subscriber
//! counts from `videos.list` / `channels.list`, all within a daily quota.
//!
//! **Cursor** (JSON): `{"videos":{"newest":"2026-05-01T11:58:02Z",
//! "backlog":{"after":…,"before":…}},"comments":{"video:ID":"…",
//! "channel:ID":"…"},"quota":{"day":"2026-05-01","used":302}}`. `newest`
//! is the newest `publishedAt` read (never past now); a poll asks for
//! `publishedAfter = newest - overlap` (the search index lags; re-read
//! videos are dropped by the store), or `now - backfill` on the first run.
//! A search stopped by `max_pages` or the quota keeps its unread, older
//! part as `backlog` (`publishedBefore` = oldest read + 1 s), read first
//! next time, so nothing is skipped. Comments keep one watermark per video
//! or channel and page (`order=time`) until they reach it; a target whose
//! pages run out of budget keeps its old watermark.
//!
//! **Quota**: each request is charged before it is sent (search 100 units,
//! the rest 1) against `daily_quota`, per Pacific day (Google's reset), in
//! memory and in the cursor (so a restart does not forget today). A poll
//! that cannot pay for its cheapest request fails with `RateLimited` until
//! midnight Pacific, without a request; one that runs out midway stops
//! paging and keeps the rest as backlog. `Batch::throttle` spreads the
//! remaining budget over the rest of the day: after a poll costing C with
//! R units left and T until the reset, the next poll waits at least
//! `T × C / R`. A 403 `quotaExceeded` marks the day spent.
//!
//! The API key travels in the query string: requests go through
//! `send_raw`, whose errors carry no URL, and no URL is ever logged.
//!
//! Tests: `youtube/tests.rs` (recorded responses in
//! `tests/fixtures/youtube/`, quota days, error bodies); over HTTP against
//! the fake YouTube in `tests/it/youtube.rs` and the contract suite.

pub mod quota;
pub mod wire;

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use self::quota::{until_reset, Quota, QuotaDay, LIST_COST, SEARCH_COST};
use self::wire::{classify_error, parse_channel_subscribers, parse_comment_threads, parse_search, parse_video_stats};
use self::wire::{Failure, Video};
use super::http::{check_json_body, send_raw};
use super::{Batch, Cursor, PollContext, Source, SourceError};
use crate::config::{YoutubeConfig, YoutubeSettings};
use crate::domain::{Platform, Post};

/// Ids per `videos.list` / `channels.list` call (the API's maximum).
const IDS_PER_CALL: usize = 50;
/// Comment threads per page (the API's maximum).
const COMMENTS_PER_PAGE: &str = "100";

#[derive(Debug)]
pub struct YoutubeSource {
    cfg: YoutubeConfig,
    key: SecretString,
    /// std mutex: held only to charge or read, never across an await.
    quota: Mutex<Quota>,
}

/// The decoded cursor (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct YoutubeCursor {
    #[serde(default, skip_serializing_if = "VideoCursor::is_empty")]
    pub videos: VideoCursor,
    /// `video:ID` / `channel:ID` → newest comment `publishedAt` read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub comments: BTreeMap<String, DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaDay>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<Window>,
}

impl VideoCursor {
    fn is_empty(&self) -> bool {
        self.newest.is_none() && self.backlog.is_none()
    }
}

/// A `publishedAfter` / `publishedBefore` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub after: DateTime<Utc>,
    pub before: DateTime<Utc>,
}

/// What a poll has read so far.
#[derive(Debug, Default)]
struct Read {
    posts: Vec<Post>,
    seen: HashSet<String>,
    /// Index into `posts` and channel id of each video read.
    videos: Vec<(usize, Option<String>)>,
    pages: u32,
    /// Units this poll spent.
    cost: u32,
}

impl Read {
    fn add(&mut self, post: Post) -> Option<usize> {
        self.seen.insert(post.external_id.as_str().to_string()).then(|| {
            self.posts.push(post);
            self.posts.len() - 1
        })
    }
}

/// How reading one search window ended.
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    newest: Option<DateTime<Utc>>,
    oldest: Option<DateTime<Utc>>,
    /// Pages were left (page cap or quota).
    unfinished: bool,
}

impl YoutubeSource {
    pub fn new(settings: YoutubeSettings) -> Self {
        let quota = Mutex::new(Quota::new(settings.config.daily_quota, Utc::now()));
        YoutubeSource { cfg: settings.config, key: settings.api_key, quota }
    }

    fn quota(&self) -> std::sync::MutexGuard<'_, Quota> {
        self.quota.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Charges `cost` units; `false` (nothing charged) when today's budget
    /// cannot pay.
    fn charge(&self, cost: u32, read: &mut Read, now: DateTime<Utc>) -> bool {
        let ok = self.quota().charge(cost, now);
        if ok {
            read.cost += cost;
        }
        ok
    }

    /// `{base_url}/{endpoint}?{params}&key=…`. Never logged.
    pub fn url(&self, endpoint: &str, params: &[(&str, &str)]) -> Result<Url, SourceError> {
        let mut url = self.cfg.base_url.clone();
        url.path_segments_mut()
            .map_err(|_| SourceError::Rejected("youtube base_url cannot take a path".into()))?
            .pop_if_empty()
            .push(endpoint);
        url.query_pairs_mut().extend_pairs(params).append_pair("key", self.key.expose_secret());
        Ok(url)
    }

    /// One GET, classified; the body of a 2xx answer.
    async fn get(&self, cx: &PollContext, url: Url, read: &mut Read) -> Result<Vec<u8>, Failure> {
        read.pages += 1;
        let resp = send_raw(cx.http.inner.get(url)).await?;
        if !resp.status.is_success() {
            return Err(classify_error(resp.status, &resp.headers, &resp.body, cx.now));
        }
        check_json_body(resp.content_type(), &resp.body)?;
        Ok(resp.body)
    }

    /// Pages through one search window, newest first.
    async fn search_window(
        &self,
        cx: &PollContext,
        q: &str,
        after: DateTime<Utc>,
        before: Option<DateTime<Utc>>,
        budget: &mut u32,
        read: &mut Read,
    ) -> Result<Outcome, Failure> {
        let (after_s, before_s) = (rfc3339(after), before.map(rfc3339));
        let max_results = self.cfg.max_results.to_string();
        let mut out = Outcome::default();
        let mut token: Option<String> = None;
        loop {
            if *budget == 0 || !self.charge(SEARCH_COST, read, cx.now) {
                out.unfinished = true;
                return Ok(out);
            }
            *budget -= 1;
            let mut params = vec![
                ("part", "snippet"),
                ("type", "video"),
                ("order", "date"),
                ("q", q),
                ("publishedAfter", &after_s),
                ("maxResults", &max_results),
            ];
            if let Some(b) = &before_s {
                params.push(("publishedBefore", b));
            }
            for (k, v) in [("regionCode", &self.cfg.region_code), ("relevanceLanguage", &self.cfg.relevance_language)] {
                if let Some(v) = v {
                    params.push((k, v));
                }
            }
            if let Some(t) = &token {
                params.push(("pageToken", t));
            }
            let page = parse_search(&self.get(cx, self.url("search", &params)?, read).await?)?;
            for Video { post, channel_id } in page.videos {
                let t = post.created_at;
                out.newest = out.newest.max(Some(t));
                out.oldest = Some(out.oldest.map_or(t, |o| o.min(t)));
                if let Some(i) = read.add(post) {
                    read.videos.push((i, channel_id));
                }
            }
            match page.next_page_token {
                Some(t) if token.as_deref() != Some(t.as_str()) => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    async fn poll_videos(&self, cx: &PollContext, state: &mut VideoCursor, read: &mut Read) -> Result<(), Failure> {
        let q = search_query(&cx.queries)?;
        let mut budget = self.cfg.max_pages;
        if let Some(b) = state.backlog {
            let o = self.search_window(cx, &q, b.after, Some(b.before), &mut budget, read).await?;
            state.backlog = match (o.unfinished, o.oldest) {
                (false, _) => None,
                (true, Some(oldest)) => Some(Window { after: b.after, before: oldest + chrono::Duration::seconds(1) }),
                (true, None) => Some(b),
            };
            if state.backlog.is_some() {
                return Ok(());
            }
        }
        let after = match state.newest {
            Some(w) => w - chrono::Duration::from_std(self.cfg.overlap).unwrap_or_default(),
            None => cx.now - chrono::Duration::from_std(cx.backfill).unwrap_or_default(),
        };
        let o = self.search_window(cx, &q, after, None, &mut budget, read).await?;
        if let Some(n) = o.newest {
            state.newest = state.newest.max(Some(n.min(cx.now)));
        }
        if o.unfinished {
            if let Some(oldest) = o.oldest {
                tracing::info!(
                    source = %cx.source,
                    "YouTube search window not finished (max_pages or quota); the rest is read by the next polls"
                );
                state.backlog = Some(Window { after, before: oldest + chrono::Duration::seconds(1) });
            }
        }
        Ok(())
    }

    /// Reads the comment threads of one video or channel down to its
    /// watermark; returns the new watermark, `None` to keep the old one.
    async fn poll_comments(
        &self,
        cx: &PollContext,
        (param, id): (&str, &str),
        watermark: Option<DateTime<Utc>>,
        read: &mut Read,
    ) -> Result<Option<DateTime<Utc>>, Failure> {
        let floor = match watermark {
            Some(w) => w - chrono::Duration::from_std(self.cfg.overlap).unwrap_or_default(),
            None => cx.now - chrono::Duration::from_std(cx.backfill).unwrap_or_default(),
        };
        let terms: Vec<Option<&str>> =
            if self.cfg.comment_search { cx.queries.iter().map(|q| Some(q.as_str())).collect() } else { vec![None] };
        let mut newest = watermark;
        for term in terms {
            let mut token: Option<String> = None;
            for page_no in 0.. {
                if page_no == self.cfg.comment_max_pages || !self.charge(LIST_COST, read, cx.now) {
                    tracing::info!(source = %cx.source, "comment pages left unread (comment_max_pages or quota)");
                    return Ok(None);
                }
                let mut params = vec![("part", "snippet"), (param, id), ("order", "time")];
                params.push(("maxResults", COMMENTS_PER_PAGE));
                if let Some(t) = term {
                    params.push(("searchTerms", t));
                }
                if let Some(t) = &token {
                    params.push(("pageToken", t));
                }
                let page = parse_comment_threads(&self.get(cx, self.url("commentThreads", &params)?, read).await?)?;
                let oldest = page.posts.iter().map(|p| p.created_at).min();
                for post in page.posts.into_iter().filter(|p| p.created_at >= floor) {
                    newest = newest.max(Some(post.created_at.min(cx.now)));
                    read.add(post);
                }
                match page.next_page_token {
                    Some(t) if oldest.is_some_and(|o| o >= floor) && token.as_deref() != Some(t.as_str()) => {
                        token = Some(t)
                    }
                    _ => break,
                }
            }
        }
        Ok(newest)
    }

    /// Likes and comment counts per video, subscribers per channel: 1 unit
    /// per 50 ids; skipped (logged) when the quota cannot pay.
    async fn add_statistics(&self, cx: &PollContext, read: &mut Read) -> Result<(), Failure> {
        let ids: Vec<String> =
            read.videos.iter().map(|(i, _)| read.posts[*i].external_id.as_str().to_string()).collect();
        for chunk in ids.chunks(IDS_PER_CALL) {
            if !self.charge(LIST_COST, read, cx.now) {
                tracing::debug!(source = %cx.source, "no quota left for video statistics");
                return Ok(());
            }
            let joined = chunk.join(",");
            let params = [("part", "statistics"), ("id", joined.as_str()), ("maxResults", "50")];
            let stats = parse_video_stats(&self.get(cx, self.url("videos", &params)?, read).await?)?;
            for (i, _) in &read.videos {
                let post = &mut read.posts[*i];
                if let Some(s) = stats.get(post.external_id.as_str()) {
                    post.engagement.likes = s.likes;
                    post.engagement.replies = s.comments;
                }
            }
        }
        let mut channels: Vec<String> = read.videos.iter().filter_map(|(_, c)| c.clone()).collect();
        channels.sort_unstable();
        channels.dedup();
        for chunk in channels.chunks(IDS_PER_CALL) {
            if !self.charge(LIST_COST, read, cx.now) {
                tracing::debug!(source = %cx.source, "no quota left for channel statistics");
                return Ok(());
            }
            let joined = chunk.join(",");
            let params = [("part", "statistics"), ("id", joined.as_str()), ("maxResults", "50")];
            let subs = parse_channel_subscribers(&self.get(cx, self.url("channels", &params)?, read).await?)?;
            for (i, channel) in &read.videos {
                if let Some(n) = channel.as_ref().and_then(|c| subs.get(c)) {
                    read.posts[*i].author.followers = Some(*n);
                }
            }
        }
        Ok(())
    }

    async fn poll_all(&self, cx: &PollContext, state: &mut YoutubeCursor, read: &mut Read) -> Result<(), Failure> {
        if self.cfg.search_videos {
            self.poll_videos(cx, &mut state.videos, read).await?;
        }
        let targets = self.cfg.comment_videos.iter().map(|v| ("videoId", "video", v.as_str()));
        let targets = targets
            .chain(self.cfg.comment_channels.iter().map(|c| ("allThreadsRelatedToChannelId", "channel", c.as_str())));
        for (param, kind, id) in targets {
            let key = format!("{kind}:{id}");
            match self.poll_comments(cx, (param, id), state.comments.get(&key).copied(), read).await {
                Ok(Some(w)) => {
                    state.comments.insert(key, w);
                }
                Ok(None) => {}
                Err(Failure::Skip(why)) => {
                    tracing::info!(source = %cx.source, target = %key, "comments skipped: {why}")
                }
                Err(e) => return Err(e),
            }
        }
        if self.cfg.statistics && !read.videos.is_empty() {
            self.add_statistics(cx, read).await?;
        }
        Ok(())
    }

    /// The cheapest request this source makes (what a poll must afford).
    fn min_cost(&self) -> u32 {
        let comments = !self.cfg.comment_videos.is_empty() || !self.cfg.comment_channels.is_empty();
        if comments || !self.cfg.search_videos {
            LIST_COST
        } else {
            SEARCH_COST
        }
    }
}

#[async_trait]
impl Source for YoutubeSource {
    fn platform(&self) -> Platform {
        Platform::Youtube
    }

    async fn poll(&self, cx: &PollContext, cursor: Option<&Cursor>) -> Result<Batch, SourceError> {
        let mut state: YoutubeCursor = match cursor.map(Cursor::from_json) {
            None => YoutubeCursor::default(),
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                tracing::warn!(source = %cx.source, error = %e, "unreadable YouTube cursor; reading from the backfill start");
                YoutubeCursor::default()
            }
        };
        let remaining = {
            let mut q = self.quota();
            q.seed(state.quota, cx.now);
            q.remaining()
        };
        if remaining < self.min_cost() {
            let retry_after = until_reset(cx.now);
            tracing::info!(source = %cx.source, daily_quota = self.cfg.daily_quota, "YouTube quota spent for today; waiting for midnight Pacific");
            return Err(SourceError::RateLimited { retry_after });
        }
        let mut read = Read::default();
        match self.poll_all(cx, &mut state, &mut read).await {
            Ok(()) => {}
            Err(Failure::QuotaExceeded) => {
                self.quota().exhaust(cx.now);
                tracing::warn!(source = %cx.source, "YouTube answered quotaExceeded; no more requests until midnight Pacific");
                return Err(SourceError::RateLimited { retry_after: until_reset(cx.now) });
            }
            Err(Failure::Skip(why)) => return Err(SourceError::Rejected(format!("YouTube: {why}"))),
            Err(Failure::Error(e)) => return Err(e),
        }
        let (today, remaining) = {
            let q = self.quota();
            (q.today, q.remaining())
        };
        state.quota = Some(today);
        let throttle = pace(until_reset(cx.now), read.cost, remaining, self.min_cost());
        tracing::debug!(source = %cx.source, pages = read.pages, cost = read.cost, quota_left = remaining, "YouTube poll read");
        Ok(Batch { posts: read.posts, next: Some(Cursor::to_json(&state)), pages: read.pages, throttle })
    }
}

/// The wait that spreads `remaining` units over `until_reset` at `cost`
/// units per poll; until the reset when not even `min_cost` is left.
pub fn pace(until_reset: Duration, cost: u32, remaining: u32, min_cost: u32) -> Option<Duration> {
    if remaining < min_cost {
        return Some(until_reset);
    }
    if cost == 0 {
        return None;
    }
    let polls_left = f64::from(remaining) / f64::from(cost);
    let wait = until_reset.as_secs_f64() / polls_left.max(1.0);
    (wait >= 1.0).then(|| Duration::from_secs_f64(wait))
}

/// The search `q`: terms OR-ed with `|` (search.list's OR operator),
/// multi-word terms quoted as phrases; `"` and `|` inside a term dropped.
pub fn search_query(queries: &[String]) -> Result<String, SourceError> {
    let terms: Vec<String> = queries
        .iter()
        .map(|q| q.replace(['"', '|'], " ").split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|q| !q.is_empty())
        .map(|q| if q.contains(' ') { format!("\"{q}\"") } else { q })
        .collect();
    if terms.is_empty() {
        return Err(SourceError::Rejected(
            "no search terms: give the source `queries` or configure a brand with terms".into(),
        ));
    }
    Ok(terms.join("|"))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
