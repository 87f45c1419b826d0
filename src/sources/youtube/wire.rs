//! YouTube Data API v3 wire format (platform-apis.md 6.2, 6.3, 6.5):
//! `search.list` and `commentThreads.list` pages → [`Post`]s, the
//! `videos.list` / `channels.list` statistics (counts arrive as strings),
//! and Google's JSON error bodies → what the source does about them.
//!
//! Parsing borrows from the body; titles and descriptions are
//! HTML-entity-escaped by YouTube (`&#39;`, `&amp;`) and are decoded, not
//! stripped. An item without an id or a date is skipped (counted); an
//! envelope of the wrong shape is `Malformed`.
//!
//! Tests: `youtube/tests.rs` (recorded fixtures in `tests/fixtures/youtube/`).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::{Deserialize, Deserializer};

use crate::domain::{Author, Engagement, ExternalId, Platform, Post};
use crate::sources::http::{check_status, decode_json, excerpt, retry_after, DEFAULT_RETRY_AFTER};
use crate::sources::text::{decode_entities, html_to_text, normalize_whitespace};
use crate::sources::SourceError;

const WATCH_URL: &str = "https://www.youtube.com/watch?v=";
const CHANNEL_URL: &str = "https://www.youtube.com/channel/";

/// A found video and the channel that published it (for subscriber counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Video {
    pub post: Post,
    pub channel_id: Option<String>,
}

/// One `search.list` page, mapped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoPage {
    pub videos: Vec<Video>,
    pub next_page_token: Option<String>,
    /// Items dropped: not a video, or no id or date.
    pub skipped: usize,
}

/// One `commentThreads.list` page, mapped (top-level comments).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommentPage {
    pub posts: Vec<Post>,
    pub next_page_token: Option<String>,
    pub skipped: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct List<'a, T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default, borrow)]
    next_page_token: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SearchItem<'a> {
    #[serde(default, borrow)]
    id: Option<SearchId<'a>>,
    #[serde(default, borrow)]
    snippet: Option<VideoSnippet<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchId<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    video_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VideoSnippet<'a> {
    #[serde(default, borrow)]
    published_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    publish_time: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    description: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    channel_title: Option<Cow<'a, str>>,
}

/// Parses a `search.list` page (a 2xx body).
pub fn parse_search(body: &[u8]) -> Result<VideoPage, SourceError> {
    let list: List<'_, SearchItem<'_>> = decode_json(body)?;
    let mut page = VideoPage {
        videos: Vec::with_capacity(list.items.len()),
        next_page_token: token(list.next_page_token),
        skipped: 0,
    };
    for item in &list.items {
        match video(item) {
            Some(v) => page.videos.push(v),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

fn video(item: &SearchItem<'_>) -> Option<Video> {
    let id = item.id.as_ref()?;
    if id.kind.as_deref().is_some_and(|k| k != "youtube#video") {
        return None;
    }
    let video_id = id.video_id.as_deref().map(str::trim).filter(|v| is_id(v))?;
    let s = item.snippet.as_ref()?;
    let created_at = s.published_at.as_deref().or(s.publish_time.as_deref()).and_then(parse_time)?;
    let title = s.title.as_deref().map(|t| normalize_whitespace(&decode_entities(t))).unwrap_or_default();
    let description = s.description.as_deref().map(|d| normalize_whitespace(&decode_entities(d))).unwrap_or_default();
    let text = match (title.is_empty(), description.is_empty()) {
        (_, true) => title,
        (true, false) => description,
        (false, false) => format!("{title}\n\n{description}"),
    };
    let channel_title = s.channel_title.as_deref().map(|c| normalize_whitespace(&decode_entities(c)));
    let post = Post {
        platform: Platform::Youtube,
        external_id: ExternalId::new(video_id),
        url: format!("{WATCH_URL}{video_id}"),
        author: Author {
            handle: channel_title.clone().unwrap_or_default(),
            display_name: channel_title.filter(|c| !c.is_empty()),
            followers: None,
        },
        text,
        created_at,
        lang: None,
        engagement: Engagement::default(),
    };
    let channel_id = s.channel_id.as_deref().map(str::trim).filter(|c| is_id(c)).map(str::to_string);
    Some(Video { post, channel_id })
}

#[derive(Deserialize)]
struct Thread<'a> {
    #[serde(default, borrow)]
    snippet: Option<ThreadSnippet<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadSnippet<'a> {
    #[serde(default, borrow)]
    video_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    top_level_comment: Option<Comment<'a>>,
    #[serde(default)]
    total_reply_count: Option<u64>,
}

#[derive(Deserialize)]
struct Comment<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    snippet: Option<CommentSnippet<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentSnippet<'a> {
    #[serde(default, borrow)]
    video_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    channel_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text_display: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text_original: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    author_display_name: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "count")]
    like_count: Option<u64>,
    #[serde(default, borrow)]
    published_at: Option<Cow<'a, str>>,
}

