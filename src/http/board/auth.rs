//! Who may see the board: login with the API token (a form that sets the
//! signed session cookie), HTTP Basic with the token, logout, and the
//! extractors every board handler takes its responder from ([`PageViewer`],
//! [`FormViewer`]). With no token configured the board is closed, like the
//! API. POST forms must carry the session's CSRF token. Wrong tokens are
//! counted per client address (`http/token_guesses.rs`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::form_fields;
use super::html::{self, csrf_field, Chrome, Esc};
use super::session::{self, Key, Session};
use crate::http::auth::constant_time_eq;
use crate::http::token_guesses::{self, ClientAddr};
use crate::http::AppState;

/// A signed-in responder.
#[derive(Debug)]
pub struct Viewer {
    pub session: Session,
    key: Key,
    csrf: String,
}

impl Viewer {
    fn new(session: Session, key: Key) -> Viewer {
        let csrf = session.csrf(&key);
        Viewer { session, key, csrf }
    }

    /// The responder's name, recorded as the actor of their moves.
    pub fn name(&self) -> &str {
        &self.session.name
    }

    /// The CSRF token this viewer's forms carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The page header for this viewer.
    pub fn chrome(&self) -> Chrome<'_> {
        Chrome { name: &self.session.name, csrf: &self.csrf }
    }

    /// Whether a POST's `csrf` field is this session's token.
    pub fn csrf_ok(&self, fields: &HashMap<String, String>) -> bool {
        self.session.csrf_ok(&self.key, fields.get("csrf").map_or("", String::as_str))
    }

    /// The answer to a POST without this session's CSRF token: 403, nothing done.
    pub fn csrf_refused(&self) -> Response {
        html::message(
            StatusCode::FORBIDDEN,
            "Form refused",
            Some(&self.chrome()),
            "This form did not come from your board session (it may have expired): reload the page and try again.",
        )
    }
}

/// Why a request has no viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `http.token`: the board is closed.
    Closed,
    /// No valid session or Basic credentials.
    Anonymous,
    /// Too many wrong tokens from this address lately: try again after this.
    Throttled(Duration),
}

impl Refusal {
    /// For a page: the login form (or why the board is closed).
    pub fn for_page(self) -> Response {
        match self {
            Refusal::Closed => closed(),
            Refusal::Throttled(wait) => throttled(wait),
            Refusal::Anonymous => Redirect::to("/board/login").into_response(),
        }
    }

    /// For a form post: 401, nothing done.
    pub fn for_post(self) -> Response {
        match self {
            Refusal::Closed => closed(),
            Refusal::Throttled(wait) => throttled(wait),
            Refusal::Anonymous => html::message(
                StatusCode::UNAUTHORIZED,
                "Not signed in",
                None,
                "Sign in at /board/login first; nothing was changed.",
            ),
        }
    }
}

fn closed() -> Response {
    html::message(
        StatusCode::FORBIDDEN,
        "Board disabled",
        None,
        "The board is disabled: set http.token (or token_env / token_file) to open it.",
    )
}

/// 429 with `Retry-After`: nothing compared, nothing done.
fn throttled(wait: Duration) -> Response {
    let secs = wait.as_secs().max(1);
    let mut resp = html::message(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        None,
        &format!("Too many wrong tokens from your address: try again in {secs} s."),
    );
    resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
    resp
}

fn token(state: &AppState) -> Option<SecretString> {
    state.handle.context().settings.http.api_token.clone()
}

/// The signed-in responder: a valid session cookie, or HTTP Basic with
/// the token as password (a wrong one counts against the address).
fn viewer(state: &AppState, parts: &Parts) -> Result<Viewer, Refusal> {
    let token = token(state).ok_or(Refusal::Closed)?;
    let key = Key::from_token(&token);
    let headers = &parts.headers;
    if let Some(s) = session::cookie(headers).and_then(|v| session::verify(&key, v, Utc::now().timestamp())) {
        return Ok(Viewer::new(s, key));
    }
    if !session::offers_basic(headers) {
        return Err(Refusal::Anonymous);
    }
    let (client, now) = (token_guesses::client(parts), Instant::now());
    state.token_guesses.check(client, now).map_err(Refusal::Throttled)?;
    match session::basic(headers, &token) {
        Some(s) => Ok(Viewer::new(s, key)),
        None => {
            state.token_guesses.failed(client, now);
            Err(Refusal::Anonymous)
        }
    }
}

/// The responder of a page request; anyone else is sent to the login form.
pub struct PageViewer(pub Viewer);

/// The responder of a form post; anyone else gets 401, nothing done.
pub struct FormViewer(pub Viewer);

impl FromRequestParts<AppState> for PageViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        viewer(state, parts).map(PageViewer).map_err(Refusal::for_page)
    }
}

impl FromRequestParts<AppState> for FormViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        viewer(state, parts).map(FormViewer).map_err(Refusal::for_post)
    }
}

/// `GET /board/login`
pub async fn login_form(State(state): State<AppState>) -> Response {
    if token(&state).is_none() {
        return closed();
    }
    login_page(StatusCode::OK, "", None)
}

fn login_page(status: StatusCode, name: &str, error: Option<&str>) -> Response {
    let error = error.map(|e| format!(r#"<p class="message">{}</p>"#, Esc(e))).unwrap_or_default();
    let body = format!(
        r#"{error}<form method="post" action="/board/login">
<label>Your name (recorded with your moves) <input name="name" value="{name}" maxlength="{max}" autocomplete="username"></label>
<label>API token <input name="token" type="password" required autocomplete="current-password"></label>
<button type="submit">Sign in</button></form>
<p class="muted">The token is earshot's <code>http.token</code>, the bearer token of the API.</p>"#,
        name = Esc(name),
        max = session::MAX_NAME_CHARS,
    );
    html::page(status, "Sign in", None, &body)
}

/// `POST /board/login` (form: `name`, `token`): sets the session cookie.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(expected) = token(&state) else {
        return closed();
    };
    let now = Instant::now();
    if let Err(wait) = state.token_guesses.check(client, now) {
        return throttled(wait);
    }
    let fields = form_fields(&body);
    let raw_name = fields.get("name").map_or("", String::as_str);
    let given = fields.get("token").map_or("", String::as_str);
    if !constant_time_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes()) {
        state.token_guesses.failed(client, now);
        return login_page(StatusCode::UNAUTHORIZED, raw_name, Some("Wrong token."));
    }
    let name = match session::responder_name(raw_name) {
        Ok(n) => n,
        Err(e) => return login_page(StatusCode::BAD_REQUEST, raw_name, Some(&e)),
    };
    let value = session::issue(&Key::from_token(&expected), &name, Utc::now().timestamp());
    let behind_https =
        headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    ([(header::SET_COOKIE, session::set_cookie(&value, behind_https))], Redirect::to("/board")).into_response()
}

/// `POST /board/logout` (form: `csrf`): ends the session in this browser.
pub async fn logout(FormViewer(viewer): FormViewer, body: Bytes) -> Response {
    if !viewer.csrf_ok(&form_fields(&body)) {
        return viewer.csrf_refused();
    }
    ([(header::SET_COOKIE, session::clear_cookie())], Redirect::to("/board/login")).into_response()
}

/// The hidden CSRF field of `viewer`'s forms.
pub fn csrf_input(viewer: &Viewer) -> String {
    csrf_field(viewer.csrf())
}
