//! A fake webhook receiver on `127.0.0.1:0`, written the way README tells
//! receivers to be written: it recomputes `X-Earshot-Signature` (HMAC-SHA256
//! under the shared secret over `"{X-Earshot-Timestamp}.{raw body}"`),
//! refuses a bad signature or a timestamp outside a 5-minute window with
//! 401, and drops repeats of an `X-Earshot-Delivery` it already accepted.
//! Faults (429 + `Retry-After`, 500, 404) can be queued for the next
//! requests.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::server::{apply, lock, respond, Fake, FakeServer, Log, Recorded};

/// The shared signing secret.
pub const SIGNING_SECRET: &str = "whsec_fake_s3cr3t";
/// The secret part of the fake's URL; must never reach logs or errors.
pub const URL_TOKEN: &str = "t0k3nInTheP4th";
/// The replay window README recommends.
pub const REPLAY_WINDOW_SECS: i64 = 300;

#[derive(Debug, Default)]
struct Inbox {
    /// Accepted bodies, in order (repeats of a delivery id included).
    accepted: Vec<(String, Value)>,
    /// Delivery ids seen, for dedupe.
    seen: HashSet<String>,
    rejected: u32,
}

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Log>>,
    inbox: Arc<Mutex<Inbox>>,
}

pub struct FakeWebhook {
    server: FakeServer,
    shared: Shared,
}

impl Fake for FakeWebhook {
    fn log(&self) -> &Arc<Mutex<Log>> {
        &self.shared.log
    }
}

impl FakeWebhook {
    pub async fn start() -> FakeWebhook {
        let shared = Shared { log: Default::default(), inbox: Default::default() };
        let app = Router::new().route("/hooks/{token}", post(receive)).with_state(shared.clone());
        FakeWebhook { server: FakeServer::start(app).await, shared }
    }

    pub fn url(&self) -> String {
        self.server.url(&format!("/hooks/{URL_TOKEN}"))
    }

    /// Accepted deliveries as (delivery id, body).
    pub fn accepted(&self) -> Vec<(String, Value)> {
        lock(&self.shared.inbox).accepted.clone()
    }

    /// Distinct delivery ids accepted.
    pub fn distinct(&self) -> usize {
        lock(&self.shared.inbox).seen.len()
    }

    /// Requests refused for a bad or stale signature.
    pub fn rejected(&self) -> u32 {
        lock(&self.shared.inbox).rejected
    }
}

/// The check README documents, in the receiver's words.
pub fn verify(secret: &[u8], headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (ts, sig) = (get("x-earshot-timestamp"), get("x-earshot-signature"));
    let Ok(t) = ts.parse::<i64>() else { return false };
    if (now - t).abs() > REPLAY_WINDOW_SECS {
        return false;
    }
    let Some(hex) = sig.strip_prefix("v1=") else { return false };
    let Ok(given) = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()).ok_or(()))
        .collect::<Result<Vec<u8>, ()>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

async fn receive(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let fault = lock(&s.log).take(Recorded { path: "/hooks".into(), query: String::new(), headers: headers.clone() });
    if let Some(resp) = apply(fault).await {
        return resp;
    }
    if !verify(SIGNING_SECRET.as_bytes(), &headers, &body, chrono::Utc::now().timestamp()) {
        lock(&s.inbox).rejected += 1;
        return respond(401, &[], "bad signature");
    }
    let Ok(json) = serde_json::from_slice::<Value>(&body) else {
        return respond(400, &[], "not json");
    };
    let id = headers.get("x-earshot-delivery").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut inbox = lock(&s.inbox);
    inbox.seen.insert(id.clone());
    inbox.accepted.push((id, json));
    respond(200, &[], "ok")
}
