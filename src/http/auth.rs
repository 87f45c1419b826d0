//! Bearer-token checks for the write API: constant-time comparison, and a
//! refusal when no token is configured (the API is then closed, not open).

use axum::http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

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
