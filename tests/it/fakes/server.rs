//! The plumbing every platform fake shares, so each platform file holds
//! only its wire format: bind `127.0.0.1:0`, serve until dropped, record
//! every request, and apply the contract suite's queued [`FakeFault`]s to
//! the requests a platform marks as faultable (its search endpoint):
//! `Slow` is a delay handled here, the others are rendered by the
//! platform in its own format (its 429 body and headers...).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;
use tokio::sync::oneshot;

use crate::contract::FakeFault;

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
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
    }
}

/// What a platform fake implements.
pub trait FakeApi: Send + 'static {
    /// Whether queued faults apply to this request.
    fn faultable(&self, req: &Req) -> bool;
    /// The platform's rendering of a fault (never called with `Slow`).
    fn fault(&mut self, fault: &FakeFault) -> Response;
    /// The normal answer.
    fn handle(&mut self, req: &Req) -> Response;
}

struct Shared<A> {
    api: Mutex<A>,
    requests: Mutex<Vec<Req>>,
    faults: Mutex<VecDeque<FakeFault>>,
}

/// A running fake; stops when dropped.
pub struct FakeServer<A: FakeApi> {
    addr: SocketAddr,
    shared: Arc<Shared<A>>,
    stop: Option<oneshot::Sender<()>>,
}

/// A poisoned lock only means a test thread panicked; the data is usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<A: FakeApi> FakeServer<A> {
    /// Binds, then builds the API with its own base URL (`http://addr`).
    pub async fn start(make: impl FnOnce(String) -> A) -> FakeServer<A> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("fake binds");
        let addr = listener.local_addr().expect("fake address");
        let shared = Arc::new(Shared {
            api: Mutex::new(make(format!("http://{addr}"))),
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(VecDeque::new()),
        });
        let app = Router::new().fallback(handle::<A>).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        FakeServer { addr, shared, stop: Some(stop) }
    }

    /// `http://127.0.0.1:{port}`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs `f` on the platform state (no await inside).
    pub fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R {
        f(&mut lock(&self.shared.api))
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
    pub fn fail_next(&self, fault: FakeFault) {
        lock(&self.shared.faults).push_back(fault);
    }
}

impl<A: FakeApi> Drop for FakeServer<A> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn handle<A: FakeApi>(
    State(shared): State<Arc<Shared<A>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Req { method, path: uri.path().to_string(), query: uri.query().unwrap_or("").to_string(), headers, body };
    lock(&shared.requests).push(req.clone());
    let fault = if lock(&shared.api).faultable(&req) { lock(&shared.faults).pop_front() } else { None };
    match fault {
        Some(FakeFault::Slow(d)) => tokio::time::sleep(d).await,
        Some(f) => return lock(&shared.api).fault(&f),
        None => {}
    }
    lock(&shared.api).handle(&req)
}

/// A response with a status, headers and a body.
pub fn respond(status: u16, headers: &[(&str, String)], body: impl Into<axum::body::Body>) -> Response {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, v.as_str());
    }
    builder.body(body.into()).expect("fake response builds")
}

/// `200 application/json; charset=utf-8` with `value` and extra headers.
pub fn json(status: u16, headers: &[(&str, String)], value: &serde_json::Value) -> Response {
    let mut all = vec![("content-type", "application/json; charset=utf-8".to_string())];
    all.extend(headers.iter().cloned());
    respond(status, &all, value.to_string())
}

/// The HTML a proxy in front of any platform answers a 503 with.
pub fn html_503() -> Response {
    respond(
        503,
        &[("content-type", "text/html".into())],
        "<html><head><title>503 Service Unavailable</title></head><body><center><h1>503 Service Unavailable</h1>\
         </center><hr><center>nginx</center></body></html>",
    )
}

/// Escapes text as Mastodon and Reddit's HTML do (`&`, `<`, `>`, quotes).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether every word of a search query (quotes ignored) is in `text`,
/// case-insensitively: what the fakes' search endpoints match.
pub fn matches_query(query: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    let words: Vec<String> = query.replace('"', " ").split_whitespace().map(str::to_lowercase).collect();
    !words.is_empty() && words.iter().all(|w| text.contains(w.as_str()))
}
