//! The `webhook` receiver: each notification POSTed as JSON ([`body`]) to
//! any URL, signed so the receiver can tell it came from earshot and was
//! not replayed:
//!
//! - `X-Earshot-Timestamp`: unix seconds when the request was signed;
//! - `X-Earshot-Signature`: `v1=` + hex HMAC-SHA256 under the configured
//!   secret over `"{timestamp}.{body}"` (the raw body bytes);
//! - `X-Earshot-Delivery`: the outbox row id, the same on every retry of
//!   one alert, so the receiver can drop duplicates.
//!
//! Receivers should recompute the signature, compare it in constant time
//! and refuse timestamps more than 5 minutes from their clock (README,
//! "Webhook receiver"). Answers are classified by the shared
//! [`crate::sinks::http`] rules, exactly like Slack's.
//!
//! The URL and the secret are `SecretString`s; `Debug` is written by hand.
//! Tests: below (body, signature) and `tests/it/webhook.rs` (fake receiver
//! verifying signatures, retries, redaction).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::http::{self, hmac_sha256_hex};
use super::{DeliveryId, Notification, Sink, SinkError};
use crate::config::WebhookSettings;

/// Version of the JSON body; bumped on incompatible changes.
pub const BODY_VERSION: u64 = 1;
pub const TIMESTAMP_HEADER: &str = "x-earshot-timestamp";
pub const SIGNATURE_HEADER: &str = "x-earshot-signature";
pub const DELIVERY_HEADER: &str = "x-earshot-delivery";

/// One webhook endpoint.
pub struct WebhookSink {
    url: SecretString,
    secret: SecretString,
    timeout: Duration,
    http: reqwest::Client,
}

impl WebhookSink {
    pub fn new(cfg: WebhookSettings, http: reqwest::Client) -> Self {
        WebhookSink { url: cfg.url, secret: cfg.secret, timeout: cfg.timeout, http }
    }
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("url", &"[REDACTED]")
            .field("secret", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The JSON body: the notification as stored (`kind` = `mention`,
/// `source_health` or `spike`, and its fields) plus `version`,
/// `delivery_id` and `level`.
pub fn body(id: DeliveryId, n: &Notification) -> Value {
    let mut v = serde_json::to_value(n).unwrap_or_else(|_| Value::Object(Default::default()));
    if let Value::Object(map) = &mut v {
        map.insert("version".into(), BODY_VERSION.into());
        map.insert("delivery_id".into(), id.0.into());
        map.insert("level".into(), n.level().as_str().into());
    }
    v
}

/// `v1=<hex>`: HMAC-SHA256 under `secret` over `"{timestamp}.{body}"`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hmac_sha256_hex(secret, &[timestamp.to_string().as_bytes(), b".", body]))
}

#[async_trait]
impl Sink for WebhookSink {
    async fn deliver(&self, id: DeliveryId, n: &Notification) -> Result<(), SinkError> {
        let body = serde_json::to_vec(&body(id, n))
            .map_err(|e| SinkError::Permanent { code: "encode".into(), reason: format!("cannot encode: {e}") })?;
        let ts = Utc::now().timestamp();
        let sig = signature(self.secret.expose_secret().as_bytes(), ts, &body);
        let req = self
            .http
            .post(self.url.expose_secret())
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, sig)
            .header(DELIVERY_HEADER, id.to_string())
            .body(body);
        match http::send("webhook", req).await? {
            None => Ok(()),
            Some(refusal) => Err(http::classify("webhook", &refusal, &[])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::slack::blocks::tests::sample;

    #[test]
    fn body_is_the_notification_with_version_delivery_and_level() {
        let n = Notification::Mention(sample("refund please"));
        let b = body(DeliveryId(42), &n);
        assert_eq!(b["kind"], "mention");
        assert_eq!(b["version"], 1);
        assert_eq!(b["delivery_id"], 42);
        assert_eq!(b["level"], "high");
        assert_eq!(b["post"]["text"], "refund please");
        assert_eq!(b["mention"]["brand"], "Acme Air");
    }

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hmac_sha256_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = signature(b"Jefe", 1_777_638_700, b"{}");
        assert_eq!(sig, format!("v1={}", hmac_sha256_hex(b"Jefe", &[b"1777638700.{}"])));
    }

    #[test]
    fn debug_shows_neither_url_nor_secret() {
        let sink = WebhookSink::new(
            WebhookSettings {
                url: SecretString::from("https://hooks.example/t0k3n"),
                secret: SecretString::from("s1gn1ng"),
                timeout: Duration::from_secs(5),
            },
            reqwest::Client::new(),
        );
        let dbg = format!("{sink:?}");
        assert!(!dbg.contains("t0k3n") && !dbg.contains("s1gn1ng") && dbg.contains("[REDACTED]"), "{dbg}");
    }
}
