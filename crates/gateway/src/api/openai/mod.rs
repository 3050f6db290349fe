//! OpenAI Chat Completions handler (client-api-conformance.md §1): `POST /v1/chat/completions`,
//! also served as `/chat/completions` for tools configured without `/v1` (§1.1). Parsing and the
//! answer's shape live in `translate::openai`; the request flow in `api::chat`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::chat::{self, Ctx};
use crate::api::dialect_error::Dialect;
use crate::guard::{AuthedKey, ClientIp};
use crate::state::ChatState;

/// `POST /v1/chat/completions`
pub async fn chat_completions(
    State(state): State<Arc<ChatState>>,
    key: Option<Extension<AuthedKey>>,
    ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = Ctx::new(Dialect::OpenAi, &headers, key.as_ref(), ip.as_ref());
    let parsed = translate::openai::parse(&body);
    chat::run(state, ctx, &body, parsed).await
}
