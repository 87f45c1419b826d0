//! A fake Slack incoming webhook (platform-apis.md 8.1-8.3 and 9.2) on
//! `127.0.0.1:0`: records every request, answers `200 ok`, checks the body
//! like Slack does (`400 invalid_payload` for bad JSON, `400 invalid_blocks`
//! past the Block Kit limits), can be scripted to answer 429 + `Retry-After`,
//! 500 or `404 no_service` on the next request(s), can be down for a while
//! (500s and hung requests, [`FakeSlack::outage`]), and can enforce Slack's
//! 1 message/s token bucket with a small burst.
//!
//! Self-contained: depends only on axum, tokio, serde_json and anyhow.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The secret part of the fake's webhook path; tests assert it never shows
/// up in errors or logs.
pub const SECRET: &str = "xoxfake0s3cr3tW3bh00kT0k3n";

/// Mention sequences that must never reach Slack unescaped (8.4).
pub const MENTION_PREFIXES: [&str; 5] = ["<!channel", "<!here", "<!everyone", "<!subteam", "<@"];

/// A scripted answer for the next request, in place of the normal checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 429 with `Retry-After: secs` and Slack's historical JSON body.
    RateLimited { retry_after_secs: u64 },
    /// 500 `rollup_error`.
    ServerError,
    /// Any status and plain-text body, e.g. 404 `no_service`.
    Status { code: u16, body: String },
}

impl Reply {
    /// 404 `no_service`: a revoked webhook.
    pub fn no_service() -> Reply {
        Reply::Status { code: 404, body: "no_service".into() }
    }
}

/// One request as received, with the answer given.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub path: String,
    pub content_type: Option<String>,
    pub body: String,
    pub status: u16,
    pub answer: String,
    /// When the request arrived (for Retry-After and pacing checks).
    pub at: Instant,
}

#[derive(Debug)]
struct Bucket {
    burst: f64,
    tokens: f64,
    last: Instant,
}

#[derive(Debug, Default)]
struct FakeState {
    attempts: Vec<Attempt>,
    script: VecDeque<Reply>,
    bucket: Option<Bucket>,
    outage: Option<Outage>,
}

/// Down until `until`: every other request answers 500, the rest hang for
/// `hang` first (a client timeout) and then answer 500.
#[derive(Debug)]
struct Outage {
    until: Instant,
    hang: std::time::Duration,
    seen: u64,
}

type Shared = Arc<Mutex<FakeState>>;

