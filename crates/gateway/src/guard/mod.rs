//! Guards in front of the client API `/v1` (issue 7 §Client API keys, §Security controls).
//!
//! Order, outermost first (built in [`protect_v1`]):
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

use axum::Router;
use axum::middleware::from_fn_with_state;

pub use api_key::{AuthedKey, KeyEntry, KeyRing};
pub use client_ip::ClientIp;
pub use ip_block::Blocklist;

use crate::state::AppState;

/// Wraps the `/v1` routes in the guard stack (order in the module docs).
pub fn protect_v1(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    // `layer` wraps what is already there, so the innermost guard is added first.
    routes
        .layer(from_fn_with_state(state.clone(), body::layer))
        .layer(from_fn_with_state(state.clone(), rate_limit::layer))
        .layer(from_fn_with_state(state.clone(), api_key::layer))
        .layer(from_fn_with_state(state.clone(), ip_block::layer))
}

/// Current time in epoch milliseconds (the store's unit).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
