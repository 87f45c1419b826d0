//! X API v2 wire format (platform-apis.md 5.3, 5.6): the recent-search
//! envelope, tweet → [`Post`], and problem-JSON error bodies.
//!
//! Parsing borrows from the body (`Cow` strings copy only when they hold
//! JSON escapes) and builds the author join as one small map per page.
//! A tweet without a usable id is skipped (counted), never fatal; an
//! envelope of the wrong shape is `Malformed`.
//!
//! Tests: `x/tests.rs` (recorded fixtures in `tests/fixtures/x/`).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::domain::{Author, Engagement, ExternalId, Platform, Post};
use crate::sources::http::{check_status, decode_json, excerpt};
use crate::sources::text::{decode_amp_lt_gt, normalize_whitespace};
use crate::sources::SourceError;

/// X's snowflake epoch (2010-11-04T01:42:54.657Z), in unix milliseconds.
const TWEPOCH_MS: i64 = 1_288_834_974_657;

/// One page of `GET /2/tweets/search/recent`, mapped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub posts: Vec<Post>,
    /// `meta.newest_id` (else the largest id on the page).
    pub newest_id: Option<u64>,
    /// `meta.oldest_id` (else the smallest id on the page).
    pub oldest_id: Option<u64>,
    /// `meta.next_token`: more pages follow.
    pub next_token: Option<String>,
    /// `meta.result_count` (else the number of tweets on the page).
    pub result_count: u64,
    /// Entries of a top-level `errors` array sent alongside `data` (an
    /// expanded author suspended...): tolerated, counted for the log.
    pub partial_errors: usize,
    /// Tweets dropped for lack of a usable id.
    pub skipped: usize,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    data: Option<Vec<Tweet<'a>>>,
    #[serde(default, borrow)]
    includes: Option<Includes<'a>>,
    #[serde(default, borrow)]
    meta: Option<Meta<'a>>,
    #[serde(default)]
    errors: Option<Vec<serde::de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Tweet<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    author_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    lang: Option<Cow<'a, str>>,
    #[serde(default)]
    public_metrics: Option<TweetMetrics>,
    /// Full text of a long post (the `text` field is cut at 280 chars).
    #[serde(default, borrow)]
    note_tweet: Option<Note<'a>>,
    /// The same under the newer "post" spelling of the OpenAPI schema.
    #[serde(default, borrow)]
    note_post: Option<Note<'a>>,
}

#[derive(Deserialize)]
struct Note<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct TweetMetrics {
    #[serde(default)]
    retweet_count: Option<u64>,
    #[serde(default)]
    reply_count: Option<u64>,
    #[serde(default)]
    like_count: Option<u64>,
    #[serde(default)]
    quote_count: Option<u64>,
}

#[derive(Deserialize)]
struct Includes<'a> {
    #[serde(default, borrow)]
    users: Option<Vec<User<'a>>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    public_metrics: Option<UserMetrics>,
}

#[derive(Deserialize)]
struct UserMetrics {
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(default, borrow)]
    newest_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    oldest_id: Option<Cow<'a, str>>,
    #[serde(default)]
    result_count: Option<u64>,
    #[serde(default, borrow)]
    next_token: Option<Cow<'a, str>>,
}

/// Parses one recent-search page (a 2xx body). Zero results arrive as
/// `{"meta":{"result_count":0}}` with no `data` (5.3).
pub fn parse_search(body: &[u8]) -> Result<SearchPage, SourceError> {
    let env: Envelope<'_> = decode_json(body)?;
    let users: HashMap<&str, &User<'_>> = env
        .includes
        .as_ref()
        .and_then(|i| i.users.as_ref())
        .map(|us| us.iter().map(|u| (u.id.as_ref(), u)).collect())
        .unwrap_or_default();
    let tweets = env.data.as_deref().unwrap_or_default();
    let mut page = SearchPage { posts: Vec::with_capacity(tweets.len()), ..SearchPage::default() };
    for t in tweets {
        match tweet_to_post(t, &users) {
            Some(p) => page.posts.push(p),
            None => page.skipped += 1,
        }
    }
    let ids = || page.posts.iter().filter_map(|p| p.external_id.as_str().parse::<u64>().ok());
    let meta = env.meta.as_ref();
    page.newest_id = meta.and_then(|m| parse_id(m.newest_id.as_deref()?)).or_else(|| ids().max());
    page.oldest_id = meta.and_then(|m| parse_id(m.oldest_id.as_deref()?)).or_else(|| ids().min());
    page.result_count = meta.and_then(|m| m.result_count).unwrap_or(tweets.len() as u64);
    page.next_token = meta.and_then(|m| m.next_token.as_deref()).filter(|t| !t.is_empty()).map(str::to_string);
    page.partial_errors = env.errors.map_or(0, |e| e.len());
    Ok(page)
}

