//! Fleet mode (issue 8; ARCHITECTURE.md "Scaling out"): the Redis-backed implementations of the
//! seams that several `claude-server` instances must share. Chosen at start-up when `redis.url`
//! is set; absent, the in-memory implementations serve a single node.
//!
//! - `rate`: [`RedisRateLimiter`] — global fixed-window IP/key limits (one atomic script);
//! - `lease`: [`RedisConcurrencyLimiter`] — per-account leases with expiry, renewed while held,
//!   and the per-account minimum interval;
//! - `refresh`: [`RedisRefreshLock`] — one refresher per account fleet-wide (expiry + fencing);
//! - `shared`: [`RedisStickyStore`], [`RedisCooldownStore`] — sticky sessions and cooldowns;
//! - `notify`: [`RedisNotifier`] — change fan-out over pub/sub.
//!
//! # Redis unavailable
//! Every Redis call is bounded (connect and response timeouts of [`CALL_TIMEOUT`]). A failed call
//! marks Redis *down*: one loud `error!` log line, `gateway_fleet_redis_up 0` and a count in
//! `gateway_fleet_fallback_total{what}`. While down each seam falls back to its in-memory twin, so
//! limits hold *per instance* (never an open door: a limit is never skipped) and the process keeps
//! serving. While down, one call per [`PROBE_EVERY`] probes Redis and the rest skip it (no request
//! waits for a timeout); the first successful probe marks Redis *up* again (`warn!` "recovered") and the shared
//! state takes over; leases and locks taken in the meantime were local and simply end.

mod lease;
mod notify;
mod rate;
mod refresh;
mod shared;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::change::{ChangeNotifier, MemoryNotifier};
use crate::config::Config;
use crate::limits::{ConcurrencyLimiter, MemoryConcurrencyLimiter, MemoryRateLimiter, RateLimiter};
use crate::pool::PoolDeps;
use crate::tasks::Supervisor;

pub use lease::RedisConcurrencyLimiter;
pub use notify::RedisNotifier;
pub use rate::RedisRateLimiter;
pub use refresh::RedisRefreshLock;
pub use shared::{RedisCooldownStore, RedisStickyStore};

/// Default bound of one Redis call (connect or response; `redis.call_timeout_ms`): past it, the
/// call counts as "Redis down".
pub const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// While Redis is down, at most one call per this period tries it (the probe); the others go
/// straight to the fallback instead of each waiting for a timeout.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Default lease lifetime (`redis.lease_ttl_ms`).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(30);
/// Default key prefix (`redis.key_prefix`).
pub const DEFAULT_PREFIX: &str = "claude-api";

/// Fleet-mode set-up errors (a bad URL; Redis being down is not an error).
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// `redis.url` does not parse.
    #[error("redis.url: {0}")]
    Url(#[from] redis::RedisError),
}

/// One connection to Redis shared by every seam, plus the up/down state.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    client: redis::Client,
    prefix: Arc<str>,
    up: Arc<AtomicBool>,
    /// When the last call while down was let through (ms since the epoch).
    probe_at: Arc<AtomicI64>,
    /// Random per process: tells our own pub/sub messages from other instances'.
    instance: Arc<str>,
    /// Bound of one call ([`CALL_TIMEOUT`] unless configured).
    call_timeout: Duration,
    /// Where the seams' short background work runs (publishes, lock and lease renewals): the
    /// server's supervisor, so shutdown waits for it.
    tasks: Supervisor,
}

impl Redis {
    /// A lazily connecting handle (start-up never waits for, nor fails on, an absent Redis).
    pub fn new(url: &str, prefix: Option<&str>) -> Result<Self, FleetError> {
        Self::with_call_timeout(url, prefix, CALL_TIMEOUT)
    }

