//! The shared HTTP client every source uses, and the one place that turns
//! an HTTP exchange into a classified [`SourceError`], so no platform redoes
//! it: [`send_raw`] (bounded body read, transport errors classified) and
//! [`RawResponse::json_body`] (status → error variant), [`decode_json`]
//! (JSON decode with a short, URL-free message), [`retry_after`]
//! (`Retry-After` in seconds or as an HTTP-date) and [`RateLimit`] (the
//! `*RateLimit-Remaining` / `*-Reset` header families of platform-apis.md
//! 0.2, normalised), plus [`throttle`] (slow down before a rate-limit
//! budget is spent).
//!
//! Nothing here ever formats a request URL into an error: reqwest errors go
//! through `without_url()` and messages carry only a status and a clipped
//! body excerpt, because some platforms put keys in the query string.
//!
//! Tests: the pure parts in `http/tests.rs` (fixed "now"); the wire
//! behaviour against the simulated HN API in `tests/it/hackernews.rs`.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;

use super::SourceError;
use crate::config::FetchSettings;

/// Wait asked for by a 429 that names no time.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Longest wait a server can impose through `Retry-After` or a reset header;
/// a buggy or hostile value must not park a source for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Bodies larger than this are refused as malformed instead of filling memory
/// (1000 HN hits are a few MB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Length of the body excerpt put into error messages, in chars.
pub const EXCERPT_CHARS: usize = 200;

/// A reset value at or above this is a unix epoch (Bluesky, X), below it a
/// number of seconds (Reddit): no real window is 31 years long.
const EPOCH_THRESHOLD: f64 = 1_000_000_000.0;

/// One client, one connection pool, shared by every source.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub inner: reqwest::Client,
}

impl HttpClient {
    pub fn new(cfg: &FetchSettings) -> reqwest::Result<Self> {
        let inner = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .user_agent(cfg.user_agent.clone())
            .build()?;
        Ok(HttpClient { inner })
    }
}

/// A whole (bounded) response, read before any classification, so a
/// platform can classify it the generic way ([`RawResponse::json_body`]),
/// or look at its error body first (YouTube's `reason`, X's problem
/// `type`), or take a feed's 304 as no error. Its JSON is decoded by the
/// platform's parse function, borrowing strings from `body`.
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The `Content-Type` header, if readable.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// The generic classification of [`check_status`].
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), SourceError> {
        check_status(self.status, &self.headers, &self.body, now)
    }

    /// [`RawResponse::check`], then [`check_json_body`]: `Ok` is a 2xx
    /// body that can be JSON, ready for a platform's parse function
    /// ([`decode_json`]). The generic classification:
    ///
    /// | outcome | error |
    /// |---|---|
    /// | 429 | `RateLimited`: `Retry-After` (seconds or HTTP-date), else an exhausted reset header, else 60 s |
    /// | 401, 403 | `Auth` |
    /// | 408, 5xx, timeout, connect error, body read error ([`send_raw`]) | `Transient` |
    /// | other 4xx, unexpected 1xx/3xx | `Rejected` |
    /// | 2xx with an HTML, non-JSON or oversized body; JSON of the wrong shape ([`decode_json`]) | `Malformed` |
    pub fn json_body(&self, now: DateTime<Utc>) -> Result<&[u8], SourceError> {
        self.check(now)?;
        check_json_body(self.content_type(), &self.body)?;
        Ok(&self.body)
    }
}

/// Sends `req` and reads its body (at most [`MAX_BODY_BYTES`]) whatever the
/// status. Transport failures are `Transient` (see [`RawResponse::json_body`]),
/// with the URL stripped; the status is left to the caller.
pub async fn send_raw(req: reqwest::RequestBuilder) -> Result<RawResponse, SourceError> {
    send_raw_at(req).await.map(|(resp, _)| resp)
}

/// [`send_raw`], also giving the URL that finally answered (after
/// redirects: Reddit answers an unknown subreddit with a redirect). Never
/// put that URL in an error or a log line: some platforms carry keys in
/// the query.
pub async fn send_raw_at(req: reqwest::RequestBuilder) -> Result<(RawResponse, url::Url), SourceError> {
    let resp = req.send().await.map_err(transport_error)?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let final_url = resp.url().clone();
    let body = read_body(resp, MAX_BODY_BYTES).await?;
    Ok((RawResponse { status, headers, body }, final_url))
}

