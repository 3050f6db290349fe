//! The extractor every `/v1` chat handler starts from ([`Call`]): the shared [`ChatState`] and the
//! request's own facts — its id (the `x-request-id` header, else a fresh one), the console address
//! the client used, and the caller from the guard's request extensions (API key, client IP). The
//! handler names its dialect with [`Call::open`] and gets the [`Ctx`] its flow carries.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::record::Caller;
use super::{Ctx, error};
use crate::api::dialect_error::Dialect;
use crate::guard::{AuthedKey, ClientIp};
use crate::state::ChatState;

/// What a chat handler reads before the body; never rejects.
pub struct Call {
    state: Arc<ChatState>,
    request_id: String,
    console: error::ConsoleAddr,
    caller: Caller,
}

impl Call {
    /// The shared state and this request's context in `dialect`.
    pub fn open(self, dialect: Dialect) -> (Arc<ChatState>, Ctx) {
        let ctx = Ctx {
            dialect,
            request_id: self.request_id,
            caller: self.caller,
            console: self.console,
            web_search: None,
        };
        (self.state, ctx)
    }
}

impl<S> FromRequestParts<S> for Call
where
    Arc<ChatState>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .headers
            .get(crate::api::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        let caller = Caller {
            ip: parts
                .extensions
                .get::<ClientIp>()
                .map(|ClientIp(ip)| ip.to_string())
                .unwrap_or_default(),
            key_id: parts
                .extensions
                .get::<AuthedKey>()
                .and_then(|k| k.0.as_ref().map(|k| k.id.clone())),
        };
        Ok(Self {
            state: Arc::<ChatState>::from_ref(state),
            request_id,
            console: error::ConsoleAddr::of(&parts.headers),
            caller,
        })
    }
}