pub struct FakeSlack {
    url: String,
    state: Shared,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeSlack {
    /// A fake with no rate limit.
    pub async fn start() -> anyhow::Result<FakeSlack> {
        Self::spawn(None).await
    }

    /// A fake enforcing 1 message/s with bursts of up to `burst`.
    pub async fn start_rate_limited(burst: u32) -> anyhow::Result<FakeSlack> {
        let burst = f64::from(burst.max(1));
        Self::spawn(Some(Bucket { burst, tokens: burst, last: Instant::now() })).await
    }

    async fn spawn(bucket: Option<Bucket>) -> anyhow::Result<FakeSlack> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(FakeState { bucket, ..FakeState::default() }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(FakeSlack {
            url: format!("http://{addr}/services/T0FAKE/B0FAKE/{SECRET}"),
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The webhook URL (a secret, like a real one).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Queues an answer for the next request; several queue in order.
    pub fn script(&self, reply: Reply) {
        lock(&self.state).script.push_back(reply);
    }

    /// Fails every request for `length` from now: 500s, and requests that
    /// hang for `hang` before their 500 (longer than the client's timeout).
    pub fn outage(&self, length: std::time::Duration, hang: std::time::Duration) {
        lock(&self.state).outage = Some(Outage { until: Instant::now() + length, hang, seen: 0 });
    }

    /// The JSON bodies of the messages Slack accepted (answered 200).
    pub fn received(&self) -> Vec<Value> {
        lock(&self.state)
            .attempts
            .iter()
            .filter(|a| a.status == 200)
            .filter_map(|a| serde_json::from_str(&a.body).ok())
            .collect()
    }

    /// Every request, accepted or not.
    pub fn attempts(&self) -> Vec<Attempt> {
        lock(&self.state).attempts.clone()
    }

    /// Panics if any string in any recorded body contains a mention
    /// sequence (`<!channel>`, `<!here>`, `<@U…>`…) that Slack would act on.
    pub fn assert_no_unescaped_mentions(&self) {
        for a in self.attempts() {
            let mut strings = Vec::new();
            match serde_json::from_str::<Value>(&a.body) {
                Ok(v) => collect_strings(&v, &mut strings),
                Err(_) => strings.push(a.body.clone()),
            }
            for s in strings {
                if let Some(p) = MENTION_PREFIXES.iter().find(|p| s.contains(*p)) {
                    panic!("unescaped {p} reached Slack in: {s}");
                }
            }
        }
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

async fn handle(State(state): State<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (status, extra, answer, hang) = answer(&state, &uri, content_type, &body);
    if let Some(d) = hang {
        tokio::time::sleep(d).await;
    }
    let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), answer).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html"));
    if let Some(secs) = extra {
        resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    resp
}

/// Decides and records the answer: (status, Retry-After, body, hang first).
fn answer(
    state: &Shared,
    uri: &Uri,
    content_type: Option<String>,
    body: &Bytes,
) -> (u16, Option<u64>, String, Option<std::time::Duration>) {
    let mut s = lock(state);
    let mut hang = None;
    let (status, extra, answer) = if let Some(o) = s.outage.as_mut().filter(|o| Instant::now() < o.until) {
        o.seen += 1;
        hang = (o.seen % 2 == 0).then_some(o.hang);
        (500, None, if hang.is_some() { "timeout" } else { "rollup_error" }.to_string())
    } else if !uri.path().ends_with(SECRET) {
        (404, None, "no_service".to_string())
    } else if let Some(reply) = s.script.pop_front() {
        scripted(reply)
    } else if let Err(code) = validate(content_type.as_deref(), body) {
        (400, None, code.to_string())
    } else if let Some(wait) = s.bucket.as_mut().and_then(take_token) {
        rate_limited(wait)
    } else {
        (200, None, "ok".to_string())
    };
    s.attempts.push(Attempt {
        path: uri.path().to_string(),
        content_type,
        body: String::from_utf8_lossy(body).into_owned(),
        status,
        answer: answer.clone(),
        at: Instant::now(),
    });
    (status, extra, answer, hang)
}

/// (status, Retry-After seconds, body).
fn scripted(reply: Reply) -> (u16, Option<u64>, String) {
    match reply {
        Reply::RateLimited { retry_after_secs } => rate_limited(retry_after_secs),
        Reply::ServerError => (500, None, "rollup_error".into()),
        Reply::Status { code, body } => (code, None, body),
    }
}

fn rate_limited(secs: u64) -> (u16, Option<u64>, String) {
    (429, Some(secs), r#"{"ok":false,"count_hour_ago":400,"count_minute_ago":100,"count_second_ago":5}"#.into())
}

/// Takes one token; `Some(seconds to wait)` when the bucket is empty.
fn take_token(b: &mut Bucket) -> Option<u64> {
    let now = Instant::now();
    b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64()).min(b.burst);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        None
    } else {
        Some((1.0 - b.tokens).ceil().max(1.0) as u64)
    }
}

/// Slack's checks, as far as a webhook reports them (8.2, 8.3).
fn validate(content_type: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    if !content_type.is_some_and(|c| c.starts_with("application/json")) {
        return Err("invalid_payload");
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| "invalid_payload")?;
    let msg = v.as_object().ok_or("invalid_payload")?;
    let text = msg.get("text");
    if text.is_some_and(|t| !t.is_string()) {
        return Err("invalid_payload");
    }
    let Some(blocks) = msg.get("blocks") else {
        return if text.is_some() { Ok(()) } else { Err("no_text") };
    };
    let blocks = blocks.as_array().ok_or("invalid_blocks")?;
    if blocks.len() > 50 {
        return Err("invalid_blocks");
    }
    let mut ids = HashSet::new();
    for b in blocks {
        if let Some(id) = b.get("block_id") {
            let id = id.as_str().ok_or("invalid_blocks")?;
            if id.chars().count() > 255 || !ids.insert(id.to_string()) {
                return Err("invalid_blocks");
            }
        }
        check_block(b).ok_or("invalid_blocks")?;
    }
    Ok(())
}

fn chars_at_most(v: Option<&Value>, max: usize) -> Option<()> {
    (v?.as_str()?.chars().count() <= max).then_some(())
}

fn text_object(v: Option<&Value>, max: usize, plain_only: bool) -> Option<()> {
    let t = v?;
    let kind = t.get("type")?.as_str()?;
    let ok_kind = kind == "plain_text" || (!plain_only && kind == "mrkdwn");
    ok_kind.then_some(())?;
    chars_at_most(t.get("text"), max)
}

/// `Some(())` when the block fits the Block Kit limits.
fn check_block(b: &Value) -> Option<()> {
    match b.get("type")?.as_str()? {
        "header" => text_object(b.get("text"), 150, true),
        "section" => {
            b.get("text").or(b.get("fields"))?;
            if b.get("text").is_some() {
                text_object(b.get("text"), 3000, false)?;
            }
            if let Some(fields) = b.get("fields") {
                let fields = fields.as_array()?;
                (fields.len() <= 10).then_some(())?;
                fields.iter().try_for_each(|f| text_object(Some(f), 2000, false))?;
            }
            Some(())
        }
        "context" => {
            let els = b.get("elements")?.as_array()?;
            (!els.is_empty() && els.len() <= 10).then_some(())?;
            els.iter().try_for_each(|e| text_object(Some(e), 3000, false))
        }
        "actions" => {
            let els = b.get("elements")?.as_array()?;
            (!els.is_empty() && els.len() <= 25).then_some(())?;
            els.iter().try_for_each(check_button)
        }
        "divider" => Some(()),
        _ => None,
    }
}

fn check_button(e: &Value) -> Option<()> {
    (e.get("type")?.as_str()? == "button").then_some(())?;
    text_object(e.get("text"), 75, true)?;
    for (key, max) in [("action_id", 255), ("value", 2000), ("url", 3000)] {
        if e.get(key).is_some() {
            chars_at_most(e.get(key), max)?;
        }
    }
    match e.get("style").map(|s| s.as_str()) {
        None | Some(Some("primary" | "danger")) => Some(()),
        _ => None,
    }
}