/// `base` with `segments` appended as path segments (each percent-encoded,
/// so a hashtag or subreddit name cannot change the path), no query.
pub fn endpoint(base: &url::Url, segments: &[&str]) -> Result<url::Url, SourceError> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()
        .map_err(|_| SourceError::Rejected("base_url cannot take a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Reads at most `limit` bytes of body; more is `Malformed`, a broken
/// connection `Transient`.
pub async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, SourceError> {
    let too_big = || SourceError::Malformed(format!("response body larger than {limit} bytes"));
    let announced =
        resp.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity(announced.unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > limit {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest failure as a `SourceError`, with the URL stripped.
pub fn transport_error(e: reqwest::Error) -> SourceError {
    let e = e.without_url();
    if e.is_builder() {
        return SourceError::Rejected(format!("cannot build request: {}", error_chain(&e)));
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response body"
    } else {
        "request failed"
    };
    SourceError::Transient(format!("{what}: {}", error_chain(&e)))
}

/// `e: cause: cause…`, skipping causes already quoted by their parent.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(cause) = cur {
        let s = cause.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = cause.source();
    }
    out
}

/// Classifies a non-2xx status (see [`RawResponse::json_body`]); `now` turns an
/// HTTP-date `Retry-After` into a wait.
pub fn check_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SourceError> {
    if status.is_success() {
        return Ok(());
    }
    let code = status.as_u16();
    let detail = || format!("HTTP {code}: {}", excerpt(body));
    Err(match code {
        429 => SourceError::RateLimited {
            retry_after: retry_after(headers, now)
                .or_else(|| RateLimit::from_headers(headers, now).filter(|r| r.remaining == 0).map(|r| r.reset_after))
                .unwrap_or(DEFAULT_RETRY_AFTER),
        },
        401 | 403 => SourceError::Auth(detail()),
        408 | 500..=599 => SourceError::Transient(detail()),
        400..=499 => SourceError::Rejected(detail()),
        _ => SourceError::Rejected(format!("unexpected {}", detail())),
    })
}

/// Refuses a 2xx body that cannot be JSON: an HTML or XML content type (a
/// login page, a proxy's error page) or nothing but whitespace.
pub fn check_json_body(content_type: Option<&str>, body: &[u8]) -> Result<(), SourceError> {
    if let Some(ct) = content_type {
        let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if essence.contains("html") || essence.contains("xml") {
            return Err(SourceError::Malformed(format!("expected JSON, got {essence}: {}", excerpt(body))));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SourceError::Malformed("empty body where JSON was expected".into()));
    }
    Ok(())
}

/// Decodes JSON as `T`, which may borrow from `body` (the parse functions
/// of the platform modules do, to skip copying strings without escapes).
/// A misfit is `Malformed` with its JSON path and a clipped body excerpt.
pub fn decode_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, SourceError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." { String::new() } else { format!(" at {path}") };
        SourceError::Malformed(format!("unexpected JSON{at}: {}; body: {}", e.inner(), excerpt(body)))
    })
}

/// [`decode_json`] for a body that must be a JSON object (an envelope):
/// serde would otherwise read a struct from an array, field by position.
pub fn decode_json_object<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, SourceError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => decode_json(body),
        Some(_) => Err(SourceError::Malformed(format!("expected a JSON object; body: {}", excerpt(body)))),
    }
}

