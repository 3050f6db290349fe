//! The fleet-wide refresh lock (issue 8 "exactly one instance refreshes a given account at a
//! time"). `<prefix>:refresh:<account>` holds a fencing number taken from the ever-increasing
//! counter `<prefix>:fence:<account>`; it expires after the lease lifetime unless the holder renews
//! it (every third of the lifetime, only while the value is still its own number), and release
//! deletes it only if it still holds that number — so a holder that stalled past expiry can never
//! free or extend a lock that a newer holder owns. Waiters poll; after acquiring, the pool re-reads
//! the token from the database ([`RefreshLock::shared`] is true), finds the fresh token the first
//! holder stored and does not refresh again (a second refresh would invalidate a rotated token).
//!
//! Redis down: the lock falls back to the in-process lock (single-flight per instance).

use std::sync::LazyLock;
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::Script;
use tokio_util::sync::CancellationToken;

use super::Redis;
use crate::pool::{MemoryRefreshLock, RefreshGuard, RefreshLock};

/// KEYS = lock, fence counter. ARGV[1] = ttl ms. Returns the fencing number, or 0 when held.
static ACQUIRE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local f = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], f, 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[2], 86400000)
return f
",
    )
});

/// KEYS[1] = lock. ARGV = fence, ttl ms. 1 when still ours (and extended).
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// KEYS[1] = lock. ARGV[1] = fence. Deletes only our own lock.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// Poll interval of a waiter.
const POLL: Duration = Duration::from_millis(40);

/// Fleet-wide single-flight refresh.
pub struct RedisRefreshLock {
    redis: Redis,
    ttl: Duration,
    fallback: MemoryRefreshLock,
}

impl RedisRefreshLock {
    /// Locks expire after `ttl` unless renewed.
    pub fn new(redis: Redis, ttl: Duration) -> Self {
        Self {
            redis,
            ttl,
            fallback: MemoryRefreshLock::default(),
        }
    }

    /// Tries once: `Some(Some(fence))` acquired, `Some(None)` held elsewhere, `None` Redis down.
    async fn try_once(&self, lock: &str, fence: &str) -> Option<Option<i64>> {
        let mut conn = self.redis.conn();
        let mut inv = ACQUIRE.prepare_invoke();
        inv.key(lock).key(fence).arg(self.ttl.as_millis() as u64);
        let f: i64 = self
            .redis
            .call("refresh_lock", inv.invoke_async(&mut conn))
            .await?;
        Some((f > 0).then_some(f))
    }
}

struct Held {
    redis: Redis,
    lock: String,
    fence: i64,
    stop: CancellationToken,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.stop.cancel();
        // Without a runtime (process ending) the lock expires by itself.
        let redis = self.redis.clone();
        let lock = std::mem::take(&mut self.lock);
        let fence = self.fence;
        self.redis
            .spawn_tracked("fleet-refresh-lock-release", async move {
                let mut conn = redis.conn();
                let mut inv = RELEASE.prepare_invoke();
                inv.key(&lock).arg(fence);
                let _: Option<i64> = redis
                    .call("refresh_lock", inv.invoke_async(&mut conn))
                    .await;
            });
    }
}

fn spawn_renewal(redis: Redis, lock: String, fence: i64, ttl: Duration) -> CancellationToken {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let tasks = redis.clone();
    tasks.spawn_detached("fleet-refresh-lock-renewal", async move {
        loop {
            tokio::select! {
                () = token.cancelled() => return,
                () = tokio::time::sleep((ttl / 3).max(Duration::from_millis(50))) => {}
            }
            let mut conn = redis.conn();
            let mut inv = RENEW.prepare_invoke();
            inv.key(&lock).arg(fence).arg(ttl.as_millis() as u64);
            if redis
                .call::<i64, _>("refresh_lock", inv.invoke_async(&mut conn))
                .await
                == Some(0)
            {
                tracing::warn!(lock = %lock, fence, "refresh lock lost before the refresh ended");
                return;
            }
        }
    });
    stop
}

impl RefreshLock for RedisRefreshLock {
    fn lock<'a>(&'a self, account: &'a str) -> BoxFuture<'a, RefreshGuard> {
        Box::pin(async move {
            let lock = self.redis.key(&format!("refresh:{account}"));
            let fence = self.redis.key(&format!("fence:{account}"));
            loop {
                match self.try_once(&lock, &fence).await {
                    Some(Some(f)) => {
                        let stop = spawn_renewal(self.redis.clone(), lock.clone(), f, self.ttl);
                        return RefreshGuard::new(Held {
                            redis: self.redis.clone(),
                            lock,
                            fence: f,
                            stop,
                        });
                    }
                    Some(None) => tokio::time::sleep(POLL).await,
                    // Redis down: single-flight within this instance only.
                    None => return self.fallback.lock(account).await,
                }
            }
        })
    }

    fn shared(&self) -> bool {
        true
    }
}
