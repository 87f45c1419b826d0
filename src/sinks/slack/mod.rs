//! Slack incoming webhooks (platform-apis.md §8): [`SlackSink`] posts one
//! Block Kit message per notification (built in [`blocks`]), at most one per
//! `min_interval` per webhook ([`gate`]), and classifies Slack's answer
//! (§8.2) into a [`SinkError`]: 200 is done; 429 is retryable after
//! `Retry-After`; 5xx, 408, timeouts and connection errors are retryable
//! with backoff; every other 4xx (`invalid_payload`, `invalid_blocks`,
//! `no_service`, `channel_is_archived`…) is permanent.
//!
//! The webhook URL is a credential: it is held as a `SecretString`, reqwest
//! errors lose it through `without_url()`, `Debug` is written by hand, and
//! error reasons carry only a status and Slack's short error code.
//!
//! Tests: unit tests here (classification, redaction), in `blocks.rs`
//! (escaping, limits, payload) and `gate.rs`; against a fake Slack in
//! `tests/it/slack.rs` (fake in `tests/it/fakes/slack.rs`).

pub mod blocks;
mod digest;
mod gate;
mod health;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use self::gate::Gate;
use super::{Notification, Sink, SinkError};
use crate::config::SlackSettings;
use crate::sources::http::{error_chain, excerpt, read_body, retry_after};

/// Slack's error bodies are a few bytes; read no more than this of one.
const MAX_ERROR_BODY: usize = 4096;
/// Longest Slack error code reported verbatim in a reason.
const MAX_CODE_LEN: usize = 64;

/// One incoming webhook.
pub struct SlackSink {
    url: SecretString,
    timeout: Duration,
    min_interval: Duration,
    http: reqwest::Client,
    gate: Gate,
}

impl SlackSink {
    pub fn new(cfg: SlackSettings, http: reqwest::Client) -> Self {
        SlackSink {
            url: cfg.url,
            timeout: cfg.timeout,
            min_interval: cfg.min_interval,
            http,
            gate: Gate::new(cfg.min_interval),
        }
    }
}

impl fmt::Debug for SlackSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackSink")
            .field("url", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Sink for SlackSink {
    async fn deliver(&self, n: &Notification) -> Result<(), SinkError> {
        let body = blocks::payload(n);
        self.gate.wait().await;
        let resp = self
            .http
            .post(self.url.expose_secret())
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await
            .map_err(send_error)?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let after = retry_after(resp.headers(), Utc::now());
        if status == StatusCode::TOO_MANY_REQUESTS {
            let hold = after.unwrap_or(self.min_interval);
            self.gate.hold_until(tokio::time::Instant::now() + hold);
        }
        let body = read_body(resp, MAX_ERROR_BODY).await.unwrap_or_default();
        classify(status, after, &body)
    }
}

/// Slack's answer to a non-2xx status as a `SinkError` (§8.2).
pub fn classify(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Result<(), SinkError> {
    if status.is_success() {
        return Ok(());
    }
    let reason = match error_code(body) {
        Some(code) => format!("slack answered {} {code}", status.as_u16()),
        None => format!("slack answered {}: {}", status.as_u16(), excerpt(body)),
    };
    Err(match status.as_u16() {
        429 => SinkError::Retryable { after: retry_after, reason },
        408 | 500..=599 => SinkError::Retryable { after: None, reason },
        _ => SinkError::Permanent { reason },
    })
}

/// The body when it is one of Slack's short error codes (`no_service`,
/// `invalid_blocks`…): lowercase letters and underscores only.
fn error_code(body: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(body).ok()?.trim();
    let is_code = !s.is_empty() && s.len() <= MAX_CODE_LEN && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    is_code.then_some(s)
}

/// A failed send as a retryable error, with the webhook URL stripped.
fn send_error(e: reqwest::Error) -> SinkError {
    let e = e.without_url();
    if e.is_builder() {
        return SinkError::Permanent { reason: "slack webhook URL is not usable".into() };
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    SinkError::Retryable { after: None, reason: format!("slack request {what}: {}", error_chain(&e)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> SlackSettings {
        SlackSettings {
            url: SecretString::from(url.to_string()),
            min_interval: Duration::ZERO,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn statuses_and_bodies_classify_per_slack_docs() {
        let c = |code: u16, after: Option<u64>, body: &str| {
            classify(StatusCode::from_u16(code).unwrap(), after.map(Duration::from_secs), body.as_bytes())
        };
        assert_eq!(c(200, None, "ok"), Ok(()));
        assert_eq!(
            c(429, Some(30), "{\"ok\":false}"),
            Err(SinkError::Retryable {
                after: Some(Duration::from_secs(30)),
                reason: "slack answered 429: {\"ok\":false}".into()
            })
        );
        assert_eq!(
            c(500, None, "rollup_error"),
            Err(SinkError::Retryable { after: None, reason: "slack answered 500 rollup_error".into() })
        );
        assert!(matches!(c(503, Some(9), "<html>down</html>"), Err(SinkError::Retryable { after: None, .. })));
        for (code, body) in [
            (400, "invalid_payload"),
            (400, "invalid_blocks"),
            (403, "action_prohibited"),
            (404, "channel_not_found"),
            (404, "no_service"),
            (410, "channel_is_archived"),
        ] {
            assert_eq!(
                c(code, None, body),
                Err(SinkError::Permanent { reason: format!("slack answered {code} {body}") })
            );
        }
        let long = c(400, None, &"x".repeat(10_000)).unwrap_err().to_string();
        assert!(long.len() < 300, "{long}");
    }

    #[test]
    fn debug_never_shows_the_webhook_url() {
        let sink =
            SlackSink::new(settings("https://hooks.slack.com/services/T000/B000/s3cr3tT0ken"), reqwest::Client::new());
        let dbg = format!("{sink:?}");
        assert!(!dbg.contains("s3cr3t") && !dbg.contains("hooks.slack.com"), "{dbg}");
        assert!(dbg.contains("[REDACTED]"));
    }

    #[tokio::test]
    async fn transport_errors_never_show_the_webhook_url() {
        // A port that was just free: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/services/T000/B000/s3cr3tT0ken");
        let sink = SlackSink::new(settings(&url), reqwest::Client::new());
        let n = Notification::Mention(blocks::tests::sample("hello"));
        match sink.deliver(&n).await {
            Err(SinkError::Retryable { after: None, reason }) => {
                assert!(reason.starts_with("slack request cannot connect"), "{reason}");
                assert!(!reason.contains("s3cr3t") && !reason.contains("/services/"), "{reason}");
            }
            other => panic!("expected a retryable error, got {other:?}"),
        }
        let bad = SlackSink::new(settings("not a url s3cr3t"), reqwest::Client::new());
        let err = bad.deliver(&n).await.unwrap_err();
        assert!(matches!(&err, SinkError::Permanent { .. }) && !err.to_string().contains("s3cr3t"), "{err}");
    }
}
