//! The small interfaces behind which the pool keeps the state a fleet must share (issue 8):
//!
//! - leases / per-account concurrency: [`crate::limits::ConcurrencyLimiter`] under the key
//!   `account:<id>` (the admin API reads `inflight` from the same limiter);
//! - [`RefreshLock`]: exactly one refresher per account at a time;
//! - [`StickyStore`]: sticky-session → account assignments;
//! - [`CooldownStore`]: throttle cooldowns, so every instance skips a throttled account.
//!
//! The in-memory implementations here serve one instance; Redis-backed ones (a lock with expiry
//! and fencing, hashes with TTLs) implement the same traits in fleet mode. Durable state (tokens,
//! `banned`/`needs_login`/`exhausted` statuses) already lives in the shared database; status
//! changes are announced through [`crate::change::ChangeNotifier`] so other instances reload them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::BoxFuture;

/// Held while refreshing one account; dropping it releases the lock.
pub struct RefreshGuard {
    _inner: Box<dyn Send + Sync>,
}

impl RefreshGuard {
    /// Wraps whatever releases the lock on drop.
    pub fn new(inner: impl Send + Sync + 'static) -> Self {
        Self {
            _inner: Box::new(inner),
        }
    }
}

/// Per-account mutual exclusion for token refresh (single-flight). Callers re-check the token
/// after acquiring: whoever waited behind a refresh finds the new token and does not refresh again.
pub trait RefreshLock: Send + Sync {
    /// Waits until this caller is the only refresher of `account`.
    fn lock<'a>(&'a self, account: &'a str) -> BoxFuture<'a, RefreshGuard>;
    /// True when other instances may refresh too, so the caller must re-read the token from the
    /// database after acquiring (fleet mode). The in-memory lock returns false.
    fn shared(&self) -> bool {
        false
    }
}

/// In-process refresh lock: one async mutex per account.
#[derive(Default)]
pub struct MemoryRefreshLock {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl RefreshLock for MemoryRefreshLock {
    fn lock<'a>(&'a self, account: &'a str) -> BoxFuture<'a, RefreshGuard> {
        let m = {
            let mut map = locked(&self.locks);
            Arc::clone(map.entry(account.to_owned()).or_default())
        };
        Box::pin(async move { RefreshGuard::new(m.lock_owned().await) })
    }
}

/// Sticky-session assignments: session key → account id.
pub trait StickyStore: Send + Sync {
    /// The account this session is on, if any.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>>;
    /// Puts the session on `account`.
    fn set<'a>(&'a self, key: &'a str, account: &'a str) -> BoxFuture<'a, ()>;
}

/// In-process sticky map, bounded: when full, it is cleared (sessions then re-stick on their next
/// request, which only costs one fresh pick each).
pub struct MemoryStickyStore {
    map: Mutex<HashMap<String, String>>,
    capacity: usize,
}

impl Default for MemoryStickyStore {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            capacity: 100_000,
        }
    }
}

impl StickyStore for MemoryStickyStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Option<String>> {
        let v = locked(&self.map).get(key).cloned();
        Box::pin(async move { v })
    }
    fn set<'a>(&'a self, key: &'a str, account: &'a str) -> BoxFuture<'a, ()> {
        {
            let mut map = locked(&self.map);
            if map.len() >= self.capacity && !map.contains_key(key) {
                map.clear();
            }
            map.insert(key.to_owned(), account.to_owned());
        }
        Box::pin(async {})
    }
}

/// Throttle cooldowns shared between instances: account id → cooling until (epoch ms).
pub trait CooldownStore: Send + Sync {
    /// Records that `account` cools down until `until_ms`.
    fn set<'a>(&'a self, account: &'a str, until_ms: i64) -> BoxFuture<'a, ()>;
    /// The cooldown end another instance (or this one) recorded, if any.
    fn get<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Option<i64>>;
}

/// In-process cooldown map.
#[derive(Default)]
pub struct MemoryCooldownStore {
    map: Mutex<HashMap<String, i64>>,
}

impl CooldownStore for MemoryCooldownStore {
    fn set<'a>(&'a self, account: &'a str, until_ms: i64) -> BoxFuture<'a, ()> {
        locked(&self.map).insert(account.to_owned(), until_ms);
        Box::pin(async {})
    }
    fn get<'a>(&'a self, account: &'a str) -> BoxFuture<'a, Option<i64>> {
        let v = locked(&self.map).get(account).copied();
        Box::pin(async move { v })
    }
}

/// The in-process maps' lock. A panic elsewhere while holding it leaves a valid map (each write
/// is one insert or clear), so a poisoned lock is used as is.
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