/// Parses a `commentThreads.list` page (a 2xx body): one post per thread,
/// its top-level comment.
pub fn parse_comment_threads(body: &[u8]) -> Result<CommentPage, SourceError> {
    let list: List<'_, Thread<'_>> = decode_json(body)?;
    let mut page = CommentPage {
        posts: Vec::with_capacity(list.items.len()),
        next_page_token: token(list.next_page_token),
        skipped: 0,
    };
    for thread in &list.items {
        match comment(thread) {
            Some(p) => page.posts.push(p),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

fn comment(thread: &Thread<'_>) -> Option<Post> {
    let t = thread.snippet.as_ref()?;
    let c = t.top_level_comment.as_ref()?;
    let id = c.id.as_deref().map(str::trim).filter(|i| is_id(i))?;
    let s = c.snippet.as_ref()?;
    let created_at = s.published_at.as_deref().and_then(parse_time)?;
    // textOriginal is what the author typed; textDisplay is HTML by default.
    let text = match s.text_original.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(original) => normalize_whitespace(original),
        None => s.text_display.as_deref().map(html_to_text).unwrap_or_default(),
    };
    let video_id = s.video_id.as_deref().or(t.video_id.as_deref()).map(str::trim).filter(|v| is_id(v));
    let channel_id = s.channel_id.as_deref().or(t.channel_id.as_deref()).map(str::trim).filter(|c| is_id(c));
    let url = match (video_id, channel_id) {
        (Some(v), _) => format!("{WATCH_URL}{v}&lc={id}"),
        (None, Some(ch)) => format!("{CHANNEL_URL}{ch}"),
        (None, None) => format!("https://www.youtube.com/?lc={id}"),
    };
    let name = s.author_display_name.as_deref().map(normalize_whitespace).filter(|n| !n.is_empty());
    Some(Post {
        platform: Platform::Youtube,
        external_id: ExternalId::new(id),
        url,
        author: Author {
            handle: name.as_deref().map(|n| n.trim_start_matches('@').to_string()).unwrap_or_default(),
            display_name: name,
            followers: None,
        },
        text,
        created_at,
        lang: None,
        engagement: Engagement { likes: s.like_count, reposts: None, replies: t.total_reply_count },
    })
}

/// `videos.list?part=statistics` counts for one video.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VideoStats {
    pub likes: Option<u64>,
    pub comments: Option<u64>,
}

#[derive(Deserialize)]
struct StatsItem<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default)]
    statistics: Option<Statistics>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Statistics {
    #[serde(default, deserialize_with = "count")]
    like_count: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    comment_count: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    subscriber_count: Option<u64>,
    #[serde(default)]
    hidden_subscriber_count: Option<bool>,
}

/// Parses `videos.list?part=statistics`: counts by video id (a video
/// deleted since the search is simply absent).
pub fn parse_video_stats(body: &[u8]) -> Result<HashMap<String, VideoStats>, SourceError> {
    let list: List<'_, StatsItem<'_>> = decode_json(body)?;
    Ok(list
        .items
        .into_iter()
        .map(|i| {
            let s = i.statistics.unwrap_or_default();
            (i.id.into_owned(), VideoStats { likes: s.like_count, comments: s.comment_count })
        })
        .collect())
}

/// Parses `channels.list?part=statistics`: subscriber counts by channel id
/// (hidden counts left out).
pub fn parse_channel_subscribers(body: &[u8]) -> Result<HashMap<String, u64>, SourceError> {
    let list: List<'_, StatsItem<'_>> = decode_json(body)?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|i| {
            let s = i.statistics?;
            let n = s.subscriber_count.filter(|_| s.hidden_subscriber_count != Some(true))?;
            Some((i.id.into_owned(), n))
        })
        .collect())
}

/// A count as YouTube writes it: a decimal string (uint64 in JSON), or a
/// number; anything else is absent rather than an error.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw<'a> {
        Num(u64),
        #[serde(borrow)]
        Str(Cow<'a, str>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Num(n) => Some(n),
        Raw::Str(s) => s.trim().parse().ok(),
        Raw::Other(_) => None,
    })
}

