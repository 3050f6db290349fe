//! Guards in front of the client API `/v1` (issue 7 §Client API keys, §Security controls).
//!
//! Order, first to last ([`run`] does steps 2–5 in turn inside the one `/v1` middleware of
//! `api::router`; separate `from_fn` layers cost a boxed future and a clone of the whole inner
//! service stack each, per request):
//! 1. `client_ip`  — applied to the whole app in `api::router`; inserts [`ClientIp`].
//! 2. `ip_block`   — 403 for blocked addresses/ranges, before any other work.
//! 3. `api_key`    — 401/403 unless a valid key is presented (loopback-only without keys);
//!    inserts [`AuthedKey`].
//! 4. `rate_limit` — per-IP (original settings) and per-key rpm; 429 + `retry-after`.
//! 5. `body`       — body cap (413), key model scope (403), key concurrency slot (429).
//!
//! Every rejection is rendered in the client's dialect by `api::dialect_error`.
//! Limits go through the [`limiter`] traits so a Redis implementation can replace the in-memory one.

pub mod api_key;
pub mod body;
pub mod client_ip;
pub mod ip_block;
pub mod limiter;
pub mod rate_limit;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub use api_key::{AuthedKey, KeyEntry, KeyRing};
pub use client_ip::ClientIp;
pub use ip_block::Blocklist;

use crate::api::dialect_error::Dialect;
use crate::state::AppState;

/// The guard steps (order in the module docs), then `next`; each step either passes or answers in
/// the client's dialect.
pub async fn run(state: &AppState, mut req: Request, next: Next) -> Response {
    let dialect = Dialect::from_path(req.uri().path());
    if let Some(response) = ip_block::check(state, &req, dialect) {
        return response;
    }
    if let Some(response) = api_key::check(state, &mut req, dialect) {
        return response;
    }
    let ip = req.extensions().get::<ClientIp>().copied();
    let key = req
        .extensions()
        .get::<AuthedKey>()
        .and_then(|k| k.0.clone());
    if let Some(response) = rate_limit::check(state, ip, key, dialect).await {
        return response;
    }
    body::run(state, req, next, dialect).await
}

/// Current time in epoch milliseconds (the store's unit).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
