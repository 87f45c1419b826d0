//! `POST /slack/actions`: Slack interactivity (platform-apis.md 8.6). The
//! request is verified before anything is read from it: `X-Slack-Signature`
//! is `v0=` + hex HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the
//! app's signing secret, compared in constant time, and timestamps more
//! than 5 minutes off are refused (replays). Then the `payload` form field's
//! `block_actions` become queue moves (`ack`, `resolve`, `follow_up`,
//! `assign_me`) made
//! by `slack:{user}`, and the original message is updated through its
//! `response_url` (only under `slack.response_url_prefix`), off the
//! request path, because Slack wants an answer within 3 seconds.
//!
//! Tests: unit tests here (the reference signature vector, the replay
//! window); `tests/it/slack_actions.rs` end to end.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::constant_time_eq;
use super::AppState;
use crate::domain::QueueItemId;
use crate::queue::{Move, Via};
use crate::sinks::http::hmac_sha256_hex;
use crate::sinks::slack::blocks::escape;
use crate::store::{Change, QueueError};

/// Slack's replay window.
const MAX_SKEW_SECS: i64 = 300;

/// Why a request was refused before it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    MissingHeaders,
    Stale,
    BadSignature,
}

/// Checks Slack's signature over the raw body at time `now` (unix seconds).
pub fn verify(secret: &[u8], timestamp: &str, signature: &str, body: &[u8], now: i64) -> Result<(), Refusal> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| Refusal::MissingHeaders)?;
    if (now - ts).abs() > MAX_SKEW_SECS {
        return Err(Refusal::Stale);
    }
    let expected = format!("v0={}", hmac_sha256_hex(secret, &[b"v0:", timestamp.trim().as_bytes(), b":", body]));
    if constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::BadSignature)
    }
}

#[derive(Debug, Deserialize)]
struct Payload {
    #[serde(rename = "type")]
    kind: String,
    user: SlackUser,
    #[serde(default)]
    actions: Vec<Action>,
    response_url: Option<String>,
    message: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct SlackUser {
    id: String,
    username: Option<String>,
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Action {
    action_id: String,
    value: Option<String>,
}

pub async fn actions(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = state.handle.context();
    let Some(secret) = ctx.settings.slack.signing_secret.clone() else {
        return (StatusCode::NOT_FOUND, "slack interactivity is not configured").into_response();
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let (ts, sig) = (header("x-slack-request-timestamp"), header("x-slack-signature"));
    if ts.is_empty() || sig.is_empty() {
        return (StatusCode::UNAUTHORIZED, "missing Slack signature headers").into_response();
    }
    if let Err(why) = verify(secret.expose_secret().as_bytes(), &ts, &sig, &body, Utc::now().timestamp()) {
        tracing::warn!(reason = ?why, "refused a Slack action request");
        return (StatusCode::UNAUTHORIZED, "invalid Slack signature").into_response();
    }
    let Some(raw) = url::form_urlencoded::parse(&body).find(|(k, _)| k == "payload").map(|(_, v)| v.into_owned())
    else {
        return (StatusCode::BAD_REQUEST, "no payload field").into_response();
    };
    let payload: Payload = match serde_json::from_str(&raw) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("payload: {e}")).into_response(),
    };
    if payload.kind != "block_actions" {
        return StatusCode::OK.into_response();
    }
    let user = payload.user.username.clone().or(payload.user.name.clone()).unwrap_or(payload.user.id.clone());
    let actor = format!("slack:{user}");
    let mut outcome = Vec::new();
    for action in &payload.actions {
        let Some(id) = action.value.as_deref().and_then(|v| v.parse::<i64>().ok()) else { continue };
        let change = match action.action_id.as_str() {
            "ack" => Change { mv: Some(Move::Ack), assign: None, note: None, actor: &actor, via: Via::Slack },
            "resolve" => Change { mv: Some(Move::Resolve), assign: None, note: None, actor: &actor, via: Via::Slack },
            "follow_up" => {
                Change { mv: Some(Move::FollowUp), assign: None, note: None, actor: &actor, via: Via::Slack }
            }
            "assign_me" => Change { mv: None, assign: Some(Some(&user)), note: None, actor: &actor, via: Via::Slack },
            _ => continue,
        };
        let line = match ctx.queue_change(QueueItemId(id), &change).await {
            Ok(item) => format!("{} by @{} ({})", item.state, escape(&user), Utc::now().format("%H:%M UTC")),
            // A second click on the same button: say so, change nothing.
            Err(QueueError::Invalid(e)) => format!("no change: {e}"),
            Err(QueueError::NotFound(_)) => format!("queue item {id} no longer exists"),
            Err(QueueError::Store(e)) => {
                tracing::error!(error = %e, "cannot apply a Slack action");
                return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
            }
        };
        outcome.push(line);
    }
    if let (Some(url), false) = (payload.response_url.clone(), outcome.is_empty()) {
        if url.starts_with(&ctx.settings.slack.response_url_prefix) {
            let body = updated_message(payload.message.as_ref(), &outcome.join("; "));
            let http = ctx.http.inner.clone();
            tokio::spawn(async move {
                match http.post(url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!(status = %r.status(), "Slack refused the message update"),
                    Err(e) => tracing::warn!(error = %e.without_url(), "cannot update the Slack message"),
                }
            });
        } else {
            tracing::warn!("response_url outside slack.response_url_prefix; message not updated");
        }
    }
    StatusCode::OK.into_response()
}

/// The original message with its buttons replaced by what happened.
fn updated_message(original: Option<&Value>, what: &str) -> Value {
    let mut blocks: Vec<Value> = original
        .and_then(|m| m.get("blocks"))
        .and_then(Value::as_array)
        .map(|b| b.iter().filter(|b| b.get("type").and_then(Value::as_str) != Some("actions")).cloned().collect())
        .unwrap_or_default();
    blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": what}]}));
    let text = original.and_then(|m| m.get("text")).and_then(Value::as_str).unwrap_or("earshot alert");
    json!({"replace_original": true, "text": text, "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const BODY: &[u8] = b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22ack%22%2C%22value%22%3A%228812%22%7D%5D%7D";
    const SIG: &str = "v0=07cdfb205408e239c85f1e864ab55dab62b27ff6a40c7a43ba19195c325f029e";

    #[test]
    fn the_reference_vector_verifies() {
        assert_eq!(verify(SECRET, "1777638700", SIG, BODY, 1777638700), Ok(()));
    }

    #[test]
    fn tampering_wrong_secrets_and_replays_are_refused() {
        assert_eq!(verify(b"wrong", "1777638700", SIG, BODY, 1777638700), Err(Refusal::BadSignature));
        let mut body = BODY.to_vec();
        body[10] ^= 1;
        assert_eq!(verify(SECRET, "1777638700", SIG, &body, 1777638700), Err(Refusal::BadSignature));
        assert_eq!(verify(SECRET, "1777638700", SIG, BODY, 1777638700 + 301), Err(Refusal::Stale));
        assert_eq!(verify(SECRET, "1777638700", SIG, BODY, 1777638700 + 300), Ok(()));
        assert_eq!(verify(SECRET, "soon", SIG, BODY, 1777638700), Err(Refusal::MissingHeaders));
    }

    #[test]
    fn the_update_drops_buttons_and_says_what_happened() {
        let msg = json!({"text": "t", "blocks": [{"type": "section"}, {"type": "actions"}]});
        let v = updated_message(Some(&msg), "acknowledged by @dana");
        let types: Vec<_> = v["blocks"].as_array().unwrap().iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["section", "context"]);
        assert_eq!(v["replace_original"], true);
    }
}
