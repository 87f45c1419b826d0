//! The rapid-response queue over HTTP (bearer token on every route):
//!
//! - `GET /api/v1/queue?state=&brand=&urgency=&assignee=&older_than=&before=&limit=`
//!   lists items newest first; `next_before` pages on.
//! - `GET /api/v1/queue/{id}`: the item (with its SLA stamps and follow-up
//!   outcome), its audit trail, its SLA breaches and its customer's history.
//! - `POST /api/v1/queue/{id}/{ack|resolve|dismiss|reopen|follow_up}` with an
//!   optional JSON body `{"actor", "note"}`; `POST .../assign`
//!   `{"assignee": "dana" | null}`; `POST .../note` `{"note"}`.
//!
//! Errors are JSON `{"error"}`: 400 bad input, 401 token, 404 unknown
//! item, 409 a move the item's state does not allow.
//! Tests: `tests/it/queue_api.rs`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::auth::ApiCaller;
use super::AppState;
use crate::domain::{QueueItemId, Urgency};
use crate::queue::{Move, QueueState, Via};
use crate::store::{Change, QueueError, QueueFilter};

const MAX_LIMIT: u32 = 500;

pub(super) fn error(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({ "error": msg.into() }))).into_response()
}

pub async fn list(_: ApiCaller, State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let filter = match filter(&q) {
        Ok(f) => f,
        Err(msg) => return error(StatusCode::BAD_REQUEST, msg),
    };
    match state.handle.context().store.queue_list(&filter).await {
        Ok(items) => {
            let next = (items.len() as u32 == filter.limit).then(|| items.last().map(|i| i.id)).flatten();
            Json(json!({ "items": items, "next_before": next })).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// Reads the list filters; unknown parameters are refused.
fn filter(q: &HashMap<String, String>) -> Result<QueueFilter, String> {
    let mut f = QueueFilter { limit: 50, ..Default::default() };
    for (k, v) in q {
        match k.as_str() {
            "state" => f.state = Some(QueueState::parse(v).ok_or_else(|| format!("state: unknown state {v:?}"))?),
            "brand" => f.brand = Some(v.clone()),
            "urgency" => f.min_level = Some(Urgency::parse(v).ok_or_else(|| format!("urgency: unknown level {v:?}"))?),
            "assignee" => f.assignee = Some(v.clone()),
            "older_than" => {
                let age = humantime::parse_duration(v).map_err(|e| format!("older_than: {e}"))?;
                f.opened_before = Some(Utc::now() - chrono::Duration::from_std(age).map_err(|e| e.to_string())?);
            }
            "before" => f.before_id = Some(v.parse().map_err(|_| format!("before: not an item id: {v:?}"))?),
            "limit" => {
                f.limit =
                    v.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or(format!("limit: 1..={MAX_LIMIT}"))?
            }
            other => return Err(format!("unknown parameter {other:?}")),
        }
    }
    Ok(f)
}

pub async fn show(_: ApiCaller, State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    let ctx = state.handle.context();
    let (item, events) = match ctx.store.queue_item(QueueItemId(id)).await {
        Ok(Some(found)) => found,
        Ok(None) => return error(StatusCode::NOT_FOUND, format!("no queue item {id}")),
        Err(e) => return error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    let breaches = ctx.store.queue_breaches(item.id).await;
    let customer = ctx.item_customer(&item, Utc::now()).await;
    match (breaches, customer) {
        (Ok(breaches), Ok(customer)) => {
            Json(json!({ "item": item, "events": events, "breaches": breaches, "customer": customer })).into_response()
        }
        (Err(e), _) | (_, Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    actor: Option<String>,
    note: Option<String>,
    /// For `assign`: a name, or null to unassign.
    #[serde(default)]
    assignee: Option<Option<String>>,
}

pub async fn act(
    _: ApiCaller,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    body: Bytes,
) -> Response {
    let body: ActionBody = if body.is_empty() {
        ActionBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
        }
    };
    let actor = body.actor.as_deref().filter(|a| !a.trim().is_empty()).unwrap_or("api");
    let change = match action.as_str() {
        "assign" => match &body.assignee {
            Some(a) => {
                Change { mv: None, assign: Some(a.as_deref()), note: body.note.as_deref(), actor, via: Via::Api }
            }
            None => return error(StatusCode::BAD_REQUEST, "assign needs {\"assignee\": NAME or null}"),
        },
        "note" => match body.note.as_deref() {
            Some(n) if !n.trim().is_empty() => Change { mv: None, assign: None, note: Some(n), actor, via: Via::Api },
            _ => return error(StatusCode::BAD_REQUEST, "note needs {\"note\": TEXT}"),
        },
        other => match Move::parse(other) {
            Some(mv) => Change { mv: Some(mv), assign: None, note: body.note.as_deref(), actor, via: Via::Api },
            None => return error(StatusCode::NOT_FOUND, format!("unknown action {other:?}")),
        },
    };
    match state.handle.context().queue_change(QueueItemId(id), &change).await {
        Ok(item) => Json(json!({ "item": item })).into_response(),
        Err(QueueError::NotFound(_)) => error(StatusCode::NOT_FOUND, format!("no queue item {id}")),
        Err(QueueError::Invalid(e)) => error(StatusCode::CONFLICT, e.to_string()),
        Err(QueueError::Store(e)) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}
