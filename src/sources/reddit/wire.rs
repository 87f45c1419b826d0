//! Reddit's wire format (platform-apis.md §3.3-3.7): the `Listing`
//! envelope and its `t3` (post) and `t1` (comment) children read
//! leniently, the public parse function (pure, benchmarked over the
//! fixtures), removed and deleted items, permalinks and the error shapes
//! the poller tells apart.
//!
//! Tests: `reddit/tests.rs`.

use chrono::DateTime;
use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};
use serde::Deserialize;

use crate::domain::{Author, Engagement, ExternalId, Platform, Post};
use crate::sources::http::decode_json_object;
use crate::sources::lenient::{Num, Obj, Seq, Str};
use crate::sources::text::{decode_entities, normalize_whitespace};
use crate::sources::SourceError;

/// Permalinks are relative to this.
pub const WEB: &str = "https://www.reddit.com";
/// What a deleted or removed body or self text reads (the one place these
/// strings are matched; tested).
pub const GONE: [&str; 2] = ["[deleted]", "[removed]"];
/// The author of a deleted account or post.
const DELETED_AUTHOR: &str = "[deleted]";
/// Longest fullname accepted (`t3_` + base36 id).
const MAX_NAME_LEN: usize = 32;

/// `{"kind": "Listing", "data": {...}}`; `data` must be an object.
#[derive(Debug, Deserialize)]
struct ListingBody<'a> {
    #[serde(borrow)]
    data: ListingData<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListingData<'a> {
    #[serde(borrow)]
    children: Seq<Obj<Thing<'a>>>,
    #[serde(borrow)]
    after: Str<'a>,
}

/// One child: `{"kind": "t3", "data": {...}}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Thing<'a> {
    #[serde(borrow)]
    pub kind: Str<'a>,
    #[serde(borrow)]
    pub data: Obj<ThingData<'a>>,
}

/// The fields of a `t3` or `t1` a monitor reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ThingData<'a> {
    /// Fullname, `t3_…` / `t1_…`.
    #[serde(borrow)]
    pub name: Str<'a>,
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(borrow)]
    pub title: Str<'a>,
    /// Markdown (`t3`); `""` for link posts.
    #[serde(borrow)]
    pub selftext: Str<'a>,
    /// Markdown (`t1`).
    #[serde(borrow)]
    pub body: Str<'a>,
    #[serde(borrow)]
    pub author: Str<'a>,
    /// Relative: `/r/{sub}/comments/{id}/{slug}/`.
    #[serde(borrow)]
    pub permalink: Str<'a>,
    /// Float unix seconds.
    pub created_utc: Num,
    pub score: Num,
    pub num_comments: Num,
    /// `null`, or why the post was removed (`moderator`, `deleted`, ...).
    #[serde(borrow)]
    pub removed_by_category: Str<'a>,
}

/// One listing page, as the poller needs it.
#[derive(Debug, Default)]
pub struct ListingPage {
    pub posts: Vec<Post>,
    /// Children in the page, usable or not.
    pub items: usize,
    /// Fullname to page on from; `None` on the last page.
    pub after: Option<String>,
    /// Newest and oldest `created_utc` (whole seconds) over every child
    /// that has one, removed ones included.
    pub newest: Option<i64>,
    pub oldest: Option<i64>,
}

/// A `Listing` of `t3` and/or `t1` children (`/search`, `/r/{sub}/search`,
/// `/r/{sub}/comments`, `/r/{sub}/new`...).
pub fn parse_listing(body: &[u8]) -> Result<Vec<Post>, SourceError> {
    parse_listing_page(body).map(|p| p.posts)
}

/// [`parse_listing`] with the paging facts.
pub fn parse_listing_page(body: &[u8]) -> Result<ListingPage, SourceError> {
    let body: ListingBody = decode_json_object(body)?;
    let children = &body.data.children.0;
    let mut out = ListingPage {
        posts: Vec::with_capacity(children.len()),
        items: children.len(),
        after: body.data.after.get().filter(|a| valid_name(a)).map(str::to_string),
        ..ListingPage::default()
    };
    for thing in children.iter().filter_map(Obj::get) {
        if let Some(t) = thing.data.get().and_then(|d| d.created_utc.0) {
            let t = t.floor() as i64;
            out.newest = Some(out.newest.map_or(t, |n| n.max(t)));
            out.oldest = Some(out.oldest.map_or(t, |o| o.min(t)));
        }
        match thing_to_post(thing) {
            Ok(post) => out.posts.push(post),
            Err(why) => tracing::debug!(platform = "reddit", kind = ?thing.kind.get(), "skipping item: {why}"),
        }
    }
    Ok(out)
}

