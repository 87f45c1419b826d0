//! Mastodon's wire format (platform-apis.md §1.4-1.6): the Status and
//! Account entities read leniently, the public parse functions (one per
//! endpoint, pure, benchmarked over the fixtures), status ids (snowflakes:
//! milliseconds << 16, compared as numbers) and the `Link` header.
//!
//! Tests: `mastodon/tests.rs`.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, LINK};
use serde::Deserialize;

use crate::domain::{Author, Engagement, ExternalId, Platform, Post};
use crate::sources::http::{decode_json, decode_json_object};
use crate::sources::lenient::{Num, Obj, Seq, Str};
use crate::sources::text::{html_to_text, normalize_whitespace};
use crate::sources::SourceError;

/// Snowflake ids before this time cannot be real (Mastodon 2.0, 2017-10):
/// such an id is not a snowflake, so no time is derived from it.
const FIRST_SNOWFLAKE_MS: i64 = 1_506_816_000_000;

/// A status as the API sends it; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status<'a> {
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub created_at: Str<'a>,
    /// HTML.
    #[serde(borrow)]
    pub content: Str<'a>,
    /// Plain-text content warning, often `""`.
    #[serde(borrow)]
    pub spoiler_text: Str<'a>,
    #[serde(borrow)]
    pub language: Str<'a>,
    #[serde(borrow)]
    pub url: Str<'a>,
    #[serde(borrow)]
    pub uri: Str<'a>,
    pub replies_count: Num,
    pub reblogs_count: Num,
    pub favourites_count: Num,
    #[serde(borrow)]
    pub account: Obj<Account<'a>>,
    /// A boost wraps the boosted status; the post is the inner one.
    #[serde(borrow)]
    pub reblog: Obj<Box<Status<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Account<'a> {
    /// `user` (local) or `user@domain` (remote).
    #[serde(borrow)]
    pub acct: Str<'a>,
    #[serde(borrow)]
    pub username: Str<'a>,
    #[serde(borrow)]
    pub display_name: Str<'a>,
    pub followers_count: Num,
}

/// `GET /api/v2/search`: only `statuses` is read; the key must be there.
#[derive(Debug, Deserialize)]
struct SearchBody<'a> {
    #[serde(borrow)]
    statuses: Seq<Obj<Status<'a>>>,
}

/// One page of statuses, as the poller needs it.
#[derive(Debug, Default)]
pub struct StatusPage {
    /// The usable statuses, boosts unwrapped.
    pub posts: Vec<Post>,
    /// Items in the page, usable or not (a full page means "maybe more").
    pub items: usize,
    /// Highest and lowest page id (the boost's own id for a boost: that
    /// is what paging counts), over every item that has one.
    pub newest_id: Option<String>,
    pub oldest_id: Option<String>,
}

/// `GET /api/v1/timelines/tag/:tag` (or any status timeline): a JSON array.
pub fn parse_timeline(body: &[u8]) -> Result<Vec<Post>, SourceError> {
    parse_timeline_page(body).map(|p| p.posts)
}

/// [`parse_timeline`] with the paging facts.
pub fn parse_timeline_page(body: &[u8]) -> Result<StatusPage, SourceError> {
    let items: Vec<Obj<Status>> = decode_json(body)?;
    Ok(page(&items))
}

/// `GET /api/v2/search?type=statuses`: the `statuses` of the answer.
pub fn parse_search(body: &[u8]) -> Result<Vec<Post>, SourceError> {
    parse_search_page(body).map(|p| p.posts)
}

/// [`parse_search`] with the paging facts.
pub fn parse_search_page(body: &[u8]) -> Result<StatusPage, SourceError> {
    let body: SearchBody = decode_json_object(body)?;
    Ok(page(&body.statuses.0))
}

fn page(items: &[Obj<Status>]) -> StatusPage {
    let mut out = StatusPage { posts: Vec::with_capacity(items.len()), items: items.len(), ..StatusPage::default() };
    for status in items.iter().filter_map(Obj::get) {
        if let Some(id) = status.id.get().filter(|id| valid_id(id)) {
            if out.newest_id.as_deref().is_none_or(|n| id_cmp(id, n) == Ordering::Greater) {
                out.newest_id = Some(id.to_string());
            }
            if out.oldest_id.as_deref().is_none_or(|o| id_cmp(id, o) == Ordering::Less) {
                out.oldest_id = Some(id.to_string());
            }
        }
        match status_to_post(status) {
            Ok(post) => out.posts.push(post),
            Err(why) => tracing::debug!(platform = "mastodon", id = ?status.id.get(), "skipping status: {why}"),
        }
    }
    out
}

/// Maps one status (the boosted one, for a boost) to a post; `Err` says
/// why it is skipped.
pub fn status_to_post(status: &Status) -> Result<Post, &'static str> {
    let s = status.reblog.get().map(|b| &**b).unwrap_or(status);
    let id = s.id.get().filter(|id| valid_id(id)).ok_or("no usable id")?;
    let created_at = s.created_at.time().ok_or("no usable created_at")?;
    let spoiler = s.spoiler_text.get().map(normalize_whitespace).unwrap_or_default();
    let content = s.content.get().map(html_to_text).unwrap_or_default();
    let text = match (spoiler.is_empty(), content.is_empty()) {
        (true, _) => content,
        (false, true) => spoiler,
        (false, false) => format!("{spoiler}\n\n{content}"),
    };
    let account = s.account.get();
    let handle = account.and_then(|a| a.acct.get().or(a.username.get())).unwrap_or_default();
    Ok(Post {
        platform: Platform::Mastodon,
        external_id: ExternalId::new(id),
        url: s.url.get().or(s.uri.get()).unwrap_or_default().to_string(),
        author: Author {
            handle: handle.trim_start_matches('@').to_string(),
            display_name: account.and_then(|a| a.display_name.get()).map(str::to_string),
            followers: account.and_then(|a| a.followers_count.count()),
        },
        text,
        created_at,
        lang: s.language.get().map(str::to_string),
        engagement: Engagement {
            likes: s.favourites_count.count(),
            reposts: s.reblogs_count.count(),
            replies: s.replies_count.count(),
        },
    })
}

/// Ids are opaque strings to the API; anything printable and short is
/// accepted (a hostile one cannot bloat a cursor or a URL).
fn valid_id(id: &str) -> bool {
    id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Orders ids as the server does: numbers by value (longer is larger,
/// leading zeros aside), other ids (ULIDs on some servers) as strings.
pub fn id_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The smallest snowflake id of time `t`: `min_id` for "everything since t".
pub fn id_at(t: DateTime<Utc>) -> String {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    (ms.saturating_mul(1 << 16)).to_string()
}

/// The time a snowflake id encodes; `None` for ids that are not snowflakes.
pub fn id_time(id: &str) -> Option<DateTime<Utc>> {
    let n: u64 = id.parse().ok()?;
    let ms = i64::try_from(n >> 16).ok()?;
    (ms >= FIRST_SNOWFLAKE_MS).then(|| DateTime::from_timestamp_millis(ms)).flatten()
}

/// The `min_id` of the `rel="prev"` (newer) link, if the server sent one.
/// Only the parameter is used: following a server-given URL could send
/// the token to another host.
pub fn link_prev_min_id(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_prev = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"prev\"" || p == "rel=prev"
        });
        if !is_prev {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let url = url::Url::parse(target).ok()?;
        let min_id = url.query_pairs().find(|(k, _)| k == "min_id").map(|(_, v)| v.into_owned())?;
        valid_id(&min_id).then_some(min_id)
    })
}
