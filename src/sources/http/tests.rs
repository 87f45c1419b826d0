//! Unit tests for `sources::http`: Retry-After, rate-limit headers, status
//! classification and JSON decoding, all with a fixed "now".

use super::*;
use chrono::TimeZone;
use reqwest::header::HeaderValue;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 30, 0).unwrap()
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn retry_after_seconds_and_http_dates() {
    let secs = |v| retry_after(&headers(&[("retry-after", v)]), now());
    assert_eq!(secs("30"), Some(Duration::from_secs(30)));
    assert_eq!(secs(" 0 "), Some(Duration::ZERO));
    assert_eq!(secs("Fri, 01 May 2026 12:31:30 GMT"), Some(Duration::from_secs(90)));
    assert_eq!(secs("Friday, 01-May-26 12:30:10 GMT"), Some(Duration::from_secs(10)));
    assert_eq!(secs("Fri May  1 12:30:05 2026"), Some(Duration::from_secs(5)));
    assert_eq!(secs("Thu, 30 Apr 2026 12:00:00 GMT"), Some(Duration::ZERO), "past date");
    assert_eq!(secs("99999999"), Some(MAX_RETRY_AFTER), "capped");
    assert_eq!(secs("soon"), None);
    assert_eq!(secs("-5"), None);
    assert_eq!(retry_after(&HeaderMap::new(), now()), None);
}

#[test]
fn rate_limit_header_families() {
    // Mastodon: ISO-8601 with microseconds.
    let h = headers(&[
        ("X-RateLimit-Limit", "300"),
        ("X-RateLimit-Remaining", "299"),
        ("X-RateLimit-Reset", "2026-05-01T12:35:00.000000Z"),
    ]);
    assert_eq!(
        RateLimit::from_headers(&h, now()),
        Some(RateLimit { remaining: 299, reset_after: Duration::from_secs(300) })
    );
    // Bluesky: epoch seconds (2026-05-01T12:35:00Z = 1777638900).
    let h = headers(&[("RateLimit-Remaining", "2999"), ("RateLimit-Reset", "1777638900")]);
    assert_eq!(RateLimit::from_headers(&h, now()).unwrap().reset_after, Duration::from_secs(300));
    // X: epoch seconds, already past.
    let h = headers(&[("x-rate-limit-remaining", "0"), ("x-rate-limit-reset", "1777638000")]);
    assert_eq!(RateLimit::from_headers(&h, now()), Some(RateLimit { remaining: 0, reset_after: Duration::ZERO }));
    // Reddit: float remaining, seconds until reset.
    let h = headers(&[("x-ratelimit-used", "4"), ("x-ratelimit-remaining", "996.0"), ("x-ratelimit-reset", "11")]);
    assert_eq!(
        RateLimit::from_headers(&h, now()),
        Some(RateLimit { remaining: 996, reset_after: Duration::from_secs(11) })
    );
}

#[test]
fn rate_limit_needs_both_headers_and_tolerates_junk() {
    assert_eq!(RateLimit::from_headers(&headers(&[("x-ratelimit-remaining", "5")]), now()), None);
    let junk = headers(&[("x-ratelimit-remaining", "lots"), ("x-ratelimit-reset", "later")]);
    assert_eq!(RateLimit::from_headers(&junk, now()), None);
    let neg = headers(&[("ratelimit-remaining", "-3.5"), ("ratelimit-reset", "NaN")]);
    assert_eq!(RateLimit::from_headers(&neg, now()), None);
    let far = headers(&[("ratelimit-remaining", "1"), ("ratelimit-reset", "99999999999")]);
    assert_eq!(RateLimit::from_headers(&far, now()).unwrap().reset_after, MAX_RETRY_AFTER);
}

#[test]
fn statuses_map_to_error_variants() {
    let check = |code: u16, h: &HeaderMap| check_status(StatusCode::from_u16(code).unwrap(), h, b"", now());
    let none = HeaderMap::new();
    assert!(check(200, &none).is_ok());
    assert!(matches!(
        check(429, &headers(&[("retry-after", "7")])),
        Err(SourceError::RateLimited { retry_after }) if retry_after == Duration::from_secs(7)
    ));
    assert!(matches!(
        check(429, &none),
        Err(SourceError::RateLimited { retry_after }) if retry_after == DEFAULT_RETRY_AFTER
    ));
    // A 429 without Retry-After but with an exhausted Mastodon window.
    let mastodon = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "2026-05-01T12:30:42Z")]);
    assert!(matches!(
        check(429, &mastodon),
        Err(SourceError::RateLimited { retry_after }) if retry_after == Duration::from_secs(42)
    ));
    assert!(matches!(check(401, &none), Err(SourceError::Auth(_))));
    assert!(matches!(check(403, &none), Err(SourceError::Auth(_))));
    assert!(matches!(check(400, &none), Err(SourceError::Rejected(_))));
    assert!(matches!(check(404, &none), Err(SourceError::Rejected(_))));
    assert!(matches!(check(408, &none), Err(SourceError::Transient(_))));
    assert!(matches!(check(502, &none), Err(SourceError::Transient(_))));
    assert!(matches!(check(304, &none), Err(SourceError::Rejected(_))));
}

