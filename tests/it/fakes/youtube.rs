//! A fake YouTube Data API v3 (platform-apis.md §6, 9.2) on
//! `127.0.0.1:0`: `/youtube/v3/search`, `/commentThreads`, `/videos` and
//! `/channels`. It checks the `key` (400 `API_KEY_INVALID` otherwise),
//! charges quota as Google does (search 100 units, the rest 1) and answers
//! 403 `quotaExceeded` once the day's budget is spent; pages with offset
//! `pageToken`s; filters `publishedAfter` (inclusive) / `publishedBefore`
//! (exclusive) and `q` with `|` as OR; escapes titles and descriptions as
//! HTML entities; sends statistics as strings; answers 403
//! `commentsDisabled` for videos set so; and uses Google's error JSON
//! (`errors[]` and `details[]`).
//!
//! Unlike YouTube, the fake serves a video's whole description in search
//! results (YouTube cuts it to a snippet), so long-text checks can run.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Router;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::server::{apply, escape, lock, respond, Fake, FakeServer, Fault, Log, Recorded};

pub const KEY: &str = "AIzaFakeKey0123456789";

#[derive(Debug, Clone)]
pub struct FakeVideo {
    pub video_id: String,
    pub channel_id: String,
    pub channel_title: String,
    pub title: String,
    pub description: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: String,
    pub video_id: String,
    pub author: String,
    pub text: String,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct YtState {
    videos: Vec<FakeVideo>,
    comments: Vec<FakeComment>,
    comments_disabled: HashSet<String>,
    quota_limit: u32,
    quota_used: u32,
}

#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<YtState>>,
    log: Arc<Mutex<Log>>,
}

pub struct FakeYoutube {
    pub server: FakeServer,
    state: Arc<Mutex<YtState>>,
    log: Arc<Mutex<Log>>,
}

impl Fake for FakeYoutube {
    fn log(&self) -> &Arc<Mutex<Log>> {
        &self.log
    }
}

impl FakeYoutube {
    pub async fn start() -> FakeYoutube {
        let state = Arc::new(Mutex::new(YtState { quota_limit: 10_000, ..YtState::default() }));
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Shared { state: state.clone(), log: log.clone() };
        let server = FakeServer::start(Router::new().fallback(handle).with_state(shared)).await;
        FakeYoutube { server, state, log }
    }

    pub fn base_url(&self) -> String {
        self.server.url("/youtube/v3")
    }

    pub fn add_video(&self, v: FakeVideo) {
        lock(&self.state).videos.push(v);
    }

    pub fn remove_video(&self, video_id: &str) {
        lock(&self.state).videos.retain(|v| v.video_id != video_id);
    }

    pub fn add_comment(&self, c: FakeComment) {
        lock(&self.state).comments.push(c);
    }

    pub fn disable_comments(&self, video_id: &str) {
        lock(&self.state).comments_disabled.insert(video_id.into());
    }

    /// The project's daily budget, and what is spent of it.
    pub fn set_quota(&self, limit: u32) {
        lock(&self.state).quota_limit = limit;
    }

    pub fn quota_used(&self) -> u32 {
        lock(&self.state).quota_used
    }

    /// 429 with `Retry-After` and Google's RESOURCE_EXHAUSTED body.
    pub fn rate_limited(secs: u64) -> Fault {
        let body = json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED", "errors": [{"message": "Too many requests", "domain": "usageLimits", "reason": "rateLimitExceeded"}]}});
        Fault::reply(
            429,
            &[("content-type", "application/json; charset=UTF-8"), ("retry-after", &secs.to_string())],
            &body.to_string(),
        )
    }
}

