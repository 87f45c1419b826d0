//! The Bluesky session (platform-apis.md §2.1): `createSession` with the
//! identifier and app password on the PDS, the access JWT as bearer, and on
//! `ExpiredToken` (HTTP 400) a `refreshSession` with the refresh JWT (both
//! tokens rotate), falling back to a new login when the refresh is refused.
//! The session lives in the source, so a poll never logs in again while
//! its tokens work (`createSession` is limited to 30 per 5 minutes).
//!
//! Tokens and the password are `SecretString`s: never in logs, errors or
//! Debug output; a session answer that does not fit is reported without
//! its body.
//!
//! Tests: the session flow against the fake PDS in `tests/it/bluesky.rs`;
//! [`is_expired`] in `bluesky/tests.rs`.

use chrono::Utc;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use url::Url;

use super::wire::{xrpc_error_name, SessionBody};
use crate::sources::http::{endpoint, send_raw, RawResponse};
use crate::sources::{PollContext, SourceError};

/// XRPC error names that mean "this token is no longer good": renew it.
/// (The PDS answers an expired access token with HTTP 400 `ExpiredToken`.)
pub const RENEW_ERRORS: [&str; 2] = ["ExpiredToken", "InvalidToken"];

#[derive(Debug)]
pub struct Auth {
    identifier: String,
    password: SecretString,
    pds: Url,
    /// `None` until the first login. A tokio mutex: held across the
    /// login request, so two renewals never race.
    session: Mutex<Option<Session>>,
}

#[derive(Debug, Clone)]
struct Session {
    access: SecretString,
    refresh: SecretString,
}

/// Whether a response says the token is stale (and one renewal may help).
pub fn is_expired(resp: &RawResponse) -> bool {
    match resp.status {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::BAD_REQUEST => xrpc_error_name(&resp.body).is_some_and(|e| RENEW_ERRORS.contains(&e.as_str())),
        _ => false,
    }
}

impl Auth {
    pub fn new(identifier: String, password: SecretString, pds: Url) -> Auth {
        Auth { identifier, password, pds, session: Mutex::new(None) }
    }

    /// The access token, logging in first when there is no session.
    pub async fn access(&self, cx: &PollContext) -> Result<SecretString, SourceError> {
        let mut session = self.session.lock().await;
        if let Some(s) = session.as_ref() {
            return Ok(s.access.clone());
        }
        let s = self.create(cx).await?;
        let access = s.access.clone();
        *session = Some(s);
        Ok(access)
    }

    /// A fresh access token after `stale` was refused: refresh the session,
    /// or log in again if the refresh is refused too.
    pub async fn renew(&self, cx: &PollContext, stale: &SecretString) -> Result<SecretString, SourceError> {
        let mut session = self.session.lock().await;
        // On an error below the old session stays: the next poll retries.
        let current = session.clone();
        if let Some(s) = &current {
            if s.access.expose_secret() != stale.expose_secret() {
                return Ok(s.access.clone()); // renewed meanwhile
            }
        }
        let renewed = match &current {
            Some(s) => match self.refresh(cx, &s.refresh).await? {
                Some(new) => new,
                None => {
                    tracing::info!(source = %cx.source, "Bluesky refresh token refused; logging in again");
                    self.create(cx).await?
                }
            },
            None => self.create(cx).await?,
        };
        let access = renewed.access.clone();
        *session = Some(renewed);
        Ok(access)
    }

    /// `createSession`.
    async fn create(&self, cx: &PollContext) -> Result<Session, SourceError> {
        let url = endpoint(&self.pds, &["xrpc", "com.atproto.server.createSession"])?;
        let body = serde_json::json!({"identifier": self.identifier, "password": self.password.expose_secret()});
        let resp = send_raw(cx.http.inner.post(url).json(&body)).await?;
        let session = session_from(&resp).map_err(|e| {
            e.with_auth_hint("Bluesky refused the login: check `identifier` and `app_password` (an app password, not the account password)")
        })?;
        tracing::info!(source = %cx.source, "logged in to Bluesky");
        Ok(session)
    }

    /// `refreshSession`; `Ok(None)` when the refresh token is refused.
    async fn refresh(&self, cx: &PollContext, refresh: &SecretString) -> Result<Option<Session>, SourceError> {
        let url = endpoint(&self.pds, &["xrpc", "com.atproto.server.refreshSession"])?;
        let resp = send_raw(cx.http.inner.post(url).bearer_auth(refresh.expose_secret())).await?;
        if is_expired(&resp) || resp.status == StatusCode::FORBIDDEN {
            return Ok(None);
        }
        let session = session_from(&resp)?;
        tracing::debug!(source = %cx.source, "Bluesky session refreshed");
        Ok(Some(session))
    }
}

/// The tokens of a session answer; errors never quote the body.
fn session_from(resp: &RawResponse) -> Result<Session, SourceError> {
    if !resp.status.is_success() {
        // The body of an error carries no token; classify it as usual.
        resp.check(Utc::now())?;
    }
    let body: SessionBody = serde_json::from_slice(&resp.body).map_err(|_| {
        SourceError::Malformed(format!(
            "HTTP {}: session answer without accessJwt and refreshJwt",
            resp.status.as_u16()
        ))
    })?;
    Ok(Session { access: SecretString::from(body.access_jwt), refresh: SecretString::from(body.refresh_jwt) })
}
