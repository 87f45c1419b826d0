//! Silences over HTTP (bearer token on every route, like the queue API):
//!
//! - `POST /api/v1/silences` with `{"matchers": ["brand = Acme"], "duration":
//!   "2h" | "ends_at": RFC 3339, "starts_at"?, "comment"?, "created_by"?}`
//!   creates one (201 with the silence).
//! - `GET /api/v1/silences[?expired=true]` lists those not yet ended (or all).
//! - `DELETE /api/v1/silences/{id}` expires one now.
//!
//! Errors are JSON `{"error"}`: 400 bad input, 401 token, 404 unknown id.
//! Tests: `tests/it/silences.rs`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::auth::ApiCaller;
use super::queue_api::error;
use super::AppState;
use crate::routing::{Silence, SilenceId, SilenceRequest};
use crate::store::NewSilence;

/// A silence as the API shows it.
pub fn silence_json(s: &Silence) -> Value {
    json!({
        "id": s.id.0,
        "matchers": s.matchers.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
        "starts_at": s.starts_at.to_rfc3339(),
        "ends_at": s.ends_at.to_rfc3339(),
        "created_by": s.created_by,
        "comment": s.comment,
        "active": s.active_at(Utc::now()),
    })
}

pub async fn create(_: ApiCaller, State(state): State<AppState>, body: Bytes) -> Response {
    let req: SilenceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    let now = Utc::now();
    let checked = match req.check(now) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let created_by = if req.created_by.trim().is_empty() { "api" } else { req.created_by.as_str() };
    let new = NewSilence {
        matchers: &checked.matchers,
        starts_at: checked.starts_at,
        ends_at: checked.ends_at,
        created_by,
        comment: &req.comment,
    };
    match state.handle.context().create_silence(&new, now).await {
        Ok(s) => {
            tracing::info!(silence = s.id.0, created_by, "silence created");
            (StatusCode::CREATED, Json(json!({ "silence": silence_json(&s) }))).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

pub async fn list(_: ApiCaller, State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut expired = false;
    for (k, v) in &q {
        match (k.as_str(), v.as_str()) {
            ("expired", "true") => expired = true,
            ("expired", "false") => expired = false,
            ("expired", other) => {
                return error(StatusCode::BAD_REQUEST, format!("expired: true or false, not {other:?}"))
            }
            (other, _) => return error(StatusCode::BAD_REQUEST, format!("unknown parameter {other:?}")),
        }
    }
    match state.handle.context().store.silences(Utc::now(), expired).await {
        Ok(all) => Json(json!({ "silences": all.iter().map(silence_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

pub async fn expire(_: ApiCaller, State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::BAD_REQUEST, format!("not a silence id: {id:?}"));
    };
    match state.handle.context().expire_silence(SilenceId(id), Utc::now()).await {
        Ok(Some(s)) => Json(json!({ "silence": silence_json(&s) })).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no silence {id}")),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}
