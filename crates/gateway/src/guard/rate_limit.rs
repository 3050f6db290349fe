//! Request-rate limits (issue 7 §Security controls): the original per-IP limit
//! (`enableIPRateLimit`, `ipRateLimitWindow` minutes, `ipRateLimitMax` requests) on every route but
//! `/healthz` (issue 16 §3), and each API key's `rpm` on `/v1`. Both go through the [`RateLimiter`](crate::limits::RateLimiter) seam, so they become
//! fleet-wide when a Redis limiter is configured. Over the limit → 429 with `retry-after`.

use std::net::IpAddr;
use std::time::Duration;

use super::api_key::KeyEntry;
use crate::error::Error;
use crate::limits::{RateDecision, RateLimiter};

/// Guard step: the per-IP limit's 429 for `ip` under `settings`, if it is over the limit.
pub async fn ip_refusal(
    limiter: &dyn RateLimiter,
    settings: &store::Settings,
    ip: IpAddr,
) -> Option<Error> {
    if !settings.enable_ip_rate_limit {
        return None;
    }
    let (max, minutes) = (settings.ip_rate_limit_max, settings.ip_rate_limit_window);
    let window = Duration::from_mins(u64::from(minutes.max(1)));
    let bucket = format!("ip:{ip}");
    let retry_after = limited(limiter, &bucket, max, window, "ip_rate_limit").await?;
    Some(too_many(
        format!("too many requests from {ip}: at most {max} per {minutes} minute(s)"),
        retry_after,
    ))
}

/// Guard step: the 429 of `key`'s rpm limit, if it is over it.
pub async fn key_refusal(limiter: &dyn RateLimiter, key: &KeyEntry) -> Option<Error> {
    let rpm = key.rpm?;
    let retry_after = limited(
        limiter,
        key.bucket(),
        rpm,
        Duration::from_mins(1),
        "key_rpm",
    )
    .await?;
    Some(too_many(
        format!(
            "API key `{}` is limited to {rpm} requests per minute",
            key.name
        ),
        retry_after,
    ))
}

/// Counts a hit on `bucket`; `Some(retry_after)` when it is over `max` per `window` (counted as a
/// guard rejection for `reason`).
async fn limited(
    limiter: &dyn RateLimiter,
    bucket: &str,
    max: u32,
    window: Duration,
    reason: &'static str,
) -> Option<Duration> {
    match limiter.hit(bucket, max, window).await {
        RateDecision::Limited { retry_after } => {
            metrics::counter!("gateway_guard_rejections_total", "reason" => reason).increment(1);
            Some(retry_after)
        }
        RateDecision::Allowed { .. } => None,
    }
}

fn too_many(message: String, retry_after: Duration) -> Error {
    Error::TooManyRequests {
        code: "rate_limited",
        message,
        retry_after,
    }
}