    /// [`Redis::new`] with another bound per call (`redis.call_timeout_ms`).
    pub fn with_call_timeout(
        url: &str,
        prefix: Option<&str>,
        call_timeout: Duration,
    ) -> Result<Self, FleetError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(call_timeout))
            .set_response_timeout(Some(call_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        metrics::gauge!("gateway_fleet_redis_up").set(1.0);
        Ok(Self {
            conn,
            client,
            prefix: Arc::from(prefix.filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PREFIX)),
            up: Arc::new(AtomicBool::new(true)),
            probe_at: Arc::new(AtomicI64::new(0)),
            instance: Arc::from(uuid::Uuid::new_v4().simple().to_string()),
            call_timeout,
            tasks: Supervisor::new(),
        })
    }

    /// Runs the seams' background work under `supervisor` (the server's) instead of a private one.
    #[must_use]
    pub fn with_supervisor(mut self, supervisor: &Supervisor) -> Self {
        self.tasks = supervisor.clone();
        self
    }

    /// Starts short background work of a seam under the supervisor ([`Supervisor::spawn_detached`]).
    pub(crate) fn spawn_detached<Fut>(&self, name: &'static str, fut: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn_detached(name, fut);
    }

    /// Runs a seam's release from a `Drop` to its end under the supervisor
    /// ([`Supervisor::spawn_tracked`]): shutdown waits for it instead of cutting it off.
    pub(crate) fn spawn_tracked<Fut>(&self, name: &'static str, fut: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn_tracked(name, fut);
    }

    /// `<prefix>:<rest>`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    /// A connection handle (cheap clone; reconnects by itself).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// True unless the last call failed.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Records a successful call (logs the recovery once).
    pub fn mark_ok(&self) {
        if !self.up.swap(true, Ordering::Relaxed) {
            tracing::warn!("redis is reachable again: fleet-wide limits, leases and locks resumed");
            metrics::gauge!("gateway_fleet_redis_up").set(1.0);
        }
    }

    /// Records a failed call by seam `what`: falls back to per-instance state, loudly.
    pub fn mark_down(&self, what: &'static str, err: &dyn std::fmt::Display) {
        metrics::counter!("gateway_fleet_fallback_total", "what" => what).increment(1);
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::error!(
                error = %err,
                seam = what,
                "REDIS UNAVAILABLE: falling back to per-instance rate limits, leases, cooldowns \
                 and refresh locks until it returns (limits now hold per instance, not fleet-wide)"
            );
            metrics::gauge!("gateway_fleet_redis_up").set(0.0);
        }
    }

    /// While down: true for one caller per [`PROBE_EVERY`] (it tries Redis), false for the rest.
    fn may_probe(&self) -> bool {
        let now = chrono::Utc::now().timestamp_millis();
        let last = self.probe_at.load(Ordering::Relaxed);
        now - last >= PROBE_EVERY.as_millis() as i64
            && self
                .probe_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Runs `f` against Redis, bounded by the call timeout, recording up/down. While Redis is
    /// down only the periodic probe really calls it; every other call returns `None` at once.
    pub(crate) async fn call<T, F>(&self, what: &'static str, f: F) -> Option<T>
    where
        F: Future<Output = redis::RedisResult<T>>,
    {
        if !self.is_up() && !self.may_probe() {
            metrics::counter!("gateway_fleet_fallback_total", "what" => what).increment(1);
            return None;
        }
        match tokio::time::timeout(self.call_timeout * 2, f).await {
            Ok(Ok(v)) => {
                self.mark_ok();
                Some(v)
            }
            Ok(Err(e)) => {
                self.mark_down(what, &e);
                None
            }
            Err(_) => {
                self.mark_down(what, &"timed out");
                None
            }
        }
    }
}

/// The seams `serve` wires in: Redis-backed when `redis.url` is set, in-memory otherwise.
pub struct Seams {
    /// `/v1` IP and key limits.
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Per-account leases (shared by the pool and the admin API's `inflight`).
    pub concurrency: Arc<dyn ConcurrencyLimiter>,
    /// Change fan-out.
    pub notifier: Arc<dyn ChangeNotifier>,
    /// What the pool is built on (leases and notifier included).
    pub pool: PoolDeps,
    /// The Redis handle in fleet mode.
    pub redis: Option<Redis>,
}

impl Seams {
    /// Chooses by `redis.url`: absent → single node (in-memory), present → fleet mode.
    pub fn from_config(
        config: &Config,
        store: store::Store,
        supervisor: &Supervisor,
    ) -> Result<Self, FleetError> {
        let memory = PoolDeps::memory(store, supervisor.clone());
        let Some(url) = &config.redis.url else {
            let concurrency: Arc<dyn ConcurrencyLimiter> =
                Arc::new(MemoryConcurrencyLimiter::default());
            let notifier: Arc<dyn ChangeNotifier> = Arc::new(MemoryNotifier::default());
            return Ok(Self {
                rate_limiter: Arc::new(MemoryRateLimiter::default()),
                pool: PoolDeps {
                    leases: Arc::clone(&concurrency),
                    notifier: Some(Arc::clone(&notifier)),
                    ..memory
                },
                concurrency,
                notifier,
                redis: None,
            });
        };
        let call_timeout = config
            .redis
            .call_timeout_ms
            .map_or(CALL_TIMEOUT, Duration::from_millis);
        let redis = Redis::with_call_timeout(
            url.expose(),
            config.redis.key_prefix.as_deref(),
            call_timeout,
        )?
        .with_supervisor(supervisor);
        let ttl = config
            .redis
            .lease_ttl_ms
            .filter(|ms| *ms > 0)
            .map_or(DEFAULT_LEASE_TTL, Duration::from_millis);
        let concurrency: Arc<dyn ConcurrencyLimiter> = Arc::new(
            RedisConcurrencyLimiter::new(redis.clone(), ttl).with_min_interval(
                Duration::from_millis(config.pool.min_interval_ms),
                Duration::from_millis(config.pool.min_interval_jitter_ms),
            ),
        );
        let notifier: Arc<dyn ChangeNotifier> =
            Arc::new(RedisNotifier::start(redis.clone(), supervisor));
        tracing::info!(
            prefix = %redis.prefix,
            lease_ttl_ms = ttl.as_millis() as u64,
            "fleet mode: rate limits, leases, cooldowns, sticky sessions and refresh locks are \
             shared through Redis"
        );
        Ok(Self {
            rate_limiter: Arc::new(RedisRateLimiter::new(redis.clone())),
            pool: PoolDeps {
                leases: Arc::clone(&concurrency),
                refresh_lock: Arc::new(RedisRefreshLock::new(redis.clone(), ttl)),
                sticky: Arc::new(RedisStickyStore::new(redis.clone())),
                cooldowns: Arc::new(RedisCooldownStore::new(redis.clone())),
                notifier: Some(Arc::clone(&notifier)),
                ..memory
            },
            concurrency,
            notifier,
            redis: Some(redis),
        })
    }
}
