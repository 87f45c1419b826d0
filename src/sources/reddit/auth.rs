//! Reddit app-only OAuth (platform-apis.md §3.1): `POST
//! {auth_url}/api/v1/access_token` with HTTP Basic `client_id:client_secret`
//! and `grant_type=client_credentials`, the required User-Agent on the
//! token request too. The token is kept until `expires_in` minus a margin,
//! and dropped when the API refuses it (the poller then asks once more).
//! A token answer can be HTTP 200 with `{"error": ...}`: that is an auth
//! failure, not a token.
//!
//! Credentials and tokens are `SecretString`s; token answers are never
//! quoted in errors.
//!
//! Tests: against the fake token endpoint in `tests/it/reddit.rs`;
//! [`lifetime`] in `reddit/tests.rs`.

use std::time::Duration;

use chrono::Utc;
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use super::wire::TokenBody;
use crate::sources::http::{send_raw, RawResponse};
use crate::sources::{PollContext, SourceError};

/// A token is renewed this long before Reddit says it expires.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Used when the answer names no lifetime (Reddit's usual one).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct Auth {
    client_id: SecretString,
    client_secret: SecretString,
    token_url: Url,
    user_agent: String,
    /// A tokio mutex: held across the token request, so one poll never
    /// asks twice.
    token: Mutex<Option<Token>>,
}

#[derive(Debug, Clone)]
struct Token {
    value: SecretString,
    renew_at: Instant,
}

/// How long a token is used: `expires_in` minus [`EXPIRY_MARGIN`], but at
/// least half its life (a short-lived token is still used).
pub fn lifetime(expires_in: Option<f64>) -> Duration {
    let life = expires_in
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(366.0 * 86400.0)))
        .unwrap_or(DEFAULT_LIFETIME);
    life.saturating_sub(EXPIRY_MARGIN).max(life / 2)
}

impl Auth {
    pub fn new(client_id: SecretString, client_secret: SecretString, token_url: Url, user_agent: String) -> Auth {
        Auth { client_id, client_secret, token_url, user_agent, token: Mutex::new(None) }
    }

    /// A valid token, asking for a new one when there is none or it is
    /// about to expire.
    pub async fn token(&self, cx: &PollContext) -> Result<SecretString, SourceError> {
        let mut held = self.token.lock().await;
        if let Some(t) = held.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(t.value.clone());
        }
        let t = self.fetch(cx).await?;
        let value = t.value.clone();
        *held = Some(t);
        Ok(value)
    }

    /// Forgets `stale` after the API refused it (unless already replaced).
    pub async fn invalidate(&self, stale: &SecretString) {
        let mut held = self.token.lock().await;
        if held.as_ref().is_some_and(|t| t.value.expose_secret() == stale.expose_secret()) {
            *held = None;
        }
    }

    async fn fetch(&self, cx: &PollContext) -> Result<Token, SourceError> {
        let req = cx
            .http
            .inner
            .post(self.token_url.clone())
            .basic_auth(self.client_id.expose_secret(), Some(self.client_secret.expose_secret()))
            .header(USER_AGENT, &self.user_agent)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials");
        let resp = send_raw(req).await?;
        let token = token_from(&resp).map_err(|e| {
            e.with_auth_hint(
                "Reddit refused the app-only login: check `client_id` and `client_secret` (a \"script\" or \"web\" \
                 app), and that `user_agent`/`username` give a descriptive User-Agent",
            )
        })?;
        tracing::info!(source = %cx.source, "got a Reddit app-only token");
        Ok(token)
    }
}

fn token_from(resp: &RawResponse) -> Result<Token, SourceError> {
    if !resp.status.is_success() {
        resp.check(Utc::now())?;
    }
    let body: TokenBody = serde_json::from_slice(&resp.body).map_err(|_| {
        SourceError::Malformed(format!("HTTP {}: token answer is not the JSON Reddit sends", resp.status.as_u16()))
    })?;
    if let Some(error) = &body.error {
        // 200 with an error (`invalid_grant`...): the credentials are the problem.
        let error: String = error.to_string().chars().filter(|c| !c.is_control()).take(80).collect();
        return Err(SourceError::Auth(format!("token endpoint answered error {error}")));
    }
    let value = body.access_token.filter(|t| !t.is_empty()).ok_or_else(|| {
        SourceError::Malformed(format!("HTTP {}: token answer without access_token", resp.status.as_u16()))
    })?;
    Ok(Token { value: SecretString::from(value), renew_at: Instant::now() + lifetime(body.expires_in) })
}
