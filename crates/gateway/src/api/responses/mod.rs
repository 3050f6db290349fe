//! OpenAI Responses API handler (issue 18 item 1): `POST /v1/responses`, also `/responses` for
//! clients configured without `/v1`. Parsing and the answer's shapes live in
//! `translate::responses` and `translate::sse::ResponsesSse`; the request flow (guards ran
//! already; model, images, counting, pool, logging, token accounting) is `api::chat`'s.
//!
//! What this layer adds:
//! - **`previous_response_id`**: the stored items of that response (only ones created with the same
//!   API key) are put before the new input. Unknown, expired or someone else's → 400
//!   `previous_response_not_found` (OpenAI's code), `param: "previous_response_id"`.
//! - **Storing** (`reply`): answers are kept unless `store: false`, bounded by `responses.*` in the
//!   configuration, and written before the stream's last event leaves.
//! - **Reasoning seal** ([`GatewaySeal`]): reasoning items carry `encrypted_content` sealed with the
//!   gateway's encryption key; what does not open is dropped (see `translate::responses`).
//! - Tools and items the gateway cannot serve are dropped with a debug log line naming them;
//!   the `web_search` tool is run by the gateway (`api::chat::web_search`).
//! - The sticky-session key is `prompt_cache_key`, else Codex's `session-id` header.

mod reply;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use translate::responses::Seal;

pub use self::reply::Reply;
use crate::api::chat::error::ApiError;
use crate::api::chat::{self, Call};
use crate::api::dialect_error::Dialect;

/// Associated data of sealed reasoning: a value sealed for another purpose does not open here.
const SEAL_CONTEXT: &str = "responses.reasoning";

/// Seals reasoning with the gateway's encryption key (the store's cipher).
pub struct GatewaySeal(store::Cipher);

impl Seal for GatewaySeal {
    fn seal(&self, plain: &str) -> Option<String> {
        self.0.encrypt(SEAL_CONTEXT, plain).ok()
    }

    fn open(&self, sealed: &str) -> Option<String> {
        self.0
            .decrypt(SEAL_CONTEXT, sealed)
            .ok()
            .map(|s| s.expose().to_owned())
    }
}

/// `POST /v1/responses`
pub async fn create(call: Call, headers: HeaderMap, body: Bytes) -> Response {
    let (state, mut ctx) = call.open(Dialect::Responses);
    let envelope = match translate::responses::parse(&body) {
        Ok(e) => e,
        Err(e) => return chat::run(state, ctx, &body, Err(e)).await,
    };
    // The hosted `web_search` tool (`chat::web_search`).
    if chat::web_search::mentions(&body) {
        match translate::web_search::responses_options(&body) {
            Ok(o) => ctx.web_search = o,
            Err(e) => return chat::run(state, ctx, &body, Err(e)).await,
        }
    }
    let prior = match &envelope.head.previous_response_id {
        None => Vec::new(),
        Some(id) => {
            let found = state
                .store
                .stored_response(id, ctx.caller.key_id.as_deref())
                .await;
            match found {
                Ok(Some(r)) => r.items,
                Ok(None) => {
                    let mut record = ctx.record(&state, &body);
                    record.model_requested.clone_from(&envelope.head.model);
                    return ctx.fail(record, &not_found(id), None);
                }
                Err(e) => {
                    let record = ctx.record(&state, &body);
                    return ctx.fail(record, &ApiError::internal(&e.to_string()), None);
                }
            }
        }
    };
    let seal: Arc<dyn Seal> = Arc::new(GatewaySeal(state.store.cipher().clone()));
    let turn = match envelope.build(prior, seal.as_ref()) {
        Ok(t) => t,
        Err(e) => return chat::run(state, ctx, &body, Err(e)).await,
    };
    for what in &turn.dropped {
        tracing::debug!(request_id = %ctx.request_id, dropped = %what, "responses: left out");
    }
    let mut req = turn.chat;
    if req.metadata.session_id.is_none() {
        req.metadata.session_id = headers
            .get("session-id")
            .or_else(|| headers.get("session_id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
    }
    let reply = Reply::new(&state, &ctx, envelope.head, turn.history, seal);
    Box::pin(chat::run_with(
        state,
        ctx,
        &body,
        Ok(req),
        chat::Reply::Responses(Box::new(reply)),
    ))
    .await
}

/// OpenAI's answer for an unknown `previous_response_id`.
fn not_found(id: &str) -> ApiError {
    let mut e = ApiError::invalid(
        Some("previous_response_id".to_owned()),
        format!("Previous response with id '{id}' not found."),
    );
    e.code = Some("previous_response_not_found");
    e.class = "previous_response_not_found";
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_opens_only_its_own_untouched_values() {
        let seal = GatewaySeal(store::Cipher::from_key_bytes(&[7; store::KEY_LEN]).unwrap());
        let sealed = seal.seal("thinking text").unwrap();
        assert!(!sealed.contains("thinking"));
        assert_eq!(seal.open(&sealed).as_deref(), Some("thinking text"));
        let mut tampered = sealed.clone().into_bytes();
        let at = tampered.len() - 3;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(seal.open(&String::from_utf8(tampered).unwrap()), None);
        let other = GatewaySeal(store::Cipher::from_key_bytes(&[8; store::KEY_LEN]).unwrap());
        assert_eq!(other.open(&sealed), None);
        assert_eq!(seal.open("gAAAAABo-foreign"), None);
        // A value sealed for another purpose (an account token) does not open as reasoning.
        let token = seal.0.encrypt("accounts.refresh_token:a1", "rt").unwrap();
        assert_eq!(seal.open(&token), None);
    }
}
