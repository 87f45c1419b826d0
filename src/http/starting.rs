//! The HTTP surface while the daemon waits for its database at start-up
//! (`daemon/start.rs`): `/healthz` answers (the process is alive and
//! should not be restarted), `/readyz` answers 503 with the reason, and
//! everything else 503 until the full router takes over the same socket.

use std::future::Future;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;

use crate::daemon::StartStatus;

/// Serves the start-up routes until `shutdown` completes.
pub async fn serve_starting(
    listener: TcpListener,
    status: StartStatus,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/healthz", get(super::health::healthz))
        .route("/readyz", get(readyz))
        .fallback(|| async { (StatusCode::SERVICE_UNAVAILABLE, "earshot is starting: waiting for its database\n") })
        .with_state(status);
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn readyz(State(status): State<StartStatus>) -> impl IntoResponse {
    let reason = status.read().unwrap_or_else(|p| p.into_inner()).clone();
    let reason = if reason.is_empty() { "connecting to the database".to_string() } else { reason };
    let body = json!({ "ready": false, "running": false, "starting": true, "database": reason });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}
