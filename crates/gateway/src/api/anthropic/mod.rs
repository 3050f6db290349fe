//! Anthropic Messages handlers (client-api-conformance.md §2): `POST /v1/messages` and
//! `POST /v1/messages/count_tokens` (query strings such as Claude Code's `?beta=true` are ignored by
//! routing). Parsing and the answer's shape live in `translate::anthropic`; the request flow in
//! `api::chat` (with the web-search server tool: `api::chat::web_search`).
//!
//! `count_tokens` (§2.7) counts locally with the same function the message path uses, so its
//! figure equals `message_start.usage.input_tokens` for the same body; no upstream call is made.

use axum::Json;
use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use translate::anthropic::response::CountTokensResponse;
use translate::anthropic::{Endpoint, parse};

use crate::api::chat::error::ApiError;
use crate::api::chat::{self, Call};
use crate::api::dialect_error::Dialect;

/// `POST /v1/messages`
pub async fn messages(call: Call, body: Bytes) -> Response {
    let (state, mut ctx) = call.open(Dialect::Anthropic);
    let parsed = parse(&body, Endpoint::Messages);
    // The web-search server tool (`chat::web_search`): its options come from the same tools list.
    if parsed.is_ok() && chat::web_search::mentions(&body) {
        match translate::web_search::anthropic_options(&body) {
            Ok(o) => ctx.web_search = o,
            Err(e) => return chat::run(state, ctx, &body, Err(e)).await,
        }
    }
    chat::run(state, ctx, &body, parsed).await
}

/// `POST /v1/messages/count_tokens`
pub async fn count_tokens(call: Call, body: Bytes) -> Response {
    let (state, ctx) = call.open(Dialect::Anthropic);
    let mut record = ctx.record(&state, &body);
    let req = match parse(&body, Endpoint::CountTokens) {
        Ok(r) => r,
        Err(e) => return ctx.fail(record, &ApiError::from_translate(&e), None),
    };
    record.model_requested.clone_from(&req.model);
    match state.models.resolve_with(&req.model, &state.pool.catalog()) {
        Ok(m) => record.model_used = Some(m.upstream_id),
        Err(e) => return ctx.fail(record, &ApiError::from_translate(&e), None),
    }
    let input_tokens = chat::count_tokens(&std::sync::Arc::new(req)).await;
    record.usage.input_tokens = input_tokens;
    let answer = CountTokensResponse { input_tokens };
    if let Ok(text) = serde_json::to_vec(&answer) {
        record.sent(&text);
    }
    record.first_byte();
    record.finish(200, None);
    Json(answer).into_response()
}
