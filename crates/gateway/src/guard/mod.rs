//! Guards (issue 7 §Client API keys, §Security controls; issue 16 §3, §5).
//!
//! Order, first to last. Steps 1–3 run on every route except `/healthz` (step 3 also not on
//! `/metrics`), in the one front
//! middleware of `api::router` ([`screen`]); steps 4–6 in front of `/v1` only ([`run`], inside the
//! one `/v1` middleware; separate `from_fn` layers cost a boxed future and a clone of the whole
//! inner service stack each, per request):
//! 1. `client_ip`  — inserts [`ClientIp`] and whether the caller is local.
//! 2. `ip_block`   — 403 for blocked addresses/ranges, before any other work.
//! 3. `rate_limit` — the per-IP limit (original settings); 429 + `retry-after`.
//! 4. `api_key`    — 401/403 unless a valid key is presented (local callers only without keys);
//!    inserts [`AuthedKey`].
//! 5. `rate_limit` — the key's rpm.
//! 6. `body`       — body cap (413), key model scope (403), key concurrency slot (429).
//!
//! Steps 2–3 return the refusal as an [`Error`]; the caller renders it in the surface's shape. On
//! `/v1` every rejection is rendered in the client's dialect by `api::dialect_error`. Every
//! refusal leaves a request-log row (`refused`).
//! Limits go through the [`limiter`] traits so a Redis implementation can replace the in-memory one.

pub mod api_key;
pub mod body;
pub mod client_ip;
pub mod ip_block;
pub mod limiter;
pub mod rate_limit;
pub mod refused;

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::Response;

pub use api_key::{AuthedKey, KeyEntry, KeyRing};
pub use client_ip::{ClientIp, LocalCaller};
pub use ip_block::Blocklist;

use crate::dialect_error::{Dialect, render};
use crate::error::Error;
use crate::state::AppState;

/// Steps 2–3 (module docs) for a request from `ip`: the refusal, if any. Runs on every route but
/// `/healthz`; `count` = false skips the per-IP limit (the caller passes it for `/metrics`, which
/// monitoring polls on a schedule: its scrapes must neither use up nor be refused by the limit).
pub async fn screen(state: &AppState, ip: IpAddr, count: bool) -> Option<Error> {
    if let Some(err) = ip_block::refusal(state, ip) {
        return Some(err);
    }
    if !count {
        return None;
    }
    rate_limit::ip_refusal(state, ip).await
}

/// The `/v1` guard steps (order in the module docs), then `next`; each step either passes or
/// answers in the client's dialect.
pub async fn run(state: &AppState, mut req: Request, next: Next) -> Response {
    let dialect = Dialect::from_path(req.uri().path());
    if let Err(err) = api_key::check(state, &mut req) {
        return refuse(state, req.extensions(), dialect, &err);
    }
    let key = req
        .extensions()
        .get::<AuthedKey>()
        .and_then(|k| k.0.clone());
    if let Some(err) = rate_limit::key_refusal(state, key).await {
        return refuse(state, req.extensions(), dialect, &err);
    }
    body::run(state, req, next, dialect).await
}

/// Logs a `/v1` refusal (`refused`) with the caller facts in `ext`, and renders it in `dialect`.
pub fn refuse(state: &AppState, ext: &Extensions, dialect: Dialect, err: &Error) -> Response {
    let ip = ext.get::<ClientIp>().map(|c| c.0);
    let key = ext
        .get::<AuthedKey>()
        .and_then(|k| k.0.as_ref())
        .map(|k| k.id.as_str());
    refused::log(state, ip, key, dialect.as_str(), err);
    render(dialect, err)
}

/// Current time in epoch milliseconds (the store's unit).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
