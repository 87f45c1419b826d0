//! `POST /api/v1/ingest`: other tools push posts, which enter the pipeline
//! exactly like polled ones (matched, scored, routed, stored with their
//! outbox rows in one transaction, idempotent on platform + id + brand).
//!
//! Body: one post object, or `{"posts": [...]}` (at most [`MAX_POSTS`]).
//! Each post: `id` (required), `text` (required), `platform` (a platform
//! name, default `ingest`), `url`, `author`, `author_name`, `followers`,
//! `created_at` (RFC 3339, default now), `lang`, `likes`, `reposts`,
//! `replies`. Unknown fields are refused so typos do not pass silently.
//! Answers 202 `{"accepted", "new_mentions", "duplicates"}`, 400 with
//! `{"error"}` naming the post and field, 401 without a valid bearer token.
//!
//! Tests: `tests/it/ingest.rs`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::auth::ApiCaller;
use super::AppState;
use crate::domain::{Author, Engagement, ExternalId, Platform, Post, SourceName};
use crate::sources::Batch;

/// Posts per request.
pub const MAX_POSTS: usize = 1000;
/// Bytes of text per post.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// The source name pushed posts are stored under.
pub const INGEST_SOURCE: &str = "ingest";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestPost {
    id: String,
    text: String,
    platform: Option<String>,
    url: Option<String>,
    author: Option<String>,
    author_name: Option<String>,
    followers: Option<u64>,
    created_at: Option<DateTime<Utc>>,
    lang: Option<String>,
    likes: Option<u64>,
    reposts: Option<u64>,
    replies: Option<u64>,
}

pub async fn ingest(_: ApiCaller, State(state): State<AppState>, body: Bytes) -> Response {
    let ctx = state.handle.context();
    let posts = match parse(&body) {
        Ok(p) => p,
        Err(msg) => return error(StatusCode::BAD_REQUEST, &msg),
    };
    let batch = Batch { posts, ..Batch::default() };
    match ctx.store_batch(&SourceName::new(INGEST_SOURCE), &batch).await {
        Ok(r) => (
            StatusCode::ACCEPTED,
            Json(json!({
                "accepted": batch.posts.len(),
                "new_mentions": r.commit.inserted,
                "duplicates": r.commit.duplicates,
            })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(source = INGEST_SOURCE, error = %e, "cannot store pushed posts");
            error(StatusCode::SERVICE_UNAVAILABLE, "cannot store the posts right now; retry later")
        }
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

/// Decodes and checks a body into posts; the error names what is wrong.
fn parse(body: &[u8]) -> Result<Vec<Post>, String> {
    // Decode as a value first, so the error for a bad post can name it.
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let raw = match value {
        serde_json::Value::Object(mut map) if map.contains_key("posts") => match map.remove("posts") {
            Some(serde_json::Value::Array(list)) => list,
            _ => return Err("posts: must be an array of post objects".into()),
        },
        one @ serde_json::Value::Object(_) => vec![one],
        _ => return Err("body must be a post object or {\"posts\": [...]}".into()),
    };
    if raw.is_empty() {
        return Err("no posts given".into());
    }
    if raw.len() > MAX_POSTS {
        return Err(format!("at most {MAX_POSTS} posts per request, got {}", raw.len()));
    }
    raw.into_iter()
        .enumerate()
        .map(|(i, v)| {
            let p: IngestPost = serde_json::from_value(v).map_err(|e| format!("posts[{i}]: {e}"))?;
            check(p).map_err(|e| format!("posts[{i}]: {e}"))
        })
        .collect()
}

fn check(p: IngestPost) -> Result<Post, String> {
    let id = p.id.trim();
    if id.is_empty() || id.len() > 256 {
        return Err("id: must be 1 to 256 characters".into());
    }
    if p.text.trim().is_empty() {
        return Err("text: must not be empty".into());
    }
    if p.text.len() > MAX_TEXT_BYTES {
        return Err(format!("text: at most {MAX_TEXT_BYTES} bytes"));
    }
    let platform = match p.platform.as_deref() {
        None => Platform::Ingest,
        Some(name) => Platform::parse(name).ok_or_else(|| format!("platform: unknown platform {name:?}"))?,
    };
    let url = match p.url {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => u,
        Some(_) => return Err("url: must be an http(s) URL".into()),
        None => String::new(),
    };
    Ok(Post {
        platform,
        external_id: ExternalId::new(id),
        url,
        author: Author {
            handle: p.author.unwrap_or_default().trim_start_matches('@').to_string(),
            display_name: p.author_name,
            followers: p.followers,
        },
        text: p.text,
        created_at: p.created_at.unwrap_or_else(Utc::now),
        lang: p.lang,
        engagement: Engagement { likes: p.likes, reposts: p.reposts, replies: p.replies },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_post_or_many() {
        let one = parse(br#"{"id": "a1", "text": "Acme Air lost my bag"}"#).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].platform, Platform::Ingest);
        let many = parse(
            br#"{"posts": [{"id": "a", "text": "x", "platform": "reddit", "author": "@dana"},
                                        {"id": "b", "text": "y", "created_at": "2026-05-01T12:00:00Z"}]}"#,
        )
        .unwrap();
        assert_eq!(many[0].platform, Platform::Reddit);
        assert_eq!(many[0].author.handle, "dana");
        assert_eq!(many[1].created_at.to_rfc3339(), "2026-05-01T12:00:00+00:00");
    }

    #[test]
    fn bad_posts_are_named() {
        let e = parse(br#"{"posts": [{"id": "a", "text": "x"}, {"id": "", "text": "y"}]}"#).unwrap_err();
        assert!(e.starts_with("posts[1]: id"), "{e}");
        let e = parse(br#"{"posts": [{"id": "a", "text": "x", "platfrom": "x"}]}"#).unwrap_err();
        assert!(e.contains("posts[0]: unknown field `platfrom`"), "{e}");
        let e = parse(br#"{"id": "a", "text": "x", "platform": "myspace"}"#).unwrap_err();
        assert!(e.contains("unknown platform"), "{e}");
        let e = parse(b"{not json").unwrap_err();
        assert!(e.contains("not JSON"), "{e}");
        assert!(parse(br#"{"posts": []}"#).is_err());
        let e = parse(br#"{"id": "a", "text": "x", "url": "javascript:alert(1)"}"#).unwrap_err();
        assert!(e.contains("url"), "{e}");
    }
}
