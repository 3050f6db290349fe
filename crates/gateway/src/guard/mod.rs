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
//! Each step is a check that takes only what it reads and returns a typed refusal (an [`Error`];
//! on `/v1` a [`Refusal`] carrying the caller facts too). Nothing here renders: the caller answers
//! once, in the surface's shape (on `/v1` in the client's dialect, `api::v1_guard`). Every refusal
//! leaves a request-log row (`refused`).
//! Limits go through the [`crate::limits`] traits so a Redis implementation can replace the
//! in-memory one.

pub mod api_key;
pub mod body;
pub mod client_ip;
pub mod ip_block;
pub mod rate_limit;
pub mod refused;

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::Request;
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

pub use api_key::{AuthedKey, KeyEntry, KeyRing};
pub use client_ip::{ClientIp, LocalCaller};
pub use ip_block::Blocklist;

use crate::error::Error;
use crate::limits::{ConcurrencyLimiter, RateLimiter};

/// What the guards read: the guard sub-state of `AppState` (taken through axum's `FromRef`, one
/// `Arc`). The snapshots are swapped whole when the admin API changes keys, settings or the
/// blocklist (`AppState::reload`); a check loads one snapshot and never locks.
pub struct Guards {
    /// `security.trusted_proxies` (client address resolution).
    pub trusted_proxies: Vec<IpNet>,
    /// `security.max_body_bytes`.
    pub max_body_bytes: u64,
    /// Runtime settings (per-IP limit, `enableRequestLog`), shared with the rest of the state.
    pub settings: Arc<ArcSwap<store::Settings>>,
    /// API key snapshot.
    pub keyring: ArcSwap<KeyRing>,
    /// IP blocklist snapshot.
    pub blocklist: ArcSwap<Blocklist>,
    /// Rate-limit counters (memory or Redis).
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Concurrency slots (memory or Redis), shared with the pool's account leases.
    pub concurrency: Arc<dyn ConcurrencyLimiter>,
    /// Request-log queue for refusal rows.
    pub log_sender: store::LogSender,
}

/// A request a guard refused: the typed error, and the caller facts its request-log row names.
/// The caller renders it once, in its surface's shape (`api` does, at the `/v1` edge).
#[derive(Debug)]
pub struct Refusal {
    /// Why.
    pub error: Error,
    /// Whether it leaves a `refused` request-log row (a body that could not be read does not).
    pub logged: bool,
    /// Client address, when known.
    pub ip: Option<IpAddr>,
    /// Id of the recognised API key, if any.
    pub key_id: Option<String>,
}

impl Refusal {
    /// A refusal of the request whose extensions are `ext` (caller facts the guards inserted).
    pub fn of(ext: &Extensions, error: Error) -> Self {
        Self {
            error,
            logged: true,
            ip: ext.get::<ClientIp>().map(|c| c.0),
            key_id: ext
                .get::<AuthedKey>()
                .and_then(|k| k.0.as_ref())
                .map(|k| k.id.clone()),
        }
    }

    /// Queues its request-log row (`surface` = the log's `dialect` column), unless it is not
    /// [`logged`](Self::logged).
    pub fn log(&self, guards: &Guards, surface: &'static str) {
        if self.logged {
            refused::log(
                guards,
                self.ip,
                self.key_id.as_deref(),
                surface,
                &self.error,
            );
        }
    }
}

/// Steps 2–3 (module docs) for a request from `ip`: the refusal, if any. Runs on every route but
/// `/healthz`; `count` = false skips the per-IP limit (the caller passes it for `/metrics`, which
/// monitoring polls on a schedule: its scrapes must neither use up nor be refused by the limit).
pub async fn screen(guards: &Guards, ip: IpAddr, count: bool) -> Option<Error> {
    if let Some(err) = ip_block::refusal(&guards.blocklist.load(), ip) {
        return Some(err);
    }
    if !count {
        return None;
    }
    // An owned snapshot: an `arc_swap` guard is not for holding across an await.
    let settings = guards.settings.load_full();
    rate_limit::ip_refusal(guards.rate_limiter.as_ref(), &settings, ip).await
}

/// The `/v1` guard steps (order in the module docs), then `next`; each step either passes or
/// returns the [`Refusal`] for the caller to log and render in the client's dialect.
pub async fn run(guards: &Guards, mut req: Request, next: Next) -> Result<Response, Refusal> {
    if let Err(err) = api_key::check(&guards.keyring.load(), &mut req) {
        return Err(Refusal::of(req.extensions(), err));
    }
    let key = req
        .extensions()
        .get::<AuthedKey>()
        .and_then(|k| k.0.clone());
    if let Some(key) = &key
        && let Some(err) = rate_limit::key_refusal(guards.rate_limiter.as_ref(), key).await
    {
        return Err(Refusal::of(req.extensions(), err));
    }
    body::run(guards, req, next, key).await
}

/// Current time in epoch milliseconds (the store's unit).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
