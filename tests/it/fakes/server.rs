//! What every platform fake shares: an axum app on `127.0.0.1:0` stopped
//! on drop, the record of requests it received, and the queue of scripted
//! faults ([`Fault`]) each request takes one of. The platform fakes
//! (`x.rs`, `youtube.rs`, `feed.rs`) add only their wire format.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A running fake; stops when dropped.
pub struct FakeServer {
    pub addr: std::net::SocketAddr,
    stop: CancellationToken,
    _task: JoinHandle<()>,
}

impl FakeServer {
    pub async fn start(app: Router) -> FakeServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned()).await;
        });
        FakeServer { addr, stop, _task: task }
    }

    /// `http://127.0.0.1:{port}{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    /// Raw (still encoded) query string.
    pub query: String,
    pub headers: HeaderMap,
}

impl Recorded {
    /// A decoded query parameter.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
}

/// A misbehaviour for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer this instead of the normal answer.
    Reply { status: u16, headers: Vec<(String, String)>, body: String },
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer normally (queue it before a fault to aim at a later request).
    Pass,
}

impl Fault {
    /// 503 with the HTML page a proxy would send.
    pub fn server_error_html() -> Fault {
        Fault::reply(
            503,
            &[("Content-Type", "text/html")],
            "<html><body><h1>503 Service Unavailable</h1></body></html>",
        )
    }

    pub fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Fault {
        Fault::Reply {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.into(),
        }
    }
}

/// Requests seen and faults queued: the part of a fake's state every fake has.
#[derive(Debug, Default)]
pub struct Log {
    pub requests: Vec<Recorded>,
    pub faults: VecDeque<Fault>,
}

impl Log {
    /// Records a request and takes the next queued fault.
    pub fn take(&mut self, req: Recorded) -> Option<Fault> {
        self.requests.push(req);
        self.faults.pop_front()
    }
}

/// The request log and fault queue of a fake, for tests.
pub trait Fake {
    fn log(&self) -> &Arc<Mutex<Log>>;

    /// Queues a fault; each request takes the oldest queued one.
    fn fail_next(&self, fault: Fault) {
        lock(self.log()).faults.push_back(fault);
    }

    /// Every request so far, oldest first.
    fn requests(&self) -> Vec<Recorded> {
        lock(self.log()).requests.clone()
    }
}

/// Applies a fault: `Some(response)` to send instead of the normal one.
pub async fn apply(fault: Option<Fault>) -> Option<Response> {
    match fault? {
        Fault::Reply { status, headers, body } => {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Some(respond(status, &h, body))
        }
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Fault::Pass => None,
    }
}

/// A response with this status, headers and body.
pub fn respond(status: u16, headers: &[(&str, &str)], body: impl Into<axum::body::Body>) -> Response {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(*k), HeaderValue::try_from(*v)) {
            map.insert(k, v);
        }
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), map, body.into()).into_response()
}

/// A poisoned lock only means a test thread panicked; the data is usable.
pub fn lock<T>(m: &Arc<Mutex<T>>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `&`, `<`, `>`, `"`, `'` escaped for XML and HTML text or attributes.
pub fn escape(s: &str) -> String {
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
