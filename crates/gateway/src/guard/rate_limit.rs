//! Request-rate limits on `/v1` (issue 7 §Security controls): the original per-IP limit
//! (`enableIPRateLimit`, `ipRateLimitWindow` minutes, `ipRateLimitMax` requests) and each API key's
//! `rpm`. Both go through the [`RateLimiter`](super::limiter::RateLimiter) seam, so they become
//! fleet-wide when a Redis limiter is configured. Over the limit → 429 with `retry-after`.

use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;

use super::api_key::KeyEntry;
use super::client_ip::ClientIp;
use super::limiter::RateDecision;
use crate::api::dialect_error::{Dialect, render};
use crate::error::Error;
use crate::state::AppState;

/// Guard step: per-IP then per-key limits; `Some` = the 429. `ip` and `key` come from the request's
/// extensions (the request itself is not `Sync`, so it cannot be borrowed across the await).
pub async fn check(
    state: &AppState,
    ip: Option<ClientIp>,
    key: Option<Arc<KeyEntry>>,
    dialect: Dialect,
) -> Option<Response> {
    let settings = state.settings.load_full();
    if settings.enable_ip_rate_limit
        && let Some(ClientIp(ip)) = ip
    {
        let window = Duration::from_mins(u64::from(settings.ip_rate_limit_window.max(1)));
        let bucket = format!("ip:{ip}");
        let decision = state
            .rate_limiter
            .hit(&bucket, settings.ip_rate_limit_max, window)
            .await;
        if let RateDecision::Limited { retry_after } = decision {
            metrics::counter!("gateway_guard_rejections_total", "reason" => "ip_rate_limit")
                .increment(1);
            let err = Error::TooManyRequests {
                code: "rate_limited",
                message: format!(
                    "too many requests from {ip}: at most {} per {} minute(s)",
                    settings.ip_rate_limit_max, settings.ip_rate_limit_window
                ),
                retry_after,
            };
            return Some(render(dialect, &err));
        }
    }
    if let Some(key) = key
        && let Some(rpm) = key.rpm
    {
        let bucket = format!("key:{}", key.id);
        let decision = state
            .rate_limiter
            .hit(&bucket, rpm, Duration::from_mins(1))
            .await;
        if let RateDecision::Limited { retry_after } = decision {
            metrics::counter!("gateway_guard_rejections_total", "reason" => "key_rpm").increment(1);
            let err = Error::TooManyRequests {
                code: "rate_limited",
                message: format!(
                    "API key `{}` is limited to {rpm} requests per minute",
                    key.name
                ),
                retry_after,
            };
            return Some(render(dialect, &err));
        }
    }
    None
}