/// A tweet id: 1 to 19 ASCII digits (a u64; never an f64).
pub fn parse_id(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// When a snowflake id was minted (for tweets without `created_at`).
pub fn snowflake_time(id: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(i64::try_from(id >> 22).ok()?.checked_add(TWEPOCH_MS)?)
}

fn tweet_to_post(t: &Tweet<'_>, users: &HashMap<&str, &User<'_>>) -> Option<Post> {
    let raw_id = t.id.as_deref()?;
    let id = parse_id(raw_id)?;
    let created_at = t
        .created_at
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| snowflake_time(id))?;
    fn note<'t>(n: &'t Option<Note<'_>>) -> Option<&'t str> {
        n.as_ref().and_then(|n| n.text.as_deref()).filter(|s| !s.trim().is_empty())
    }
    let raw_text = note(&t.note_tweet).or_else(|| note(&t.note_post)).or(t.text.as_deref()).unwrap_or("");
    let text = normalize_whitespace(&decode_amp_lt_gt(raw_text));
    let author_id = t.author_id.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let user = author_id.and_then(|a| users.get(a));
    let username = user.and_then(|u| u.username.as_deref()).map(str::trim).filter(|u| !u.is_empty());
    let url = match username {
        Some(u) => format!("https://x.com/{}/status/{id}", url_segment(u)),
        None => format!("https://x.com/i/web/status/{id}"),
    };
    let author = Author {
        handle: username.or(author_id).unwrap_or_default().to_string(),
        display_name: user.and_then(|u| u.name.as_deref()).map(normalize_whitespace).filter(|n| !n.is_empty()),
        followers: user.and_then(|u| u.public_metrics.as_ref()).and_then(|m| m.followers_count),
    };
    let m = t.public_metrics.as_ref();
    let engagement = Engagement {
        likes: m.and_then(|m| m.like_count),
        reposts: m.and_then(|m| match (m.retweet_count, m.quote_count) {
            (None, None) => None,
            (r, q) => Some(r.unwrap_or(0).saturating_add(q.unwrap_or(0))),
        }),
        replies: m.and_then(|m| m.reply_count),
    };
    Some(Post {
        platform: Platform::X,
        external_id: ExternalId::new(id.to_string()),
        url,
        author,
        text,
        created_at,
        lang: t.lang.as_deref().and_then(language),
        engagement,
    })
}

/// A username as a path segment: X usernames are `[A-Za-z0-9_]`; anything
/// else (a hostile fake) is percent-encoded.
fn url_segment(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(url::form_urlencoded::byte_serialize(s.as_bytes()).collect())
    }
}

/// X's `lang`, without its "no language" codes: `und` (undetermined),
/// `zxx` (no linguistic content) and the private-use `qaa`–`qtz` range it
/// uses for media-only, hashtag-only... posts (`qme`, `qht`, `qam`).
fn language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    let private = tag.len() == 3 && tag.starts_with('q') && tag.as_bytes()[1] <= b't';
    (!tag.is_empty() && !private && tag != "und" && tag != "zxx").then(|| tag.to_string())
}

/// An X problem body (RFC 7807 flavoured), as far as classification needs.
#[derive(Deserialize, Default)]
struct Problem<'a> {
    #[serde(default, borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    detail: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    reason: Option<Cow<'a, str>>,
    #[serde(default)]
    errors: Vec<ProblemError>,
}

#[derive(Deserialize)]
struct ProblemError {
    #[serde(default)]
    parameters: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Why an X request failed.
#[derive(Debug)]
pub enum Failure {
    /// 400 naming `since_id`: the stored id is older than the 7-day search
    /// window (platform-apis.md 5.4 step 6); read from a time instead.
    SinceIdTooOld,
    Error(SourceError),
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Failure::Error(e)
    }
}

/// Classifies a non-2xx answer. Problem types are matched on their suffix
/// (the prefix is `api.x.com` or `api.twitter.com`, 5.6).
pub fn classify_error(status: StatusCode, headers: &HeaderMap, body: &[u8], now: DateTime<Utc>) -> Failure {
    let problem: Problem<'_> = serde_json::from_slice(body).unwrap_or_default();
    let code = status.as_u16();
    let summary = || {
        let kind = problem.kind.as_deref().and_then(|k| k.rsplit('/').next()).filter(|k| *k != "about:blank");
        let parts: Vec<&str> = [problem.title.as_deref(), kind, problem.reason.as_deref(), problem.detail.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            excerpt(body)
        } else {
            excerpt(parts.join(": ").as_bytes())
        }
    };
    match code {
        400 if problem.errors.iter().any(|e| e.parameters.as_ref().is_some_and(|p| p.contains_key("since_id"))) => {
            Failure::SinceIdTooOld
        }
        401 => Failure::Error(SourceError::Auth(format!(
            "X rejected the bearer token (HTTP 401: {}); check bearer_token",
            summary()
        ))),
        403 => Failure::Error(SourceError::Auth(format!(
            "X refused access (HTTP 403: {}); the app needs a project with recent-search access",
            summary()
        ))),
        400..=499 if code != 429 && code != 408 => {
            Failure::Error(SourceError::Rejected(format!("X refused the search (HTTP {code}: {})", summary())))
        }
        _ => match check_status(status, headers, body, now) {
            Err(e) => Failure::Error(e),
            Ok(()) => Failure::Error(SourceError::Rejected(format!("unexpected HTTP {code}"))),
        },
    }
}
