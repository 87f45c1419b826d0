//! The web board: the rapid-response queue for people, served by the
//! daemon as plain HTML (inline CSS, inline SVG charts, no scripts, no
//! outside assets; every action is an HTML form that works without JS).
//!
//! - `GET /board`: unresolved items by urgency, oldest first, with
//!   Acknowledge / Resolve buttons (`pages.rs`);
//! - `GET /board/items/{id}`: one item, its post and its audit trail;
//!   `POST /board/items/{id}` (`action`, `note`, `csrf`) makes a move through
//!   the same store path as the API, recorded with `via = web`;
//! - `GET /board/trends?days=&bucket=`: volume, negative share, complaint
//!   topics and SLA percentiles as SVG (`trends.rs`, `svg.rs`);
//! - `GET|POST /board/login`, `POST /board/logout` (`auth.rs`, `session.rs`;
//!   wrong tokens limited per client address, `http/token_guesses.rs`).
//!
//! Tests: unit tests per module, `tests/it/board.rs` (handlers) and
//! `tests/it/browser.rs` (headless Chromium over WebDriver).

mod auth;
mod html;
mod pages;
mod session;
mod svg;
mod trends;

use std::collections::HashMap;

use axum::routing::get;
use axum::Router;

use super::AppState;

/// The board's routes, merged into the daemon's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/board", get(pages::queue))
        .route("/board/items/{id}", get(pages::item).post(pages::act))
        .route("/board/trends", get(trends::trends))
        .route("/board/login", get(auth::login_form).post(auth::login))
        .route("/board/logout", axum::routing::post(auth::logout))
}

/// The fields of an `application/x-www-form-urlencoded` body (the last
/// value wins when a name repeats).
fn form_fields(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}
