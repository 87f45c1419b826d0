//! Bearer-token checks for the write API: constant-time comparison, a
//! refusal when no token is configured (the API is then closed, not open),
//! and [`ApiCaller`], the extractor every API handler takes, which also
//! counts wrong tokens per client address (`token_guesses.rs`).

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::token_guesses;
use super::AppState;

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// `http.token` is not configured: the write API is closed.
    NotConfigured,
    Missing,
    Invalid,
}

impl AuthError {
    pub fn message(self) -> &'static str {
        match self {
            AuthError::NotConfigured => "the write API is disabled: set http.token (or token_env / token_file)",
            AuthError::Missing => "missing `Authorization: Bearer <token>` header",
            AuthError::Invalid => "invalid bearer token",
        }
    }
}

/// Checks `Authorization: Bearer <token>` against the configured token.
pub fn check_bearer(headers: &HeaderMap, expected: Option<&SecretString>) -> Result<(), AuthError> {
    let expected = expected.ok_or(AuthError::NotConfigured)?;
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or(AuthError::Missing)?;
    if constant_time_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid)
    }
}

/// A request with the API's bearer token. Anyone else gets 401 (JSON
/// `error`), or 429 with `Retry-After` once their address has sent too
/// many wrong tokens (then not even the right one is compared).
pub struct ApiCaller;

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let token = state.handle.context().settings.http.api_token.clone();
        let (client, now) = (token_guesses::client(parts), Instant::now());
        if let Err(wait) = state.token_guesses.check(client, now) {
            let secs = wait.as_secs().max(1);
            let body = Json(json!({ "error": format!("too many wrong tokens from your address; retry in {secs} s") }));
            return Err(
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs.to_string())], body).into_response()
            );
        }
        match check_bearer(&parts.headers, token.as_ref()) {
            Ok(()) => Ok(ApiCaller),
            Err(e) => {
                if e == AuthError::Invalid {
                    state.token_guesses.failed(client, now);
                }
                Err((StatusCode::UNAUTHORIZED, Json(json!({ "error": e.message() }))).into_response())
            }
        }
    }
}

/// Compares without an early exit, so timing does not reveal how much of
/// a guess was right (the length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase hex of `bytes` (signatures, session ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn bearer_tokens_are_checked() {
        let token = SecretString::from("s3cret");
        assert_eq!(check_bearer(&headers("Bearer s3cret"), Some(&token)), Ok(()));
        assert_eq!(check_bearer(&headers("Bearer s3cre"), Some(&token)), Err(AuthError::Invalid));
        assert_eq!(check_bearer(&headers("Basic s3cret"), Some(&token)), Err(AuthError::Missing));
        assert_eq!(check_bearer(&HeaderMap::new(), Some(&token)), Err(AuthError::Missing));
        assert_eq!(check_bearer(&headers("Bearer s3cret"), None), Err(AuthError::NotConfigured));
    }
}
