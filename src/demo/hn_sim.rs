//! An in-process simulated Hacker News Algolia API (platform-apis.md §4),
//! for `earshot demo` and the integration tests: `GET /api/v1/search_by_date`
//! over a corpus that can grow between polls, speaking the real wire format,
//! recording every request, and misbehaving on demand ([`Fault`]).
//!
//! Search semantics (query words, `tags` OR groups, `numericFilters`, newest
//! first, paging, the 1000-hit cap answer) live in `hn_sim/search.rs`; this
//! file owns the corpus items ([`SimHit`]) and the HTTP server.
//!
//! Tests: `hn_sim/tests.rs` (filters, paging, wire format, faults over HTTP);
//! `HackernewsSource` against it in `tests/it/hackernews.rs`.

mod search;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::DateTime;
use serde_json::{json, Value};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

/// One item in the simulated index.
#[derive(Debug, Clone, PartialEq)]
pub struct SimHit {
    /// HN item id, as Algolia's `objectID` string. Two hits may share one
    /// (a duplicate that shows up on two pages).
    pub object_id: String,
    pub author: String,
    pub created_at_i: i64,
    pub item: SimItem,
    /// `_tags` beyond the kind, `author_…` and `story_…` (e.g. `ask_hn`).
    pub extra_tags: Vec<String>,
}

/// Story or comment, with the fields Algolia gives each.
#[derive(Debug, Clone, PartialEq)]
pub enum SimItem {
    Story {
        title: String,
        /// `None` for Ask HN / text posts.
        url: Option<String>,
        /// HTML body of a text post.
        story_text: Option<String>,
        points: u64,
        num_comments: u64,
    },
    Comment {
        /// HTML, as HN stores it (`<p>`, `&#x27;`, `<a href>`…).
        comment_text: String,
        story_id: u64,
        parent_id: u64,
        story_title: String,
        story_url: Option<String>,
    },
}

impl SimHit {
    /// A link story with 1 point and no comments; adjust with the `with_*` methods.
    pub fn story(id: impl Into<String>, author: &str, created_at_i: i64, title: &str) -> SimHit {
        SimHit {
            object_id: id.into(),
            author: author.into(),
            created_at_i,
            item: SimItem::Story { title: title.into(), url: None, story_text: None, points: 1, num_comments: 0 },
            extra_tags: Vec::new(),
        }
    }

    /// A top-level comment on story `story_id` titled `story_title`.
    pub fn comment(
        id: impl Into<String>,
        author: &str,
        created_at_i: i64,
        (story_id, story_title): (u64, &str),
        comment_text: &str,
    ) -> SimHit {
        SimHit {
            object_id: id.into(),
            author: author.into(),
            created_at_i,
            item: SimItem::Comment {
                comment_text: comment_text.into(),
                story_id,
                parent_id: story_id,
                story_title: story_title.into(),
                story_url: None,
            },
            extra_tags: Vec::new(),
        }
    }

    /// Sets a story's `url` (no effect on comments).
    pub fn with_url(mut self, link: &str) -> SimHit {
        if let SimItem::Story { url, .. } = &mut self.item {
            *url = Some(link.into());
        }
        self
    }

    /// Sets a story's HTML `story_text` (no effect on comments).
    pub fn with_text(mut self, html: &str) -> SimHit {
        if let SimItem::Story { story_text, .. } = &mut self.item {
            *story_text = Some(html.into());
        }
        self
    }

    /// Sets a story's `points` and `num_comments` (no effect on comments).
    pub fn with_engagement(mut self, p: u64, c: u64) -> SimHit {
        if let SimItem::Story { points, num_comments, .. } = &mut self.item {
            (*points, *num_comments) = (p, c);
        }
        self
    }

    pub fn with_tag(mut self, tag: &str) -> SimHit {
        self.extra_tags.push(tag.into());
        self
    }

    /// Algolia `_tags`: kind, `author_…`, `story_…`, then the extras.
    pub fn tags(&self) -> Vec<String> {
        let (kind, story) = match &self.item {
            SimItem::Story { .. } => ("story", self.object_id.clone()),
            SimItem::Comment { story_id, .. } => ("comment", story_id.to_string()),
        };
        let mut tags = vec![kind.to_string(), format!("author_{}", self.author), format!("story_{story}")];
        tags.extend(self.extra_tags.iter().cloned());
        tags
    }