/// Maps a `t3` or `t1`; `Err` says why it is skipped (other kinds,
/// removed or deleted items, no id or time).
pub fn thing_to_post(thing: &Thing) -> Result<Post, &'static str> {
    let kind = thing.kind.get().ok_or("no kind")?;
    let d = thing.data.get().ok_or("no data")?;
    let id = d.id.get().unwrap_or_default();
    let name = match d.name.get() {
        Some(n) => n.to_string(),
        None if !id.is_empty() => format!("{kind}_{id}"),
        None => return Err("no name or id"),
    };
    if !valid_name(&name) {
        return Err("unusable fullname");
    }
    let secs = d.created_utc.0.ok_or("no created_utc")?;
    let created_at =
        DateTime::from_timestamp_millis((secs * 1000.0).round() as i64).ok_or("created_utc out of range")?;
    let (text, replies) = match kind {
        "t3" => {
            if d.removed_by_category.get().is_some() || is_gone(d.selftext.get()) {
                return Err("removed or deleted post");
            }
            let title = d.title.get().map(normalize_whitespace).unwrap_or_default();
            let body = d.selftext.get().map(markdown_text).unwrap_or_default();
            let text = match (title.is_empty(), body.is_empty()) {
                (_, true) => title,
                (true, false) => body,
                (false, false) => format!("{title}\n\n{body}"),
            };
            (text, d.num_comments.count())
        }
        "t1" => {
            if is_gone(d.body.get()) || d.body.get().is_none() {
                return Err("removed, deleted or empty comment");
            }
            (d.body.get().map(markdown_text).unwrap_or_default(), None)
        }
        _ => return Err("not a post or comment"),
    };
    let author = d.author.get().filter(|a| *a != DELETED_AUTHOR).unwrap_or_default();
    Ok(Post {
        platform: Platform::Reddit,
        url: permalink(d.permalink.get(), &name),
        external_id: ExternalId::new(name),
        author: Author { handle: author.to_string(), display_name: None, followers: None },
        text,
        created_at,
        lang: None,
        engagement: Engagement { likes: d.score.count(), reposts: None, replies },
    })
}

fn is_gone(s: Option<&str>) -> bool {
    s.is_some_and(|s| GONE.contains(&s))
}

/// Markdown kept as written (it reads fine as text), with entities
/// decoded (the new editor writes `&#x200B;`; `raw_json=1` off escapes
/// `&`, `<`, `>`) and whitespace tidied.
fn markdown_text(md: &str) -> String {
    normalize_whitespace(&decode_entities(md).replace('\u{200B}', ""))
}

fn valid_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `https://www.reddit.com` + the relative permalink (kept on Reddit's
/// host whatever it says), else `/by_id/{fullname}`.
pub fn permalink(relative: Option<&str>, name: &str) -> String {
    let path = match relative {
        Some(p) if p.starts_with('/') => p.to_string(),
        _ => format!("/by_id/{name}"),
    };
    let joined = format!("{WEB}{path}");
    url::Url::parse(&joined).map(String::from).unwrap_or(joined)
}

/// Whether a 401's `WWW-Authenticate` says the token is bad (renew it);
/// absent counts as yes.
pub fn token_refused(headers: &HeaderMap) -> bool {
    headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.contains("invalid_token"))
}

/// Reddit's JSON error body `{"message", "error", "reason"?}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorBody<'a> {
    #[serde(borrow)]
    reason: Str<'a>,
}

/// The `reason` of a JSON error body (`private`, `quarantined`,
/// `gold_only`, `banned`): the subreddit itself cannot be read.
pub fn error_reason(body: &[u8]) -> Option<String> {
    let e: ErrorBody = serde_json::from_slice(body).ok()?;
    e.reason.get().map(str::to_string)
}

/// The token endpoint's answer: a token, or (even with 200) an `error`.
#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<f64>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

impl std::fmt::Debug for TokenBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBody").field("expires_in", &self.expires_in).field("error", &self.error).finish()
    }
}