fn google_error(code: u16, reason: &str, domain: &str, message: &str, extra: Value) -> Response {
    let mut err =
        json!({"code": code, "message": message, "errors": [{"message": message, "domain": domain, "reason": reason}]});
    if let Value::Object(extra) = extra {
        err.as_object_mut().expect("object").extend(extra);
    }
    respond(code, &[("content-type", "application/json; charset=UTF-8")], json!({ "error": err }).to_string())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Offset tokens, like YouTube's (`CAIQAA` encodes an offset too).
fn page<T: Clone>(items: &[T], req: &Recorded, default: usize, max: usize) -> (Vec<T>, Option<String>) {
    let size = req.param("maxResults").and_then(|m| m.parse::<usize>().ok()).unwrap_or(default).min(max);
    let from = req.param("pageToken").and_then(|t| t.strip_prefix("OFF").and_then(|n| n.parse().ok())).unwrap_or(0);
    let slice: Vec<T> = items.iter().skip(from).take(size).cloned().collect();
    let next = (from + size < items.len()).then(|| format!("OFF{}", from + size));
    (slice, next)
}

async fn handle(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let req = Recorded { path: uri.path().into(), query: uri.query().unwrap_or("").into(), headers };
    let fault = lock(&shared.log).take(req.clone());
    if let Some(r) = apply(fault).await {
        return r;
    }
    if req.param("key").as_deref() != Some(KEY) {
        return google_error(
            400,
            "badRequest",
            "global",
            "API key not valid. Please pass a valid API key.",
            json!({"status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}),
        );
    }
    let endpoint = req.path.strip_prefix("/youtube/v3/").unwrap_or("").to_string();
    let cost = if endpoint == "search" { 100 } else { 1 };
    let mut s = lock(&shared.state);
    if s.quota_used + cost > s.quota_limit {
        return google_error(403, "quotaExceeded", "youtube.quota",
            "The request cannot be completed because you have exceeded your <a href=\"/youtube/v3/getting-started#quota\">quota</a>.", Value::Null);
    }
    s.quota_used += cost;
    let body = match endpoint.as_str() {
        "search" => search(&s, &req),
        "videos" => {
            let ids: Vec<String> = req.param("id").unwrap_or_default().split(',').map(str::to_string).collect();
            let items: Vec<Value> = s.videos.iter().filter(|v| ids.contains(&v.video_id)).map(|v| {
                let comments = s.comments.iter().filter(|c| c.video_id == v.video_id).count();
                json!({"kind": "youtube#video", "etag": "e", "id": v.video_id,
                    "statistics": {"viewCount": "1200", "likeCount": "31", "favoriteCount": "0", "commentCount": comments.to_string()}})
            }).collect();
            Ok(
                json!({"kind": "youtube#videoListResponse", "items": items, "pageInfo": {"totalResults": items.len(), "resultsPerPage": items.len()}}),
            )
        }
        "channels" => {
            let ids: Vec<String> = req.param("id").unwrap_or_default().split(',').map(str::to_string).collect();
            let mut seen = HashSet::new();
            let items: Vec<Value> = s.videos.iter().filter(|v| ids.contains(&v.channel_id) && seen.insert(v.channel_id.clone())).map(|v| {
                json!({"kind": "youtube#channel", "id": v.channel_id,
                    "statistics": {"viewCount": "5", "subscriberCount": "12300", "hiddenSubscriberCount": false, "videoCount": "3"}})
            }).collect();
            Ok(json!({"kind": "youtube#channelListResponse", "items": items}))
        }
        "commentThreads" => comment_threads(&s, &req),
        _ => Err(Box::new(google_error(404, "notFound", "global", "Not Found", Value::Null))),
    };
    match body {
        Ok(b) => respond(200, &[("content-type", "application/json; charset=UTF-8")], b.to_string()),
        Err(r) => *r,
    }
}

fn search(s: &YtState, req: &Recorded) -> Result<Value, Box<Response>> {
    if req.param("part").as_deref() != Some("snippet") {
        return Err(Box::new(google_error(400, "required", "global", "Required parameter: part", Value::Null)));
    }
    let q = req.param("q").unwrap_or_default().to_lowercase();
    let terms: Vec<String> =
        q.split('|').map(|t| t.trim().trim_matches('"').to_string()).filter(|t| !t.is_empty()).collect();
    let time =
        |k: &str| req.param(k).and_then(|v| DateTime::parse_from_rfc3339(&v).ok()).map(|t| t.with_timezone(&Utc));
    let (after, before) = (time("publishedAfter"), time("publishedBefore"));
    let mut hits: Vec<&FakeVideo> = s
        .videos
        .iter()
        .filter(|v| {
            let text = format!("{} {}", v.title, v.description).to_lowercase();
            terms.iter().any(|t| text.contains(t.as_str()))
        })
        .filter(|v| after.is_none_or(|a| v.published_at >= a) && before.is_none_or(|b| v.published_at < b))
        .collect();
    hits.sort_by_key(|v| std::cmp::Reverse(v.published_at));
    let total = hits.len();
    let (items, next) = page(&hits, req, 5, 50);
    let items: Vec<Value> = items
        .iter()
        .map(|v| {
            json!({"kind": "youtube#searchResult", "etag": "e", "id": {"kind": "youtube#video", "videoId": v.video_id},
            "snippet": {"publishedAt": rfc3339(v.published_at), "channelId": v.channel_id, "title": escape(&v.title),
                "description": escape(&v.description), "thumbnails": {}, "channelTitle": escape(&v.channel_title),
                "liveBroadcastContent": "none", "publishTime": rfc3339(v.published_at)}})
        })
        .collect();
    let mut body = json!({"kind": "youtube#searchListResponse", "etag": "e", "regionCode": "US",
        "pageInfo": {"totalResults": total, "resultsPerPage": items.len()}, "items": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(body)
}

fn comment_threads(s: &YtState, req: &Recorded) -> Result<Value, Box<Response>> {
    let video = req.param("videoId");
    if let Some(v) = &video {
        if s.comments_disabled.contains(v) {
            return Err(Box::new(google_error(403, "commentsDisabled", "youtube.commentThread",
                "The video identified by the <code><a href=\"/youtube/v3/docs/commentThreads/list#videoId\">videoId</a></code> parameter has disabled comments.", Value::Null)));
        }
        if !s.videos.iter().any(|x| &x.video_id == v) && !s.comments.iter().any(|c| &c.video_id == v) {
            return Err(Box::new(google_error(
                404,
                "videoNotFound",
                "youtube.commentThread",
                "The video identified by the videoId parameter could not be found.",
                Value::Null,
            )));
        }
    }
    let channel = req.param("allThreadsRelatedToChannelId");
    let terms = req.param("searchTerms").map(|t| t.to_lowercase());
    let mut hits: Vec<&FakeComment> = s
        .comments
        .iter()
        .filter(|c| match (&video, &channel) {
            (Some(v), _) => &c.video_id == v,
            (None, Some(ch)) => s.videos.iter().any(|v| v.video_id == c.video_id && &v.channel_id == ch),
            (None, None) => false,
        })
        .filter(|c| terms.as_ref().is_none_or(|t| c.text.to_lowercase().contains(t.as_str())))
        .collect();
    hits.sort_by_key(|v| std::cmp::Reverse(v.published_at));
    let (items, next) = page(&hits, req, 20, 100);
    let items: Vec<Value> = items
        .iter()
        .map(|c| {
            json!({"kind": "youtube#commentThread", "etag": "e", "id": c.id,
        "snippet": {"videoId": c.video_id, "topLevelComment": {"kind": "youtube#comment", "etag": "e", "id": c.id,
            "snippet": {"videoId": c.video_id, "textDisplay": escape(&c.text), "textOriginal": c.text,
                "authorDisplayName": format!("@{}", c.author), "likeCount": 2, "publishedAt": rfc3339(c.published_at),
                "updatedAt": rfc3339(c.published_at)}},
            "canReply": true, "totalReplyCount": 1, "isPublic": true}})
        })
        .collect();
    let mut body = json!({"kind": "youtube#commentThreadListResponse", "etag": "e", "items": items});
    if let Some(n) = next {
        body["nextPageToken"] = json!(n);
    }
    Ok(body)
}
