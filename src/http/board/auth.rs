//! Who may see the board: login with the API token (a form that sets the
//! signed session cookie), HTTP Basic with the token, logout, and the check
//! every board handler starts with. With no token configured the board is
//! closed, like the API. POST forms must carry the session's CSRF token.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::form_fields;
use super::html::{self, csrf_field, Chrome, Esc};
use super::session::{self, Key, Session};
use crate::http::auth::constant_time_eq;
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
}

impl Refusal {
    /// For a page: the login form (or why the board is closed).
    pub fn for_page(self) -> Response {
        match self {
            Refusal::Closed => closed(),
            Refusal::Anonymous => Redirect::to("/board/login").into_response(),
        }
    }

    /// For a form post: 401, nothing done.
    pub fn for_post(self) -> Response {
        match self {
            Refusal::Closed => closed(),
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

fn token(state: &AppState) -> Option<SecretString> {
    state.handle.context().settings.http.api_token.clone()
}

/// The signed-in responder: a valid session cookie, or HTTP Basic with
/// the token as password.
pub fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, Refusal> {
    let token = token(state).ok_or(Refusal::Closed)?;
    let key = Key::from_token(&token);
    let from_cookie = session::cookie(headers).and_then(|v| session::verify(&key, v, Utc::now().timestamp()));
    let session = from_cookie.or_else(|| session::basic(headers, &token)).ok_or(Refusal::Anonymous)?;
    Ok(Viewer::new(session, key))
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
pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(expected) = token(&state) else {
        return closed();
    };
    let fields = form_fields(&body);
    let raw_name = fields.get("name").map_or("", String::as_str);
    let given = fields.get("token").map_or("", String::as_str);
    if !constant_time_eq(given.trim().as_bytes(), expected.expose_secret().as_bytes()) {
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
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let viewer = match viewer(&state, &headers) {
        Ok(v) => v,
        Err(r) => return r.for_post(),
    };
    if !viewer.csrf_ok(&form_fields(&body)) {
        return viewer.csrf_refused();
    }
    ([(header::SET_COOKIE, session::clear_cookie())], Redirect::to("/board/login")).into_response()
}

/// The hidden CSRF field of `viewer`'s forms.
pub fn csrf_input(viewer: &Viewer) -> String {
    csrf_field(viewer.csrf())
}
