//! Slack incoming webhooks (platform-apis.md §8): [`SlackSink`] posts one
//! Block Kit message per notification (built in [`blocks`]), at most one per
//! `min_interval` per webhook ([`gate`]), and classifies Slack's answer
//! (§8.2) through the shared [`crate::sinks::http`] rules: 200 is done; 429
//! is retryable after `Retry-After` (and holds the gate that long); 5xx,
//! 408, timeouts and connection errors are retryable with backoff; every
//! other 4xx (`invalid_payload`, `channel_not_found`, `no_service`,
//! `channel_is_archived`, `action_prohibited`…) is permanent, labelled with
//! Slack's code for the `earshot_delivery_permanent_failures_total` metric.
//!
//! Acknowledge / Resolve buttons are sent only when Slack interactivity is
//! configured (`[slack] signing_secret`): without it nobody could receive
//! the click.
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
mod queue;
mod spike;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use self::gate::Gate;
use super::http::{self, Refusal};
use super::{DeliveryId, Notification, Sink, SinkError};
use crate::config::SlackSettings;

/// Slack's documented permanent error codes (§8.2); each is its own metric
/// label, anything else is `http_<status>`.
pub const PERMANENT_CODES: &[&str] = &[
    "invalid_payload",
    "invalid_blocks",
    "channel_not_found",
    "no_service",
    "channel_is_archived",
    "action_prohibited",
    "no_text",
    "too_many_attachments",
    "user_not_found",
    "posting_to_general_channel_denied",
    "invalid_token",
    "team_disabled",
];

/// One incoming webhook.
pub struct SlackSink {
    url: SecretString,
    timeout: Duration,
    min_interval: Duration,
    interactive: bool,
    http: reqwest::Client,
    gate: Gate,
}

impl SlackSink {
    pub fn new(cfg: SlackSettings, http: reqwest::Client) -> Self {
        SlackSink {
            url: cfg.url,
            timeout: cfg.timeout,
            min_interval: cfg.min_interval,
            interactive: false,
            http,
            gate: Gate::new(cfg.min_interval),
        }
    }

    /// With Slack interactivity configured, mention alerts carry
    /// Acknowledge / Resolve buttons.
    pub fn interactive(mut self, on: bool) -> Self {
        self.interactive = on;
        self
    }
}

impl fmt::Debug for SlackSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackSink")
            .field("url", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .field("min_interval", &self.min_interval)
            .field("interactive", &self.interactive)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Sink for SlackSink {
    async fn deliver(&self, _id: DeliveryId, n: &Notification) -> Result<(), SinkError> {
        let body = blocks::payload(n, self.interactive);
        self.gate.wait().await;
        let req = self.http.post(self.url.expose_secret()).timeout(self.timeout).json(&body);
        let Some(refusal) = http::send("slack", req).await? else {
            return Ok(());
        };
        if refusal.status == StatusCode::TOO_MANY_REQUESTS {
            let hold = refusal.retry_after.unwrap_or(self.min_interval);
            self.gate.hold_until(tokio::time::Instant::now() + hold);
        }
        Err(classify(&refusal))
    }
}

/// Slack's answer to a non-2xx status as a `SinkError` (§8.2).
pub fn classify(r: &Refusal) -> SinkError {
    http::classify("slack", r, PERMANENT_CODES)
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
            Err::<(), _>(classify(&Refusal {
                status: StatusCode::from_u16(code).unwrap(),
                retry_after: after.map(Duration::from_secs),
                body: body.as_bytes().to_vec(),
            }))
        };
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
                Err(SinkError::Permanent { code: body.into(), reason: format!("slack answered {code} {body}") })
            );
        }
        assert!(
            matches!(c(403, None, "<html>no</html>"), Err(SinkError::Permanent { code, .. }) if code == "http_403")
        );
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
        match sink.deliver(DeliveryId(1), &n).await {
            Err(SinkError::Retryable { after: None, reason }) => {
                assert!(reason.starts_with("slack request cannot connect"), "{reason}");
                assert!(!reason.contains("s3cr3t") && !reason.contains("/services/"), "{reason}");
            }
            other => panic!("expected a retryable error, got {other:?}"),
        }
        let bad = SlackSink::new(settings("not a url s3cr3t"), reqwest::Client::new());
        let err = bad.deliver(DeliveryId(1), &n).await.unwrap_err();
        assert!(matches!(&err, SinkError::Permanent { .. }) && !err.to_string().contains("s3cr3t"), "{err}");
    }
}
