//! Liveness (`/healthz`: the process answers), readiness (`/readyz`: the
//! daemon is running and its database answers and takes writes; with the
//! cluster's leases and who holds them) and Prometheus `/metrics`. Each
//! database query here gives up after [`DB_ANSWER`]: with the server
//! unreachable the pool would wait its whole acquire timeout, and a probe
//! must answer "not ready" promptly, not time out itself.

use std::future::Future;
use std::time::Duration;

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::AppState;
use crate::store::StoreError;

/// How long `/readyz` and `/metrics` wait for each database query.
const DB_ANSWER: Duration = Duration::from_secs(1);

/// `query`, or an error once [`DB_ANSWER`] has passed.
async fn bounded<T>(query: impl Future<Output = Result<T, StoreError>>) -> Result<T, String> {
    match tokio::time::timeout(DB_ANSWER, query).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("the database did not answer within {}", humantime::format_duration(DB_ANSWER))),
    }
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ctx = state.handle.context();
    let running = state.ready.load(Ordering::SeqCst);
    // Ready needs a database that answers AND takes writes (the lease
    // heartbeat is the write probe: a read-only file or a full disk fails it).
    let db = match bounded(ctx.store.ping()).await {
        Ok(()) => ctx.leases.store_problem().map_or(Ok(()), |p| Err(format!("database does not take writes: {p}"))),
        Err(e) => Err(e),
    };
    if db.is_err() {
        ctx.metrics.cluster.store_up.set(0);
    }
    let now = chrono::Utc::now();
    // Not asked again of a database that just failed to answer.
    let leases = if db.is_ok() { bounded(ctx.leases.all()).await.unwrap_or_default() } else { Vec::new() };
    let leases: Vec<_> = leases
        .into_iter()
        .map(|l| {
            json!({
                "name": l.name,
                "holder": l.holder,
                "expires_at": l.expires_at,
                "lapsed": l.expires_at < now,
            })
        })
        .collect();
    let ok = running && db.is_ok();
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let sources: Vec<_> = ctx
        .sources
        .iter()
        .map(|s| {
            let h = s.state.health();
            json!({
                "name": s.settings.name,
                "type": s.settings.kind.type_name(),
                "last_success": h.last_success,
                "consecutive_failures": h.consecutive_failures,
                "failing_since": h.failing_since,
                "last_error_kind": h.last_error_kind,
                "silent": h.silent_alerted,
            })
        })
        .collect();
    let body = json!({
        "ready": ok,
        "running": running,
        "database": match &db { Ok(()) => "ok".to_string(), Err(e) => e.clone() },
        "replica": ctx.leases.replica_id(),
        "leases": leases,
        "sources": sources,
    });
    (status, Json(body))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let ctx = state.handle.context();
    if let Ok(c) = bounded(ctx.store.gauges()).await {
        ctx.metrics.outbox_pending.set(i64::try_from(c.outbox_pending).unwrap_or(i64::MAX));
        ctx.metrics.queue_open.set(i64::try_from(c.queue_open).unwrap_or(i64::MAX));
        let age = c.queue_oldest_open.map_or(0, |t| (chrono::Utc::now() - t).num_seconds().max(0));
        ctx.metrics.queue_oldest_unacked.set(age);
    }
    if let Ok(depth) = bounded(ctx.store.queue_depth()).await {
        ctx.metrics.queue_depth(&depth, chrono::Utc::now());
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], ctx.metrics.render())
}