/// The start of a body for an error message: at most [`EXCERPT_CHARS`]
/// chars, lossy UTF-8, control characters and runs of whitespace as one space.
pub fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    let mut chars = 0;
    let mut last_space = true;
    for c in text.chars() {
        let c = if c.is_whitespace() || c.is_control() { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if chars == EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        out.push(c);
        chars += 1;
    }
    if head.len() < body.len() {
        out.push('…');
    }
    if out.trim().is_empty() {
        return "(empty)".into();
    }
    out.trim_end().to_string()
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP-date
/// (IMF-fixdate, RFC 850 or asctime, RFC 9110 §10.2.3). A date in the past
/// is zero; anything is capped at [`MAX_RETRY_AFTER`]. `None` when absent or
/// unreadable.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = parse_http_date(v)?;
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn parse_http_date(v: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc2822(v) {
        return Some(t.with_timezone(&Utc));
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .map(|t| t.and_utc())
}

/// Where a rate-limit window stands, normalised across header families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests left in the current window.
    pub remaining: u64,
    /// Time until the window resets (zero if already past); capped at
    /// [`MAX_RETRY_AFTER`].
    pub reset_after: Duration,
}

/// (remaining, reset) header names, in the order they are tried:
/// Mastodon and Reddit, X, then Bluesky and the IETF draft.
const RATE_LIMIT_FAMILIES: [(&str, &str); 3] = [
    ("x-ratelimit-remaining", "x-ratelimit-reset"),
    ("x-rate-limit-remaining", "x-rate-limit-reset"),
    ("ratelimit-remaining", "ratelimit-reset"),
];

impl RateLimit {
    /// Reads the first header family that has both a remaining count and a
    /// reset. The reset may be an ISO-8601 time (Mastodon), a unix epoch
    /// (Bluesky, X) or seconds from now (Reddit, IETF draft); a number is an
    /// epoch when it is ≥ 1e9. Remaining may be a float string (Reddit's
    /// `"95.0"`).
    pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Option<RateLimit> {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        RATE_LIMIT_FAMILIES.iter().find_map(|(rem, reset)| {
            let remaining = parse_remaining(get(rem)?)?;
            let reset_after = parse_reset(get(reset)?, now)?.min(MAX_RETRY_AFTER);
            Some(RateLimit { remaining, reset_after })
        })
    }
}

/// The `*-Limit` header of each family in [`RATE_LIMIT_FAMILIES`], same order.
const RATE_LIMIT_LIMITS: [&str; 3] = ["x-ratelimit-limit", "x-rate-limit-limit", "ratelimit-limit"];

/// Fewer requests left than this in a window means "slow down now".
pub const THROTTLE_MIN_REMAINING: u64 = 3;

/// How long to hold off the next poll, from a response's rate-limit headers
/// ([`Batch::throttle`](super::Batch::throttle)): until the window resets
/// when fewer than [`THROTTLE_MIN_REMAINING`] requests or less than 10 % of
/// the window's limit (its `*-Limit` header, or Reddit's `Used` +
/// `Remaining`) remain; `None` while the budget is comfortable or the
/// headers say nothing.
pub fn throttle(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let rl = RateLimit::from_headers(headers, now)?;
    let limit = RATE_LIMIT_FAMILIES
        .iter()
        .zip(RATE_LIMIT_LIMITS)
        .find(|((rem, _), _)| headers.contains_key(*rem))
        .and_then(|(_, name)| headers.get(name)?.to_str().ok())
        .and_then(|v| parse_remaining(v.split([',', ';']).next().unwrap_or("").trim()))
        .or_else(|| {
            // Reddit sends no limit: its window is used + remaining.
            let used = headers.get("x-ratelimit-used")?.to_str().ok()?;
            Some(parse_remaining(used.trim())?.saturating_add(rl.remaining))
        });
    let low = rl.remaining < THROTTLE_MIN_REMAINING || limit.is_some_and(|l| rl.remaining.saturating_mul(10) < l);
    (low && !rl.reset_after.is_zero()).then_some(rl.reset_after)
}

fn parse_remaining(v: &str) -> Option<u64> {
    v.parse::<u64>().ok().or_else(|| {
        let f = v.parse::<f64>().ok()?;
        // Saturating cast; a negative count means nothing is left.
        f.is_finite().then(|| f.max(0.0).floor() as u64)
    })
}

fn parse_reset(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(at) = DateTime::parse_from_rfc3339(v) {
        return Some((at.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO));
    }
    let n = v.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0)?;
    let secs = if n >= EPOCH_THRESHOLD { n - now.timestamp() as f64 } else { n };
    Some(Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests;
