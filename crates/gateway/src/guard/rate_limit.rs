//! Request-rate limits (issue 7 §Security controls): the original per-IP limit
//! (`enableIPRateLimit`, `ipRateLimitWindow` minutes, `ipRateLimitMax` requests) on every route but
//! `/healthz` (issue 16 §3), and each API key's `rpm` on `/v1`. Both go through the [`RateLimiter`](super::limiter::RateLimiter) seam, so they become
//! fleet-wide when a Redis limiter is configured. Over the limit → 429 with `retry-after`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::api_key::KeyEntry;
use super::limiter::RateDecision;
use crate::error::Error;
use crate::state::AppState;

/// Guard step: the per-IP limit's 429 for `ip`, if it is over the limit.
pub async fn ip_refusal(state: &AppState, ip: IpAddr) -> Option<Error> {
    let settings = state.settings.load_full();
    if !settings.enable_ip_rate_limit {
        return None;
    }
    let window = Duration::from_mins(u64::from(settings.ip_rate_limit_window.max(1)));
    let bucket = format!("ip:{ip}");
    let decision = state
        .rate_limiter
        .hit(&bucket, settings.ip_rate_limit_max, window)
        .await;
    let RateDecision::Limited { retry_after } = decision else {
        return None;
    };
    metrics::counter!("gateway_guard_rejections_total", "reason" => "ip_rate_limit").increment(1);
    Some(Error::TooManyRequests {
        code: "rate_limited",
        message: format!(
            "too many requests from {ip}: at most {} per {} minute(s)",
            settings.ip_rate_limit_max, settings.ip_rate_limit_window
        ),
        retry_after,
    })
}

/// Guard step: the 429 of `key`'s rpm limit, if it is over it.
pub async fn key_refusal(state: &AppState, key: Option<Arc<KeyEntry>>) -> Option<Error> {
    let key = key?;
    let rpm = key.rpm?;
    let bucket = format!("key:{}", key.id);
    let decision = state
        .rate_limiter
        .hit(&bucket, rpm, Duration::from_mins(1))
        .await;
    let RateDecision::Limited { retry_after } = decision else {
        return None;
    };
    metrics::counter!("gateway_guard_rejections_total", "reason" => "key_rpm").increment(1);
    Some(Error::TooManyRequests {
        code: "rate_limited",
        message: format!(
            "API key `{}` is limited to {rpm} requests per minute",
            key.name
        ),
        retry_after,
    })
}
