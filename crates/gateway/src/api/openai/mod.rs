//! OpenAI Chat Completions handler (client-api-conformance.md §1): `POST /v1/chat/completions`,
//! also served as `/chat/completions` for tools configured without `/v1` (§1.1). Parsing and the
//! answer's shape live in `translate::openai`; the request flow in `api::chat`.

use axum::body::Bytes;
use axum::response::Response;

use crate::api::chat::{self, Call};
use crate::api::dialect_error::Dialect;

/// `POST /v1/chat/completions`
pub async fn chat_completions(call: Call, body: Bytes) -> Response {
    let (state, ctx) = call.open(Dialect::OpenAi);
    let parsed = translate::openai::parse(&body);
    chat::run(state, ctx, &body, parsed).await
}
