//! Per-account concurrency leases shared by the fleet (issue 8 "per-account concurrency caps …
//! hold across instances"). A key's leases are a sorted set `<prefix>:lease:<key>` of
//! `lease id → expiry (ms, Redis clock)`. Acquire = drop expired members, then add one if fewer
//! than `max` remain — one atomic script. A held lease is renewed every third of its lifetime by
//! a task that stops when the permit drops (which removes the member), so a crashed instance's
//! leases vanish at most one lifetime after its last renewal.
//!
//! Minimum interval (issue 8 "… and minimum intervals hold across instances"): for `account:`
//! keys the same script also refuses a lease while `<prefix>:gap:<key>` exists and sets it, with
//! the pool's `min_interval_ms` (+ jitter) as its lifetime, on every grant — so two instances
//! never start requests on one account closer together than the gap. A refusal looks like "busy"
//! to the pool, which looks again shortly.
//!
//! While Redis is down, acquisition falls back to an in-memory limiter: the cap then holds per
//! instance (see `fleet` module docs). Every Redis lease also holds a slot in that limiter, so at
//! the moment of failover it already counts this instance's running requests.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::Script;
use tokio_util::sync::CancellationToken;

use super::Redis;
use crate::limits::{ConcurrencyLimiter, ConcurrencyPermit, MemoryConcurrencyLimiter};

/// KEYS = set, gap key. ARGV = max, ttl ms, member, gap ms (0 = none).
/// Returns {acquired 0/1, live count}.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then
  return {0, n}
end
local gap = tonumber(ARGV[4])
if gap > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  return {0, n}
end
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
if gap > 0 then
  redis.call('SET', KEYS[2], '1', 'PX', gap)
end
return {1, n + 1}
",
    )
});

/// KEYS[1] = set. ARGV = ttl ms, member. Extends the member's expiry; returns the live count.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return redis.call('ZCARD', KEYS[1])
",
    )
});

/// KEYS[1] = set. ARGV[1] = member. Returns the live count after removal.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('ZCARD', KEYS[1])
",
    )
});

struct Shared {
    redis: Redis,
    ttl: Duration,
    /// Fleet-wide counts as last seen by a script (for the synchronous `in_flight`).
    seen: Mutex<HashMap<String, u32>>,
}

impl Shared {
    fn note(&self, key: &str, n: i64) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if n <= 0 {
            seen.remove(key);
        } else {
            seen.insert(key.to_owned(), u32::try_from(n).unwrap_or(u32::MAX));
        }
    }
}

/// Fleet-wide counting semaphores with expiring, renewed leases.
pub struct RedisConcurrencyLimiter {
    shared: Arc<Shared>,
    fallback: MemoryConcurrencyLimiter,
    /// Minimum gap between two grants on one `account:` key, and its random extra.
    gap: (Duration, Duration),
}

impl RedisConcurrencyLimiter {
    /// Leases live `ttl` unless renewed.
    pub fn new(redis: Redis, ttl: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                redis,
                ttl,
                seen: Mutex::new(HashMap::new()),
            }),
            fallback: MemoryConcurrencyLimiter::default(),
            gap: (Duration::ZERO, Duration::ZERO),
        }
    }

    /// Also keeps `min` (+ up to `jitter`) between two grants on one `account:` key, fleet-wide.
    #[must_use]
    pub fn with_min_interval(mut self, min: Duration, jitter: Duration) -> Self {
        self.gap = (min, jitter);
        self
    }

    fn gap_ms(&self, key: &str) -> u64 {
        let (min, jitter) = self.gap;
        if min.is_zero() || !key.starts_with("account:") {
            return 0;
        }
        let extra = if jitter.is_zero() {
            0
        } else {
            rand::Rng::random_range(&mut rand::rng(), 0..=jitter.as_millis() as u64)
        };
        min.as_millis() as u64 + extra
    }

    /// The lease lifetime.
    pub fn ttl(&self) -> Duration {
        self.shared.ttl
    }
}

/// A held Redis lease: renews until dropped, then removes itself.
struct RedisLease {
    shared: Arc<Shared>,
    key: String,
    set: String,
    member: String,
    stop: CancellationToken,
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        self.stop.cancel();
        // Without a runtime (process ending) the lease expires by itself.
        let shared = Arc::clone(&self.shared);
        let (key, set, member) = (
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.set),
            std::mem::take(&mut self.member),
        );
        let tasks = shared.redis.clone();
        tasks.spawn_tracked("fleet-lease-release", async move {
            let mut conn = shared.redis.conn();
            let mut inv = RELEASE.prepare_invoke();
            inv.key(&set).arg(&member);
            if let Some(n) = shared
                .redis
                .call::<i64, _>("lease", inv.invoke_async(&mut conn))
                .await
            {
                shared.note(&key, n);
            }
        });
    }
}

fn spawn_renewal(
    shared: Arc<Shared>,
    key: String,
    set: String,
    member: String,
) -> CancellationToken {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let tasks = shared.redis.clone();
    tasks.spawn_detached("fleet-lease-renewal", async move {
        let every = (shared.ttl / 3).max(Duration::from_millis(50));
        let ttl_ms = shared.ttl.as_millis() as u64;
        loop {
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            let mut conn = shared.redis.conn();
            let mut inv = RENEW.prepare_invoke();
            inv.key(&set).arg(ttl_ms).arg(&member);
            if let Some(n) = shared
                .redis
                .call::<i64, _>("lease", inv.invoke_async(&mut conn))
                .await
            {
                shared.note(&key, n);
            }
        }
    });
    stop
}

impl ConcurrencyLimiter for RedisConcurrencyLimiter {
    fn try_acquire<'a>(
        &'a self,
        key: &'a str,
        max: u32,
    ) -> BoxFuture<'a, Option<ConcurrencyPermit>> {
        Box::pin(async move {
            let redis = &self.shared.redis;
            let set = redis.key(&format!("lease:{key}"));
            let member = uuid::Uuid::new_v4().simple().to_string();
            let mut conn = redis.conn();
            let mut inv = ACQUIRE.prepare_invoke();
            inv.key(&set)
                .key(redis.key(&format!("gap:{key}")))
                .arg(max)
                .arg(self.shared.ttl.as_millis() as u64)
                .arg(&member)
                .arg(self.gap_ms(key));
            match redis
                .call::<(i64, i64), _>("lease", inv.invoke_async(&mut conn))
                .await
            {
                Some((1, n)) => {
                    self.shared.note(key, n);
                    // Also hold a local slot: should Redis go away now, this instance's fallback
                    // already counts the requests it has running.
                    let local = self.fallback.try_acquire(key, u32::MAX).await;
                    let stop = spawn_renewal(
                        Arc::clone(&self.shared),
                        key.to_owned(),
                        set.clone(),
                        member.clone(),
                    );
                    let lease = RedisLease {
                        shared: Arc::clone(&self.shared),
                        key: key.to_owned(),
                        set,
                        member,
                        stop,
                    };
                    Some(ConcurrencyPermit::new((lease, local)))
                }
                Some((_, n)) => {
                    self.shared.note(key, n);
                    None
                }
                // Redis down: the cap holds per instance.
                None => self.fallback.try_acquire(key, max).await,
            }
        })
    }

    fn in_flight(&self, key: &str) -> u32 {
        if !self.shared.redis.is_up() {
            return self.fallback.in_flight(key);
        }
        let seen = self
            .shared
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        seen.get(key).copied().unwrap_or(0)
    }
}
