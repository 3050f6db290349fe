//! Global fixed-window rate limits (issue 8 "IP and key rate limits are global"): one Lua script
//! checks and counts a hit atomically, with windows aligned to Redis's own clock so every instance
//! agrees where a window begins. Same semantics as `limits::MemoryRateLimiter`, which is
//! also the fallback while Redis is down (and counts this
//! instance's share all along, so a failover does not reset the window).

use std::sync::LazyLock;
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::Script;

use super::Redis;
use crate::limits::{MemoryRateLimiter, RateDecision, RateLimiter};

/// KEYS[1] = bucket key (without window). ARGV[1] = limit, ARGV[2] = window ms.
/// Returns {allowed (0/1), remaining or ms until the window ends}.
static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local id = math.floor(now / window)
local key = KEYS[1] .. ':' .. id
local left = (id + 1) * window - now
local n = tonumber(redis.call('GET', key) or '0')
if n >= limit then
  return {0, left}
end
n = redis.call('INCR', key)
if n == 1 then
  redis.call('PEXPIRE', key, left + 1000)
end
return {1, limit - n}
",
    )
});

/// Fleet-wide fixed-window counters.
pub struct RedisRateLimiter {
    redis: Redis,
    fallback: MemoryRateLimiter,
}

impl RedisRateLimiter {
    /// Counters under `<prefix>:rl:`.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            fallback: MemoryRateLimiter::default(),
        }
    }
}

impl RateLimiter for RedisRateLimiter {
    fn hit<'a>(
        &'a self,
        bucket: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, RateDecision> {
        Box::pin(async move {
            let window_ms = window.as_millis().clamp(1, u128::from(u64::MAX)) as u64;
            let key = self.redis.key(&format!("rl:{bucket}"));
            let mut conn = self.redis.conn();
            let mut inv = HIT.prepare_invoke();
            inv.key(&key).arg(limit).arg(window_ms);
            let answer: Option<(i64, i64)> = self
                .redis
                .call("rate_limit", inv.invoke_async(&mut conn))
                .await;
            if matches!(answer, Some((1, _))) {
                // Keep this instance's own share counted, so a failover mid-window starts from
                // what this instance has already let through rather than from zero.
                let _ = self.fallback.hit(bucket, limit, window).await;
            }
            match answer {
                Some((1, remaining)) => RateDecision::Allowed {
                    remaining: u32::try_from(remaining.max(0)).unwrap_or(0),
                },
                Some((_, left_ms)) => RateDecision::Limited {
                    retry_after: Duration::from_millis(u64::try_from(left_ms.max(1)).unwrap_or(1)),
                },
                // Redis down: the same limit, counted by this instance alone.
                None => self.fallback.hit(bucket, limit, window).await,
            }
        })
    }
}
