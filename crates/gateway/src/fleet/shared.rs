//! Sticky-session assignments and throttle cooldowns shared by the fleet (issue 8 "cooldowns,
//! `exhausted`/`banned` states and sticky-session assignments are shared"). Both are plain keys
//! with a TTL: `<prefix>:sticky:<session>` → account (idle sessions expire after
//! [`STICKY_TTL`]) and `<prefix>:cool:<account>` → cooling-until ms (expiring when the cooldown
//! ends). `exhausted`/`banned`/`needs_login` are durable statuses in the shared database: the
//! instance that sets one announces an `accounts` change once it is stored, and every other
//! instance reloads and applies it at once (the periodic reload is only the safety net). A
//! `cooling_down` status is announced the same way; the reload reads its end from the cooldown
//! key, so every instance holds the account until the same moment.
//!
//! Redis down: both fall back to the in-memory stores of this instance.

use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::AsyncCommands as _;

use super::Redis;
use crate::pool::{CooldownStore, MemoryCooldownStore, MemoryStickyStore, StickyStore};

/// Lifetime of an idle sticky assignment (renewed on every assignment).
pub const STICKY_TTL: Duration = Duration::from_hours(6);

/// Fleet-wide sticky sessions.
pub struct RedisStickyStore {
    redis: Redis,
    fallback: MemoryStickyStore,
}

impl RedisStickyStore {
    /// Keys under `<prefix>:sticky:`.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            fallback: MemoryStickyStore::default(),
        }
    }
}

impl StickyStore for RedisStickyStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let k = self.redis.key(&format!("sticky:{key}"));
            let mut conn = self.redis.conn();
            match self
                .redis
                .call::<Option<String>, _>("sticky", conn.get(&k))
                .await
            {
                Some(v) => v,
                None => self.fallback.get(key).await,
            }
        })
    }

    fn set<'a>(&'a self, key: &'a str, account: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let k = self.redis.key(&format!("sticky:{key}"));
            let mut conn = self.redis.conn();
            let done = self
                .redis
                .call::<(), _>("sticky", conn.set_ex(&k, account, STICKY_TTL.as_secs()))
                .await;
            if done.is_none() {
                self.fallback.set(key, account).await;
            }
        })
    }
}

/// Fleet-wide cooldowns.
pub struct RedisCooldownStore {
    redis: Redis,
    fallback: MemoryCooldownStore,
}

impl RedisCooldownStore {
    /// Keys under `<prefix>:cool:`.
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            fallback: MemoryCooldownStore::default(),
        }
    }
}

impl CooldownStore for RedisCooldownStore {
    fn set<'a>(&'a self, account: &'a str, until_ms: i64) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Always remember locally too: this instance keeps honouring it if Redis goes away.
            self.fallback.set(account, until_ms).await;
            let left = until_ms - chrono::Utc::now().timestamp_millis();
            if left <= 0 {
                return;
            }
            let k = self.redis.key(&format!("cool:{account}"));
            let mut conn = self.redis.conn();
            let _: Option<()> = self
                .redis
                .call("cooldown", conn.pset_ex(&k, until_ms, left as u64))
                .await;
        })
    }

    fn get<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Option<i64>> {
        Box::pin(async move {
            let k = self.redis.key(&format!("cool:{account}"));
            let mut conn = self.redis.conn();
            let local = self.fallback.get(account).await;
            match self
                .redis
                .call::<Option<i64>, _>("cooldown", conn.get(&k))
                .await
            {
                Some(shared) => shared.max(local),
                None => local,
            }
        })
    }
}
