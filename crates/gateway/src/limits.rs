//! The scale-out seam for request limits (issue 8): [`RateLimiter`] and [`ConcurrencyLimiter`] are
//! small object-safe traits. This file holds the in-process implementations used when `redis.url`
//! is absent; a Redis implementation (atomic scripts, leases with expiry) implements the same traits
//! and is chosen at start-up, so guards never know which one they talk to. Its own floor: the
//! guards (key rpm, key concurrency), the pool (account leases) and the fleet seams all use it.
//!
//! Semantics both implementations must share:
//! - rate limit = fixed window: at most `limit` hits per `window`, counted from the window's start
//!   aligned to the epoch (so every instance agrees where a window begins); a rejected hit is not
//!   counted and reports the time left until the window ends.
//! - concurrency = counting semaphore per key; the permit frees its slot when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;

/// Outcome of one rate-limit hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Counted; `remaining` hits left in this window.
    Allowed {
        /// Hits left.
        remaining: u32,
    },
    /// Over the limit; retry after this long.
    Limited {
        /// Time until the window resets.
        retry_after: Duration,
    },
}

/// Fixed-window counters keyed by bucket name (e.g. `ip:1.2.3.4`, `key:abc`).
pub trait RateLimiter: Send + Sync {
    /// Counts one hit against `bucket` unless it is already at `limit` in the current `window`.
    fn hit<'a>(
        &'a self,
        bucket: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, RateDecision>;
}

/// A held concurrency slot; dropping it frees the slot.
pub struct ConcurrencyPermit {
    _release: Box<dyn Send + Sync>,
}

impl ConcurrencyPermit {
    /// Wraps whatever frees the slot on drop (an in-memory guard, a Redis lease handle).
    pub fn new(release: impl Send + Sync + 'static) -> Self {
        Self {
            _release: Box::new(release),
        }
    }
}

impl std::fmt::Debug for ConcurrencyPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConcurrencyPermit")
    }
}

/// Counting semaphores keyed by name.
pub trait ConcurrencyLimiter: Send + Sync {
    /// A slot under `key` if fewer than `max` are held, else `None` (never waits).
    fn try_acquire<'a>(
        &'a self,
        key: &'a str,
        max: u32,
    ) -> BoxFuture<'a, Option<ConcurrencyPermit>>;
    /// Slots currently held under `key`.
    fn in_flight(&self, key: &str) -> u32;
}

/// In-process fixed-window counters.
#[derive(Default)]
pub struct MemoryRateLimiter {
    windows: Mutex<HashMap<String, (u128, u32)>>,
}

impl MemoryRateLimiter {
    /// The same decision as [`RateLimiter::hit`] at an explicit time (ms since the epoch).
    pub fn hit_at(&self, bucket: &str, limit: u32, window: Duration, now_ms: u128) -> RateDecision {
        let window_ms = window.as_millis().max(1);
        let window_id = now_ms / window_ms;
        let mut map = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 100_000 {
            // Bound memory under address churn: drop counters of finished windows.
            map.retain(|_, (id, _)| *id >= window_id);
        }
        let entry = map.entry(bucket.to_string()).or_insert((window_id, 0));
        if entry.0 != window_id {
            *entry = (window_id, 0);
        }
        if entry.1 >= limit {
            let left = (window_id + 1) * window_ms - now_ms;
            return RateDecision::Limited {
                retry_after: Duration::from_millis(u64::try_from(left).unwrap_or(u64::MAX)),
            };
        }
        entry.1 += 1;
        RateDecision::Allowed {
            remaining: limit - entry.1,
        }
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn hit<'a>(
        &'a self,
        bucket: &'a str,
        limit: u32,
        window: Duration,
    ) -> BoxFuture<'a, RateDecision> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let decision = self.hit_at(bucket, limit, window, now);
        Box::pin(async move { decision })
    }
}

/// In-process counting semaphores.
#[derive(Default, Clone)]
pub struct MemoryConcurrencyLimiter {
    held: Arc<Mutex<HashMap<String, u32>>>,
}

struct MemoryRelease {
    held: Arc<Mutex<HashMap<String, u32>>>,
    key: String,
}

impl Drop for MemoryRelease {
    fn drop(&mut self) {
        let mut map = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl ConcurrencyLimiter for MemoryConcurrencyLimiter {
    fn try_acquire<'a>(
        &'a self,
        key: &'a str,
        max: u32,
    ) -> BoxFuture<'a, Option<ConcurrencyPermit>> {
        let permit = {
            let mut map = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            let n = map.entry(key.to_string()).or_insert(0);
            if *n >= max {
                None
            } else {
                *n += 1;
                Some(ConcurrencyPermit::new(MemoryRelease {
                    held: Arc::clone(&self.held),
                    key: key.to_string(),
                }))
            }
        };
        Box::pin(async move { permit })
    }

    fn in_flight(&self, key: &str) -> u32 {
        let map = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_counts_and_resets() {
        let l = MemoryRateLimiter::default();
        let w = Duration::from_mins(1);
        let t0 = 120_000; // start of a window
        assert_eq!(
            l.hit_at("a", 2, w, t0),
            RateDecision::Allowed { remaining: 1 }
        );
        assert_eq!(
            l.hit_at("a", 2, w, t0 + 1),
            RateDecision::Allowed { remaining: 0 }
        );
        assert_eq!(
            l.hit_at("a", 2, w, t0 + 10_000),
            RateDecision::Limited {
                retry_after: Duration::from_secs(50)
            }
        );
        // another bucket is independent
        assert!(matches!(
            l.hit_at("b", 2, w, t0 + 10_000),
            RateDecision::Allowed { .. }
        ));
        // next window
        assert_eq!(
            l.hit_at("a", 2, w, t0 + 60_000),
            RateDecision::Allowed { remaining: 1 }
        );
    }

    #[tokio::test]
    async fn permits_free_on_drop() {
        let c = MemoryConcurrencyLimiter::default();
        let p1 = c.try_acquire("k", 2).await.unwrap();
        let _p2 = c.try_acquire("k", 2).await.unwrap();
        assert!(c.try_acquire("k", 2).await.is_none());
        assert_eq!(c.in_flight("k"), 2);
        drop(p1);
        assert_eq!(c.in_flight("k"), 1);
        assert!(c.try_acquire("k", 2).await.is_some());
    }
}
