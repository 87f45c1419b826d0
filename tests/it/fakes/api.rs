//! Fakes whose state answers whole requests through [`FakeApi`] (Mastodon,
//! Bluesky, Reddit): built on `server.rs` (server lifecycle, [`Fault`],
//! `apply`, `respond`), adding a request record with method and body
//! (session and token endpoints need them) and the routing of queued
//! faults to the requests a platform says they aim at (its search
//! endpoint, not its login).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;

use super::server::{apply, lock, respond, FakeServer, Fault};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    /// Raw (still encoded) query, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// The first decoded value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer …` header (scheme
    /// case-insensitive).
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, token) = self.header("authorization")?.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
    }
}

/// A platform's state: which requests faults aim at, and the answers.
pub trait FakeApi: Send + 'static {
    /// Whether queued faults apply to this request.
    fn faultable(&self, req: &Req) -> bool;
    /// The normal answer.
    fn handle(&mut self, req: &Req) -> Response;
}

/// The state (set right after binding: it needs the address), the
/// request record and the fault queue.
struct Shared<A> {
    api: Arc<Mutex<Option<A>>>,
    requests: Arc<Mutex<Vec<Req>>>,
    faults: Arc<Mutex<VecDeque<Fault>>>,
}

impl<A> Clone for Shared<A> {
    fn clone(&self) -> Self {
        Shared { api: self.api.clone(), requests: self.requests.clone(), faults: self.faults.clone() }
    }
}

/// A running [`FakeApi`]; stops when dropped.
pub struct ApiServer<A: FakeApi> {
    server: FakeServer,
    shared: Shared<A>,
}

impl<A: FakeApi> ApiServer<A> {
    /// Binds, then builds the state with the server's own base URL.
    pub async fn start(make: impl FnOnce(String) -> A) -> ApiServer<A> {
        let shared = Shared {
            api: Arc::new(Mutex::new(None)),
            requests: Arc::new(Mutex::new(Vec::new())),
            faults: Arc::new(Mutex::new(VecDeque::new())),
        };
        let app = Router::new().fallback(handle::<A>).with_state(shared.clone());
        let server = FakeServer::start(app).await;
        *lock(&shared.api) = Some(make(server.url("")));
        ApiServer { server, shared }
    }

    /// `http://127.0.0.1:{port}`
    pub fn base(&self) -> String {
        self.server.url("")
    }

    /// Runs `f` on the platform state (no await inside).
    pub fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R {
        f(lock(&self.shared.api).as_mut().expect("state set at start"))
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Req> {
        lock(&self.shared.requests).clone()
    }

    /// Requests to paths starting with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Req> {
        self.requests().into_iter().filter(|r| r.path.starts_with(prefix)).collect()
    }

    /// Queues a fault for the next faultable request.
    pub fn fail_next(&self, fault: Fault) {
        lock(&self.shared.faults).push_back(fault);
    }
}

async fn handle<A: FakeApi>(
    State(shared): State<Shared<A>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req { method, path: uri.path().to_string(), query: uri.query().unwrap_or("").to_string(), headers, body };
    lock(&shared.requests).push(req.clone());
    let faultable = lock(&shared.api).as_ref().is_some_and(|a| a.faultable(&req));
    let fault = if faultable { lock(&shared.faults).pop_front() } else { None };
    if let Some(answer) = apply(fault).await {
        return answer;
    }
    match lock(&shared.api).as_mut() {
        Some(api) => api.handle(&req),
        None => respond(503, &[], "starting"),
    }
}

/// A JSON answer (`application/json; charset=utf-8`) with extra headers.
pub fn json(status: u16, headers: &[(&str, String)], value: &serde_json::Value) -> Response {
    let mut all: Vec<(&str, &str)> = vec![("content-type", "application/json; charset=utf-8")];
    all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
    respond(status, &all, value.to_string())
}

/// A 200 JSON answer cut short: what a dropped connection leaves.
pub fn truncated_json(body: &str) -> Fault {
    Fault::reply(200, &[("Content-Type", "application/json; charset=utf-8")], body)
}

/// A fault answering with `status`, JSON `value` and these headers.
pub fn json_fault(status: u16, headers: &[(&str, String)], value: &serde_json::Value) -> Fault {
    let mut all = vec![("Content-Type".to_string(), "application/json; charset=utf-8".to_string())];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Fault::Reply { status, headers: all, body: value.to_string() }
}

/// Whether every word of a search query (quotes ignored) is in `text`,
/// case-insensitively: what the fakes' search endpoints match.
pub fn matches_query(query: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    let words: Vec<String> = query.replace('"', " ").split_whitespace().map(str::to_lowercase).collect();
    !words.is_empty() && words.iter().all(|w| text.contains(w.as_str()))
}