    /// The hit as Algolia serialises it (current schema: `points: null` on
    /// comments, `created_at` ISO with `Z`, `updated_at`, `children` omitted).
    pub fn to_wire(&self) -> Value {
        let created_at = DateTime::from_timestamp(self.created_at_i, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        let mut hit = json!({
            "_tags": self.tags(),
            "author": self.author,
            "created_at": created_at,
            "created_at_i": self.created_at_i,
            "updated_at": created_at,
            "objectID": self.object_id,
        });
        let fields = match &self.item {
            SimItem::Story { title, url, story_text, points, num_comments } => json!({
                "title": title, "url": url, "story_text": story_text,
                "points": points, "num_comments": num_comments,
            }),
            SimItem::Comment { comment_text, story_id, parent_id, story_title, story_url } => json!({
                "comment_text": comment_text, "story_id": story_id, "parent_id": parent_id,
                "story_title": story_title, "story_url": story_url, "points": null,
            }),
        };
        if let (Some(hit), Value::Object(fields)) = (hit.as_object_mut(), fields) {
            hit.extend(fields);
        }
        hit
    }

    /// The searchable text: title, story text or comment text.
    pub(crate) fn searchable(&self) -> String {
        match &self.item {
            SimItem::Story { title, story_text, .. } => format!("{title}\n{}", story_text.as_deref().unwrap_or("")),
            SimItem::Comment { comment_text, .. } => comment_text.clone(),
        }
    }
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub path: String,
    /// The raw (still encoded) query string, without `?`.
    pub query: String,
}

impl RecordedRequest {
    /// A decoded query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// A misbehaviour for the next request, queued with [`HnSimulator::fail_next`].
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status, headers and body instead of searching.
    Status { code: u16, headers: Vec<(String, String)>, body: String },
    /// Answer 200 `application/json` with this (broken) body.
    Malformed(String),
    /// Wait this long (tokio time), then answer normally.
    Delay(Duration),
    /// Answer normally: queue it before a fault to aim that fault at a
    /// later request (the second page, the second query).
    Pass,
}

impl Fault {
    /// 429 with `Retry-After: secs` and an Algolia-style JSON body.
    pub fn rate_limited(secs: u64) -> Fault {
        Fault::Status {
            code: 429,
            headers: vec![
                ("Retry-After".into(), secs.to_string()),
                ("Content-Type".into(), "application/json; charset=utf-8".into()),
            ],
            body: r#"{"message":"Too many requests","status":429}"#.into(),
        }
    }

    /// A 500 with the HTML page a proxy in front of Algolia would send.
    pub fn server_error_html() -> Fault {
        Fault::Status {
            code: 500,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: "<html><head><title>500 Internal Server Error</title></head>\
                   <body><h1>Internal Server Error</h1></body></html>"
                .into(),
        }
    }
}

#[derive(Debug, Default)]
struct SimState {
    corpus: Vec<SimHit>,
    requests: Vec<RecordedRequest>,
    faults: VecDeque<Fault>,
}

type Shared = Arc<Mutex<SimState>>;

/// A running simulated API. Stops when dropped or on [`HnSimulator::shutdown`].
#[derive(Debug)]
pub struct HnSimulator {
    base_url: Url,
    /// std mutex: no await while it is held.
    state: Shared,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl HnSimulator {
    /// Binds `127.0.0.1:0` and serves `corpus` on a spawned task (call from
    /// within a tokio runtime).
    pub async fn start(corpus: Vec<SimHit>) -> anyhow::Result<HnSimulator> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding the simulated HN API")?;
        let addr = listener.local_addr().context("reading the simulated HN API's address")?;
        let state: Shared = Arc::new(Mutex::new(SimState { corpus, ..SimState::default() }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "simulated HN API stopped with an error");
            }
        });
        let base_url = Url::parse(&format!("http://{addr}/api/v1")).context("building the base URL")?;
        Ok(HnSimulator { base_url, state, stop, task: Some(task) })
    }

    /// `http://127.0.0.1:{port}/api/v1`, to put in `HackernewsConfig::base_url`.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    /// Adds an item, visible from the next request on.
    pub fn push(&self, hit: SimHit) {
        lock(&self.state).corpus.push(hit);
    }

    /// Removes every item with this `objectID` (a deleted post), from the
    /// next request on.
    pub fn remove(&self, object_id: &str) {
        lock(&self.state).corpus.retain(|h| h.object_id != object_id);
    }

    /// Removes every item created before `created_at_i` (unix seconds), so
    /// a long load run keeps each search's cost bounded.
    pub fn forget_before(&self, created_at_i: i64) {
        lock(&self.state).corpus.retain(|h| h.created_at_i >= created_at_i);
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state).requests.clone()
    }

    /// Queues a fault; each request takes the oldest queued one.
    pub fn fail_next(&self, fault: Fault) {
        lock(&self.state).faults.push_back(fault);
    }

    /// Stops accepting, lets in-flight requests finish (at most 5 s), then
    /// returns.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for HnSimulator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A poisoned lock only means a test thread panicked; the data is still usable.
fn lock(state: &Shared) -> MutexGuard<'_, SimState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn handle(State(state): State<Shared>, uri: Uri) -> Response {
    let request = RecordedRequest { path: uri.path().to_string(), query: uri.query().unwrap_or("").to_string() };
    let fault = {
        let mut s = lock(&state);
        s.requests.push(request.clone());
        s.faults.pop_front()
    };
    match fault {
        Some(Fault::Status { code, headers, body }) => return status_response(code, &headers, body),
        Some(Fault::Malformed(body)) => return status_response(200, &[], body),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Pass) | None => {}
    }
    if request.path != "/api/v1/search_by_date" {
        return algolia_error(StatusCode::NOT_FOUND, "Not Found");
    }
    let params = match search::SearchParams::parse(&request.query) {
        Ok(p) => p,
        Err(msg) => return algolia_error(StatusCode::BAD_REQUEST, &msg),
    };
    let answer = search::answer(&lock(&state).corpus, &params, &request.query);
    axum::Json(answer).into_response()
}

fn status_response(code: u16, headers: &[(String, String)], body: String) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut map = HeaderMap::new();
    map.insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::try_from(v.as_str())) {
            map.insert(k, v);
        }
    }
    (status, map, body).into_response()
}

/// Algolia's error shape: `{"message": "...", "status": 400}`.
fn algolia_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"message": message, "status": status.as_u16()}))).into_response()
}

#[cfg(test)]
mod tests;
