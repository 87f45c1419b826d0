//! `POST /-/reload` (bearer token): reload the config now. 200 with what
//! changed, or 400 with the file, key and reason; the running config stays.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::auth::ApiCaller;
use super::AppState;
use crate::daemon::ReloadOrigin;

pub async fn reload(_: ApiCaller, State(state): State<AppState>) -> Response {
    match state.handle.reload(ReloadOrigin::Api).await {
        Ok(s) => Json(json!({
            "reloaded": true,
            "brands": s.brands,
            "sources_added": s.sources_added,
            "sources_removed": s.sources_removed,
            "receivers": s.receivers,
            "routes": s.routes,
            "needs_restart": s.needs_restart,
        }))
        .into_response(),
        Err(reason) => (StatusCode::BAD_REQUEST, Json(json!({ "reloaded": false, "error": reason }))).into_response(),
    }
}
