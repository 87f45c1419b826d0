//! Bluesky's wire format (platform-apis.md §2.2-2.5): `postView`s read
//! leniently, the public parse function for `searchPosts` (pure,
//! benchmarked over the fixtures; `getPosts` and `getQuotes` answers have
//! the same shape), AT URIs and permalinks, `sortAt`, XRPC error bodies and
//! session answers.
//!
//! Tests: `bluesky/tests.rs`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::domain::{Author, Engagement, ExternalId, Platform, Post};
use crate::sources::http::decode_json_object;
use crate::sources::lenient::{Num, Obj, Seq, Str};
use crate::sources::text::normalize_whitespace;
use crate::sources::SourceError;

/// The web app's permalink root.
const WEB: &str = "https://bsky.app";
/// What the AppView shows for an account whose handle does not verify.
const INVALID_HANDLE: &str = "handle.invalid";
/// Longest AT URI accepted as an external id.
const MAX_URI_LEN: usize = 512;

/// `app.bsky.feed.defs#postView`, the fields a monitor reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PostView<'a> {
    /// `at://{did}/app.bsky.feed.post/{rkey}`.
    #[serde(borrow)]
    pub uri: Str<'a>,
    #[serde(borrow)]
    pub author: Obj<ProfileBasic<'a>>,
    /// The `app.bsky.feed.post` record (typed `unknown` in the lexicon).
    #[serde(borrow)]
    pub record: Obj<Record<'a>>,
    pub reply_count: Num,
    pub repost_count: Num,
    pub like_count: Num,
    pub quote_count: Num,
    #[serde(borrow)]
    pub indexed_at: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProfileBasic<'a> {
    #[serde(borrow)]
    pub did: Str<'a>,
    #[serde(borrow)]
    pub handle: Str<'a>,
    #[serde(borrow)]
    pub display_name: Str<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Record<'a> {
    /// Plain text (facets only annotate it).
    #[serde(borrow)]
    pub text: Str<'a>,
    /// Client-declared: can be anything, even in the future.
    #[serde(borrow)]
    pub created_at: Str<'a>,
    #[serde(borrow)]
    pub langs: Seq<Str<'a>>,
}

/// `{"cursor"?, "hitsTotal"?, "posts": [postView]}`; `posts` must be there.
#[derive(Debug, Deserialize)]
struct SearchBody<'a> {
    #[serde(borrow)]
    posts: Seq<Obj<PostView<'a>>>,
    #[serde(borrow, default)]
    cursor: Str<'a>,
}

/// One `searchPosts` page, as the poller needs it.
#[derive(Debug, Default)]
pub struct SearchPage {
    pub posts: Vec<Post>,
    /// Post views in the page, usable or not.
    pub items: usize,
    /// Where the next page starts; absent on the last page.
    pub cursor: Option<String>,
    /// Newest and oldest `sortAt` over every item that has one.
    pub newest: Option<DateTime<Utc>>,
    pub oldest: Option<DateTime<Utc>>,
}

/// `app.bsky.feed.searchPosts` (also reads `getPosts` / `getQuotes`).
pub fn parse_search_posts(body: &[u8]) -> Result<Vec<Post>, SourceError> {
    parse_search_page(body).map(|p| p.posts)
}

/// [`parse_search_posts`] with the paging facts.
pub fn parse_search_page(body: &[u8]) -> Result<SearchPage, SourceError> {
    let body: SearchBody = decode_json_object(body)?;
    let items = &body.posts.0;
    let mut out = SearchPage {
        posts: Vec::with_capacity(items.len()),
        items: items.len(),
        cursor: body.cursor.get().map(str::to_string),
        ..SearchPage::default()
    };
    for view in items.iter().filter_map(Obj::get) {
        if let Some(t) = sort_at(view) {
            out.newest = Some(out.newest.map_or(t, |n| n.max(t)));
            out.oldest = Some(out.oldest.map_or(t, |o| o.min(t)));
        }
        match view_to_post(view) {
            Ok(post) => out.posts.push(post),
            Err(why) => tracing::debug!(platform = "bluesky", uri = ?view.uri.get(), "skipping post: {why}"),
        }
    }
    Ok(out)
}

/// `sortAt`: the earlier of the record's `createdAt` and `indexedAt`, the
/// time `since`/`until` and `sort=latest` use.
pub fn sort_at(view: &PostView) -> Option<DateTime<Utc>> {
    let indexed = view.indexed_at.time();
    let created = view.record.get().and_then(|r| r.created_at.time());
    match (created, indexed) {
        (Some(c), Some(i)) => Some(c.min(i)),
        (c, i) => c.or(i),
    }
}

/// Maps one post view; `Err` says why it is skipped. `created_at` is
/// `sortAt`, so a client claiming a future date cannot mislead.
pub fn view_to_post(view: &PostView) -> Result<Post, &'static str> {
    let uri = view.uri.get().filter(|u| u.len() <= MAX_URI_LEN).ok_or("no usable uri")?;
    let (did, rkey) = parse_post_uri(uri).ok_or("uri is not an app.bsky.feed.post AT URI")?;
    let created_at = sort_at(view).ok_or("no usable createdAt or indexedAt")?;
    let author = view.author.get();
    let handle = author.and_then(|a| a.handle.get()).filter(|h| *h != INVALID_HANDLE);
    let record = view.record.get();
    Ok(Post {
        platform: Platform::Bluesky,
        external_id: ExternalId::new(uri),
        url: permalink(handle.unwrap_or(did), rkey),
        author: Author {
            handle: handle.unwrap_or(did).to_string(),
            display_name: author.and_then(|a| a.display_name.get()).map(str::to_string),
            followers: None,
        },
        text: record.and_then(|r| r.text.raw()).map(normalize_whitespace).unwrap_or_default(),
        created_at,
        lang: record.and_then(|r| r.langs.0.iter().find_map(|l| l.get())).map(str::to_string),
        engagement: Engagement {
            likes: view.like_count.count(),
            reposts: view.repost_count.count(),
            replies: view.reply_count.count(),
        },
    })
}

/// `(did, rkey)` of `at://{did}/app.bsky.feed.post/{rkey}`.
pub fn parse_post_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.split('/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:~-".contains(&b));
    (parts.next().is_none() && collection == "app.bsky.feed.post" && ok(did) && ok(rkey)).then_some((did, rkey))
}

/// `https://bsky.app/profile/{handle or did}/post/{rkey}`.
pub fn permalink(actor: &str, rkey: &str) -> String {
    let mut url = url::Url::parse(WEB).expect("constant URL parses");
    url.path_segments_mut().expect("https URL").extend(["profile", actor, "post", rkey]);
    url.into()
}

/// A time as `since` / `until` take it: RFC 3339, milliseconds, `Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// XRPC error body `{"error": "<Name>", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct XrpcError<'a> {
    #[serde(borrow)]
    error: Str<'a>,
}

/// The `error` name of an XRPC error body, if it is one.
pub fn xrpc_error_name(body: &[u8]) -> Option<String> {
    let e: XrpcError = serde_json::from_slice(body).ok()?;
    e.error.get().map(str::to_string)
}

/// `createSession` / `refreshSession` answers: the two tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    pub access_jwt: String,
    pub refresh_jwt: String,
}

impl std::fmt::Debug for SessionBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionBody([REDACTED])")
    }
}