fn token(t: Option<Cow<'_, str>>) -> Option<String> {
    t.filter(|t| !t.trim().is_empty()).map(Cow::into_owned)
}

/// RFC 3339 as YouTube writes it, with or without fractional seconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// Video, channel and comment ids are URL-safe base64-ish tokens; anything
/// else (a hostile value) is not put into a URL.
fn is_id(s: &str) -> bool {
    (1..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// What a failed YouTube request means for the poll.
#[derive(Debug)]
pub enum Failure {
    /// 403 `quotaExceeded`: nothing more today (until midnight Pacific).
    QuotaExceeded,
    /// This video or channel cannot be read (`commentsDisabled`, not
    /// found): skip it, it is not a configuration or platform failure.
    Skip(String),
    Error(SourceError),
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Failure::Error(e)
    }
}

#[derive(Deserialize, Default)]
struct ErrorBody<'a> {
    #[serde(default, borrow)]
    error: Option<GoogleError<'a>>,
}

#[derive(Deserialize)]
struct GoogleError<'a> {
    #[serde(default, borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    errors: Vec<Reason<'a>>,
    #[serde(default, borrow)]
    details: Vec<Reason<'a>>,
}

#[derive(Deserialize)]
struct Reason<'a> {
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
}

/// The error reasons the source acts on, in one table (6.5): legacy
/// `errors[].reason` values and the newer `details[].reason` ErrorInfo ones.
const QUOTA: &[&str] = &["quotaExceeded", "dailyLimitExceeded"];
const SLOW_DOWN: &[&str] = &["rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"];
const BAD_KEY: &[&str] = &["keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"];
const KEY_REFUSED: &[&str] = &[
    "forbidden",
    "accessNotConfigured",
    "ipRefererBlocked",
    "SERVICE_DISABLED",
    "API_KEY_SERVICE_BLOCKED",
    "API_KEY_HTTP_REFERRER_BLOCKED",
    "API_KEY_IP_ADDRESS_BLOCKED",
];
const SKIP: &[&str] = &["commentsDisabled", "videoNotFound", "channelNotFound"];

/// Classifies a non-2xx answer by its reason (legacy `errors[0]` first,
/// then `details[]`), falling back to the status.
pub fn classify_error(status: StatusCode, headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> Failure {
    let parsed: ErrorBody<'_> = serde_json::from_slice(body).unwrap_or_default();
    let err = parsed.error.as_ref();
    let reasons: Vec<&str> = err
        .map(|e| e.errors.iter().chain(&e.details).filter_map(|r| r.reason.as_deref()).collect())
        .unwrap_or_default();
    let has = |table: &[&str]| reasons.iter().any(|r| table.contains(r));
    let message = || {
        let m = err.and_then(|e| e.message.as_deref()).map(html_to_text).filter(|m| !m.is_empty());
        let why = [reasons.first().copied(), err.and_then(|e| e.status.as_deref())];
        let why: Vec<&str> = why.into_iter().flatten().collect();
        let text = match m {
            Some(m) if why.is_empty() => m,
            Some(m) => format!("{}: {m}", why.join(", ")),
            None => String::from_utf8_lossy(body).into_owned(),
        };
        format!("HTTP {}: {}", status.as_u16(), excerpt(text.as_bytes()))
    };
    if has(QUOTA) {
        return Failure::QuotaExceeded;
    }
    if status == StatusCode::TOO_MANY_REQUESTS || has(SLOW_DOWN) {
        let retry_after = retry_after(headers, now).unwrap_or(DEFAULT_RETRY_AFTER);
        return Failure::Error(SourceError::RateLimited { retry_after });
    }
    if has(BAD_KEY) {
        return Failure::Error(SourceError::Auth(format!(
            "YouTube rejected the API key ({}); check api_key",
            message()
        )));
    }
    if has(KEY_REFUSED) || matches!(status.as_u16(), 401 | 403) && !has(SKIP) {
        return Failure::Error(SourceError::Auth(format!(
            "YouTube refused the API key ({}); enable the YouTube Data API v3 for its project and check its restrictions",
            message()
        )));
    }
    if has(SKIP) {
        return Failure::Skip(message());
    }
    match check_status(status, headers, body, now) {
        Err(SourceError::Rejected(_)) => Failure::Error(SourceError::Rejected(format!("YouTube: {}", message()))),
        Err(e) => Failure::Error(e),
        Ok(()) => Failure::Error(SourceError::Rejected(format!("unexpected {}", message()))),
    }
}
