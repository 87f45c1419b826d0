//! The HTTP surface: `/healthz`, `/readyz`, `/metrics`, `POST /api/v1/ingest`,
//! `POST /-/reload`, the queue API under `/api/v1/queue`, silences under
//! `/api/v1/silences`, and Slack
//! interactivity at `POST /slack/actions`, the web board under `/board`
//! (`board/`); while start-up waits for the database, only `/healthz` and
//! a 503 `/readyz` (`starting.rs`). The only module that knows axum; handlers stay thin and call into the store or metrics.
//!
//! Tests: `tests/it/http.rs`.

pub(crate) mod auth;
mod board;
mod health;
mod ingest;
mod queue_api;
mod reload;
mod silences_api;
mod slack_actions;
mod starting;
mod token_guesses;

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::daemon::Handle;

pub use self::auth::constant_time_eq;
pub use self::ingest::INGEST_SOURCE;
pub use self::starting::serve_starting;

/// What handlers may reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The running daemon: its current context (store, pipeline, router,
    /// metrics), and reloads.
    pub handle: Handle,
    /// Set once the daemon's tasks are running; cleared on shutdown.
    pub ready: Arc<AtomicBool>,
    /// Wrong tokens (API and board) per client address.
    pub token_guesses: Arc<token_guesses::TokenGuesses>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/v1/ingest", post(ingest::ingest))
        .route("/-/reload", post(reload::reload))
        .route("/slack/actions", post(slack_actions::actions))
        .route("/api/v1/queue", get(queue_api::list))
        .route("/api/v1/queue/{id}", get(queue_api::show))
        .route("/api/v1/queue/{id}/{action}", post(queue_api::act))
        .route("/api/v1/silences", get(silences_api::list).post(silences_api::create))
        .route("/api/v1/silences/{id}", axum::routing::delete(silences_api::expire))
        .merge(board::routes())
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
