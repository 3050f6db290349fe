//! `GET /v1/models` and `GET /v1/models/{id}` (also without `/v1`), in the union shape both SDKs
//! parse (client-api-conformance.md §1.7, §2.8): OpenAI `object/created/owned_by` plus Anthropic
//! `type/display_name/created_at`, and the list's `object`, `data`, `has_more`, `first_id`,
//! `last_id`. `limit`, `after_id` and `before_id` are accepted and ignored.
//!
//! The rows follow the pool's live catalog (issue 15: what the accounts' ListAvailableModels
//! offer, non-Claude models under their own ids), and the built-in table while no catalog is
//! known ([`translate::models::ModelTable::listed_with`]).
//!
//! An unknown id is a 404 `model_not_found`; the error speaks Anthropic when the request carries
//! `anthropic-version` (the Anthropic SDK always sends it), OpenAI otherwise.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use translate::model_list::{model_list, model_object};

use crate::api::chat::Call;
use crate::api::chat::error::ApiError;
use crate::api::dialect_error::Dialect;
use crate::state::ChatState;

/// `GET /v1/models`
pub async fn list(State(state): State<Arc<ChatState>>) -> Response {
    let rows = state.models.listed_with(&state.pool.catalog());
    Json(model_list(&rows)).into_response()
}

/// `GET /v1/models/{id}`
pub async fn retrieve(call: Call, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let dialect = if headers.contains_key("anthropic-version") {
        Dialect::Anthropic
    } else {
        Dialect::OpenAi
    };
    let (state, ctx) = call.open(dialect);
    if let Some(e) = state.models.find_with(&id, &state.pool.catalog()) {
        // Echo the id the client asked for, so `retrieve(x).id == x`.
        return Json(model_object(&id, &e)).into_response();
    }
    ApiError::model_not_found(&id).render(dialect, &ctx.request_id)
}