#[test]
fn error_messages_carry_a_clipped_excerpt() {
    let html = format!("<html><body>\n\n<h1>502 Bad Gateway</h1>{}</body></html>", "x".repeat(5000));
    let err = check_status(StatusCode::BAD_GATEWAY, &HeaderMap::new(), html.as_bytes(), now()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("HTTP 502: <html><body> <h1>502 Bad Gateway</h1>"), "{msg}");
    assert!(msg.chars().count() < 300, "{msg}");
    assert!(msg.ends_with('…'));
    assert_eq!(excerpt(b""), "(empty)");
    assert_eq!(excerpt(b"\xff\xfeok"), "\u{FFFD}\u{FFFD}ok");
    assert_eq!(excerpt("é".repeat(300).as_bytes()).chars().count(), EXCERPT_CHARS + 1);
}

#[derive(Debug, serde::Deserialize)]
struct Page {
    #[allow(dead_code)]
    hits: Vec<Hit>,
}
#[derive(Debug, serde::Deserialize)]
struct Hit {
    #[allow(dead_code)]
    created_at_i: i64,
}

#[test]
fn bodies_that_are_not_the_expected_json_are_malformed() {
    let parse = |ct: Option<&str>, body: &[u8]| check_json_body(ct, body).and_then(|()| decode_json::<Page>(body));
    let malformed = |ct: Option<&str>, body: &[u8]| match parse(ct, body) {
        Err(SourceError::Malformed(m)) => m,
        other => panic!("expected Malformed, got {other:?}"),
    };
    assert!(parse(Some("application/json; charset=utf-8"), br#"{"hits":[{"created_at_i":1}]}"#).is_ok());
    assert!(malformed(Some("text/html"), b"<html>oops</html>").contains("expected JSON, got text/html"));
    assert!(malformed(None, b"  ").contains("empty body"));
    assert!(malformed(None, br#"{"hits":[{"created_at_i":1}"#).contains("EOF"));
    let m = malformed(None, br#"{"hits":[{"created_at_i":1},{"created_at_i":"x"}]}"#);
    assert!(m.contains("at hits[1].created_at_i"), "{m}");
    assert!(malformed(None, b"\xff\xff\xff").contains("body: "));
}

#[derive(Debug)]
struct Chain(&'static str, Option<Box<Chain>>);

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Chain {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.1.as_deref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

#[test]
fn error_chain_joins_causes_and_skips_repeats() {
    let refused = Chain("Connection refused (os error 111)", None);
    let tcp = Chain("tcp connect error: Connection refused (os error 111)", Some(Box::new(refused)));
    let top = Chain("error sending request", Some(Box::new(Chain("client error (Connect)", Some(Box::new(tcp))))));
    assert_eq!(
        error_chain(&top),
        "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)"
    );
}

#[test]
fn throttle_waits_for_the_reset_when_the_budget_is_low() {
    // X: epoch reset 5 minutes ahead.
    let reset = (now().timestamp() + 300).to_string();
    let x = |remaining: &str| {
        throttle(
            &headers(&[
                ("x-rate-limit-limit", "450"),
                ("x-rate-limit-remaining", remaining),
                ("x-rate-limit-reset", &reset),
            ]),
            now(),
        )
    };
    assert_eq!(x("447"), None, "plenty left");
    assert_eq!(x("45"), None, "exactly 10 % is still fine");
    assert_eq!(x("44"), Some(Duration::from_secs(300)), "under 10 %");
    assert_eq!(x("0"), Some(Duration::from_secs(300)));
    // No limit header: only the absolute floor applies.
    let bare = |remaining: &str| {
        throttle(&headers(&[("x-ratelimit-remaining", remaining), ("x-ratelimit-reset", "60")]), now())
    };
    assert_eq!(bare("3"), None);
    assert_eq!(bare("2"), Some(Duration::from_secs(60)));
    // IETF draft limit with a policy suffix; a reset already past is no wait.
    let h = headers(&[("ratelimit-limit", "100, 100;w=60"), ("ratelimit-remaining", "5"), ("ratelimit-reset", "0")]);
    assert_eq!(throttle(&h, now()), None);
    assert_eq!(throttle(&HeaderMap::new(), now()), None);
}
