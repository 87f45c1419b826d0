//! What every HTTP receiver (Slack, webhook) shares: sending one POST with
//! the URL kept secret, and turning the answer into a [`SinkError`] the same
//! way for all of them:
//!
//! | answer | error |
//! |---|---|
//! | 2xx | done |
//! | 429 | retryable after `Retry-After` (seconds or HTTP-date) |
//! | 408, 5xx, timeout, connection error | retryable with backoff |
//! | every other status | permanent |
//!
//! Reasons carry the receiver type, the status and either a short error
//! code (`no_service`) or a clipped body excerpt, never a URL. The
//! permanent error's `code` is a bounded metrics label: a code the
//! receiver documents, else `http_<status>`.
//!
//! Tests: below (classification) and in `tests/it/{slack,webhook}.rs`.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;

use super::SinkError;
use crate::sources::http::{error_chain, excerpt, read_body, retry_after};

/// Lowercase hex of HMAC-SHA256 under `key` over `parts` in order: the
/// webhook's signature, and the check of Slack's.
pub fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        mac.update(p);
    }
    crate::http::auth::hex(&mac.finalize().into_bytes())
}

/// Error bodies are a few bytes; read no more than this of one.
const MAX_ERROR_BODY: usize = 4096;
/// Longest error code reported verbatim in a reason.
const MAX_CODE_LEN: usize = 64;

/// A non-2xx answer, read and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// Sends `req` (body and headers already set; the URL inside it is never
/// reported). `Ok(None)` is a 2xx; `Ok(Some(refusal))` any other status,
/// left to [`classify`] so a caller can look at it first (Slack holds its
/// gate on 429); `Err` a transport failure, already classified.
pub async fn send(service: &str, req: reqwest::RequestBuilder) -> Result<Option<Refusal>, SinkError> {
    let resp = req.send().await.map_err(|e| send_error(service, e))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(None);
    }
    let retry_after = retry_after(resp.headers(), Utc::now());
    let body = read_body(resp, MAX_ERROR_BODY).await.unwrap_or_default();
    Ok(Some(Refusal { status, retry_after, body }))
}

/// A refusal as a `SinkError` (see the module doc). `known_codes` are the
/// error codes the receiver documents; one of them becomes the metric
/// label of a permanent failure.
pub fn classify(service: &str, r: &Refusal, known_codes: &[&str]) -> SinkError {
    let status = r.status.as_u16();
    let code = error_code(&r.body);
    let reason = match code {
        Some(code) => format!("{service} answered {status} {code}"),
        None => format!("{service} answered {status}: {}", excerpt(&r.body)),
    };
    match status {
        429 => SinkError::Retryable { after: r.retry_after, reason },
        408 | 500..=599 => SinkError::Retryable { after: None, reason },
        _ => {
            let label = code.filter(|c| known_codes.contains(c)).map_or_else(|| format!("http_{status}"), String::from);
            SinkError::Permanent { code: label, reason }
        }
    }
}

/// The body when it is a short error code (`no_service`,
/// `invalid_blocks`…): lowercase letters and underscores only.
pub fn error_code(body: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(body).ok()?.trim();
    let is_code = !s.is_empty() && s.len() <= MAX_CODE_LEN && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    is_code.then_some(s)
}

/// A failed send, with the URL stripped: an unusable URL is permanent,
/// anything else (timeout, refused connection, reset) retryable.
pub fn send_error(service: &str, e: reqwest::Error) -> SinkError {
    let e = e.without_url();
    if e.is_builder() {
        return SinkError::Permanent { code: "bad_url".into(), reason: format!("{service} URL is not usable") };
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    SinkError::Retryable { after: None, reason: format!("{service} request {what}: {}", error_chain(&e)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: u16, after: Option<u64>, body: &str) -> Refusal {
        Refusal {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: after.map(Duration::from_secs),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn statuses_classify_the_same_for_every_receiver() {
        let c = |code, after, body| classify("webhook", &refusal(code, after, body), &["gone_for_good"]);
        assert_eq!(
            c(429, Some(30), "{\"ok\":false}"),
            SinkError::Retryable {
                after: Some(Duration::from_secs(30)),
                reason: "webhook answered 429: {\"ok\":false}".into()
            }
        );
        assert_eq!(
            c(429, None, ""),
            SinkError::Retryable { after: None, reason: "webhook answered 429: (empty)".into() }
        );
        assert!(matches!(c(500, Some(9), "<html>down</html>"), SinkError::Retryable { after: None, .. }));
        assert!(matches!(c(408, None, ""), SinkError::Retryable { after: None, .. }));
        assert_eq!(
            c(404, None, "Not Found"),
            SinkError::Permanent { code: "http_404".into(), reason: "webhook answered 404: Not Found".into() }
        );
        assert_eq!(
            c(410, None, "gone_for_good"),
            SinkError::Permanent { code: "gone_for_good".into(), reason: "webhook answered 410 gone_for_good".into() }
        );
        // An unknown code is reported but never becomes a label.
        assert_eq!(
            c(400, None, "made_up_by_the_server"),
            SinkError::Permanent {
                code: "http_400".into(),
                reason: "webhook answered 400 made_up_by_the_server".into()
            }
        );
        let long = c(400, None, &"x".repeat(10_000)).to_string();
        assert!(long.len() < 300, "{long}");
    }
}
