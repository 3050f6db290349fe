//! `GET /v1/models` and `GET /v1/models/{id}` (also without `/v1`), in the union shape both SDKs
//! parse (client-api-conformance.md §1.7, §2.8): OpenAI `object/created/owned_by` plus Anthropic
//! `type/display_name/created_at`, and the list's `object`, `data`, `has_more`, `first_id`,
//! `last_id`. `limit`, `after_id` and `before_id` are accepted and ignored.
//!
//! An unknown id is a 404 `model_not_found`; the error speaks Anthropic when the request carries
//! `anthropic-version` (the Anthropic SDK always sends it), OpenAI otherwise.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use translate::models::ModelEntry;

use crate::api::chat::error::ApiError;
use crate::api::chat::{Ctx, model_table};
use crate::api::dialect_error::Dialect;
use crate::guard::{AuthedKey, ClientIp};
use crate::state::AppState;

fn object(e: &ModelEntry) -> Value {
    let created_at = chrono::DateTime::from_timestamp(e.created, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let display = if e.display_name.is_empty() {
        e.id.clone()
    } else {
        e.display_name.clone()
    };
    json!({
        "id": e.id,
        "object": "model",
        "created": e.created,
        "owned_by": "anthropic",
        "type": "model",
        "display_name": display,
        "created_at": created_at,
    })
}

/// `GET /v1/models`
pub async fn list(State(state): State<AppState>) -> Response {
    let table = model_table(&state);
    let data: Vec<Value> = table.listed().into_iter().map(object).collect();
    let first = data.first().map_or(Value::Null, |m| m["id"].clone());
    let last = data.last().map_or(Value::Null, |m| m["id"].clone());
    Json(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "first_id": first,
        "last_id": last,
    }))
    .into_response()
}

/// `GET /v1/models/{id}`
pub async fn retrieve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    key: Option<Extension<AuthedKey>>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
) -> Response {
    let table = model_table(&state);
    if let Some(e) = table.find(&id) {
        // Echo the id the client asked for, so `retrieve(x).id == x`.
        let mut v = object(e);
        v["id"] = Value::String(id);
        return Json(v).into_response();
    }
    let dialect = if headers.contains_key("anthropic-version") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    let ctx = Ctx::new(dialect, &headers, key.as_ref(), ip.as_ref());
    ApiError::model_not_found(&id).render(dialect, &ctx.request_id)
}
