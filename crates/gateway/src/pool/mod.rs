//! The upstream account pool (issue 4; protocol spec §2.7/§2.8 refresh and device login, §3 Kiro
//! refresh, §5.1/§7 error classes, §6.3/§6.4 models and quota; peer-features §2 items 7–11).
//!
//! # API used by the `/v1` handlers
//! [`Pool::send`] takes a [`PoolRequest`] (the translated upstream body, the upstream model id, an
//! optional sticky key and cancellation token), picks an account, takes a lease (per-account
//! concurrency cap), makes sure its token is fresh (single-flight refresh), calls the upstream and
//! — *before the first event reaches the caller* — retries on another account after throttling,
//! transient errors, first-byte timeouts and account problems; on the same account it first tries
//! the recovery steps of `recover` (a refresh after 403 "bearer token invalid", the legacy-host
//! fallback, a profile re-resolution). Attempts are bounded by `max_attempts`. The result is a
//! [`PoolStream`] of typed events or a [`PoolError`] for the handler to map to its dialect.
//! Dropping the stream releases the lease and closes the upstream request;
//! [`PoolStream::finish`] also reports how the turn ended.
//!
//! # Layout
//! - `account_ops`: [`AccountOps`], the interface the admin API calls the pool through, and its
//!   request/answer types;
//! - `config`: [`PoolConfig`], [`Strategy`] and [`UpstreamConfig`] (defined in `crate::config`,
//!   re-exported);
//! - `sched`: the pure selection core (ready set, caps, holds, strategies);
//! - `slot`: one account in memory (settings, tokens, health, pending counters);
//! - `load`: loading accounts from the store without losing runtime state; batched counters;
//! - `lease`: waiting for and holding an account;
//! - `send`: the request path and [`PoolStream`];
//! - `search`: web searches and follow-up calls on the account a stream holds (issue 18);
//! - `health`: what an upstream failure does to the account (cooldown, exhausted, banned…);
//! - `refresh`: single-flight token refresh, persisted before use (compare-and-set), and the
//!   background refresher; `need`: what a caller needs from a token and why it is refreshed;
//! - `quota`: GetUsageLimits / ListAvailableModels (per-account catalogs and their union,
//!   [`Pool::catalog`]) and the periodic quota refresh;
//! - `doctor`: the step-by-step diagnosis of one account ([`Pool::diagnose`], issue 22);
//! - `device`: OIDC device login started from the admin API;
//! - `social`: Kiro GitHub / Google sign-in started from the admin API (PKCE state per login);
//! - `profile`: IAM Identity Center profile discovery, re-resolution and the operator's pick;
//! - `drift`: counting what the upstream sent that this build does not know (issue 22);
//! - `refusals`: upstream ids recently refused as invalid models (same-family fallback);
//! - `recover`: what one account tries after a failed call (refresh, legacy fallback, profile);
//! - `jobs`: the supervised runner of one-shot background jobs (validation, device polling);
//! - `ops`: the pool's [`AccountOps`] implementation;
//! - `seams`: the interfaces fleet mode (issue 8) re-implements over Redis;
//! - `upstream`: per-region clients and per-account credentials.
//!
//! # Contract for callers
//! - Call [`PoolStream::finish`] when the turn ends (success, client abort, stream failure, or an
//!   in-band exception's class); dropping the stream without it only releases the account.
//! - Map [`PoolError`]: `AllBusy` → 429 (OpenAI) / 529 (Anthropic) with `retry-after`;
//!   `NotConfigured` / `NoAccounts` → 503 saying what to do; `QuotaExhausted` → 429 with the reset
//!   time (answered at once, as is a request no account frees up for within the queue timeout);
//!   `Upstream` by class (throttled/quota → 429, context/model/bad request →
//!   400, others → 502/503); `Cancelled` → nothing to send.
//! - Selection never waits on I/O under a lock; the only lock is a short `std::sync::Mutex` over
//!   the account table and the scheduler.

mod account_ops;
mod config;
mod device;
mod doctor;
mod drift;
mod error;
mod health;
mod jobs;
mod lease;
mod load;
mod need;
mod ops;
mod profile;
mod quota;
mod recover;
mod refresh;
mod refusals;
mod sched;
mod seams;
mod search;
mod send;
mod slot;
mod social;
mod upstream;

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use store::{AccountStatus, Store};
use tokio::sync::Notify;

pub use account_ops::{
    AccountOps, AccountProfile, DeviceLoginRequest, DeviceLoginStart, DeviceLoginStatus,
    SocialLoginFinish, SocialLoginRequest, SocialLoginStart,
};
pub use config::{PoolConfig, Strategy, UpstreamConfig};
pub use doctor::{AccountSummary, DiagnoseOptions, Report, Step, UpstreamAnswer, Verdict};
pub use error::{Outcome, PoolError, PoolStreamError, class_name};
pub use lease::AccountLease;
pub use refusals::{ModelRefusals, REFUSAL_TTL, model_refused};
pub use seams::{
    CooldownStore, MemoryCooldownStore, MemoryRefreshLock, MemoryStickyStore, RefreshGuard,
    RefreshLock, StickyStore,
};
pub use search::SearchFailed;
pub use send::{PoolRequest, PoolStream};

use crate::change::{Change, ChangeNotifier};
use crate::limits::{ConcurrencyLimiter, MemoryConcurrencyLimiter};
use crate::tasks::Supervisor;
use device::Devices;
use sched::Sched;
use slot::Slot;

/// How long the change listener gathers account changes before one reload (bounds reloads to
/// a few per second under a burst while keeping "applied within 1 s").
const CHANGE_COALESCE: std::time::Duration = std::time::Duration::from_millis(50);

/// What the pool is built on. [`PoolDeps::memory`] gives the single-instance set.
#[derive(Clone)]
pub struct PoolDeps {
    /// Accounts and their tokens.
    pub store: Store,
    /// Owner of the pool's background tasks.
    pub supervisor: Supervisor,
    /// Per-account leases (key `account:<id>`).
    pub leases: Arc<dyn ConcurrencyLimiter>,
    /// Single-flight refresh.
    pub refresh_lock: Arc<dyn RefreshLock>,
    /// Sticky sessions.
    pub sticky: Arc<dyn StickyStore>,
    /// Shared cooldowns.
    pub cooldowns: Arc<dyn CooldownStore>,
    /// Account-change events (admin edits) that make the pool reload.
    pub notifier: Option<Arc<dyn ChangeNotifier>>,
}

impl PoolDeps {
    /// In-memory seams over `store`.
    pub fn memory(store: Store, supervisor: Supervisor) -> Self {
        Self {
            store,
            supervisor,
            leases: Arc::new(MemoryConcurrencyLimiter::default()),
            refresh_lock: Arc::new(MemoryRefreshLock::default()),
            sticky: Arc::new(MemoryStickyStore::default()),
            cooldowns: Arc::new(MemoryCooldownStore::default()),
            notifier: None,
        }
    }
}

/// The account pool. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

/// Accounts by id plus the selection state, under one short-held lock.
pub(crate) struct Table {
    pub by_id: HashMap<String, (Arc<Slot>, usize)>,
    pub sched: Sched,
}

impl Table {
    /// Every account's slot (shared handles: the caller works on them after the lock is gone).
    pub fn slots(&self) -> impl Iterator<Item = Arc<Slot>> + '_ {
        self.by_id.values().map(|(s, _)| Arc::clone(s))
    }
}

pub(crate) struct Inner {
    pub cfg: PoolConfig,
    pub store: Store,
    pub upstream: upstream::Upstream,
    pub leases: Arc<dyn ConcurrencyLimiter>,
    pub refresh_lock: Arc<dyn RefreshLock>,
    pub sticky: Arc<dyn StickyStore>,
    pub cooldowns: Arc<dyn CooldownStore>,
    /// Where status changes other instances must apply at once are announced (fleet mode:
    /// Redis pub/sub); `None` when nothing else listens.
    pub notifier: Option<Arc<dyn ChangeNotifier>>,
    table: Mutex<Table>,
    /// Signalled whenever an account may have become ready.
    pub wake: Notify,
    pub waiters: AtomicUsize,
    pub devices: Devices,
    pub socials: social::SocialLogins,
    pub jobs: jobs::Jobs,
    /// What the usable accounts' catalogs offer together (`quota::rebuild_catalog`).
    pub catalog: arc_swap::ArcSwap<translate::models::Catalog>,
    /// What the upstream sent that this build does not know (`drift`).
    pub drift: amazonq::drift::Drift,
    /// The server's supervisor: a turn's outcome is reported on one of its tracked tasks.
    pub tasks: Supervisor,
    /// Self-reference for jobs submitted from `&self` methods.
    me: std::sync::Weak<Inner>,
}

/// The lease key of an account in the [`ConcurrencyLimiter`] (the admin API reads `inflight` here).
/// The pool owns it: the admin API imports it, never the other way round.
pub fn lease_key(account_id: &str) -> String {
    format!("account:{account_id}")
}

impl Pool {
    /// Builds the pool, loads the accounts and starts its supervised background tasks
    /// (refresher, quota refresh, reload on account changes, counter flush, job runner).
    pub async fn start(
        deps: PoolDeps,
        cfg: PoolConfig,
        upstream: UpstreamConfig,
    ) -> Result<Self, PoolError> {
        let (pool, job_rx) = Self::build(&deps, cfg, upstream).await?;
        pool.spawn_tasks(&deps.supervisor, job_rx, deps.notifier);
        Ok(pool)
    }

    /// Builds the pool and loads the accounts *without* background tasks: for one-shot commands
    /// (`claude-server doctor`) that must not refresh or re-check accounts on their own while a
    /// server may be running on the same database.
    pub async fn open(
        deps: PoolDeps,
        cfg: PoolConfig,
        upstream: UpstreamConfig,
    ) -> Result<Self, PoolError> {
        Ok(Self::build(&deps, cfg, upstream).await?.0)
    }

    async fn build(
        deps: &PoolDeps,
        cfg: PoolConfig,
        upstream: UpstreamConfig,
    ) -> Result<(Self, jobs::JobReceiver), PoolError> {
        let time_unit = config::ms(cfg.device_time_unit_ms.max(1));
        let upstream = upstream::Upstream::new(upstream, time_unit)
            .map_err(|e| PoolError::Internal(format!("building the upstream client: {e}")))?;
        let (jobs, job_rx) = jobs::Jobs::new();
        let inner = Arc::new_cyclic(|me| Inner {
            me: me.clone(),
            table: Mutex::new(Table {
                by_id: HashMap::new(),
                sched: Sched::new(cfg.strategy),
            }),
            cfg,
            store: deps.store.clone(),
            upstream,
            leases: Arc::clone(&deps.leases),
            refresh_lock: Arc::clone(&deps.refresh_lock),
            sticky: Arc::clone(&deps.sticky),
            cooldowns: Arc::clone(&deps.cooldowns),
            notifier: deps.notifier.clone(),
            wake: Notify::new(),
            waiters: AtomicUsize::new(0),
            devices: Devices::default(),
            socials: social::SocialLogins::default(),
            jobs,
            catalog: arc_swap::ArcSwap::from_pointee(translate::models::Catalog::default()),
            drift: amazonq::drift::Drift::new(),
            tasks: deps.supervisor.clone(),
        });
        inner
            .reload()
            .await
            .map_err(|e| PoolError::Internal(format!("loading accounts: {e}")))?;
        Ok((Self { inner }, job_rx))
    }

    fn spawn_tasks(
        &self,
        sup: &Supervisor,
        job_rx: jobs::JobReceiver,
        notifier: Option<Arc<dyn ChangeNotifier>>,
    ) {
        let cfg = &self.inner.cfg;
        jobs::spawn_runner(sup, job_rx, cfg.job_concurrency.max(1));
        let inner = Arc::clone(&self.inner);
        sup.spawn_interval(
            "pool-refresher",
            config::ms(cfg.refresh_check_ms.max(10)),
            move || {
                let inner = Arc::clone(&inner);
                async move {
                    inner.refresh_due().await;
                    Ok(())
                }
            },
        );
        if cfg.quota_refresh_ms > 0 {
            let inner = Arc::clone(&self.inner);
            sup.spawn_interval("pool-quota", config::ms(cfg.quota_refresh_ms), move || {
                let inner = Arc::clone(&inner);
                async move {
                    inner.refresh_all_quotas().await;
                    Ok(())
                }
            });
        }
        let inner = Arc::clone(&self.inner);
        // Counters are batched in memory: flush them with every reload and once more on shutdown.
        let period = config::ms(cfg.reload_ms.max(100));
        sup.spawn("pool-reload", period, move |cancel| {
            let inner = Arc::clone(&inner);
            async move {
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tokio::select! {
                        () = cancel.cancelled() => {
                            inner.flush_counters().await;
                            return Ok(());
                        }
                        _ = tick.tick() => {
                            inner.flush_counters().await;
                            if let Err(e) = inner.reload().await {
                                tracing::warn!(error = %e, "pool reload failed");
                            }
                        }
                    }
                }
            }
        });
        if let Some(notifier) = notifier {
            let inner = Arc::clone(&self.inner);
            sup.spawn("pool-changes", config::ms(1_000), move |cancel| {
                let inner = Arc::clone(&inner);
                let mut rx = notifier.subscribe();
                async move {
                    loop {
                        tokio::select! {
                            () = cancel.cancelled() => return Ok(()),
                            msg = rx.recv() => match msg {
                                Ok(Change::Accounts) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                                    // A burst of changes (several accounts banned at once, an
                                    // import, a throttle storm) needs one reload, not one each:
                                    // gather what arrives within a short moment first.
                                    tokio::time::sleep(CHANGE_COALESCE).await;
                                    while rx.try_recv().is_ok() {}
                                    if let Err(e) = inner.reload().await {
                                        tracing::warn!(error = %e, "pool reload after account change failed");
                                    }
                                }
                                Ok(_) => {}
                                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                            },
                        }
                    }
                }
            });
        }
    }

    /// Re-reads every account from the store (admin edits, other instances).
    pub async fn reload(&self) -> Result<(), PoolError> {
        self.inner
            .reload()
            .await
            .map_err(|e| PoolError::Internal(e.to_string()))
    }

    /// Writes pending success/error counters and last-used times to the store now.
    pub async fn flush_counters(&self) {
        self.inner.flush_counters().await;
    }

    /// Requests in flight on `account_id` as this instance sees it.
    pub fn inflight(&self, account_id: &str) -> u32 {
        let t = self.inner.table();
        t.by_id
            .get(account_id)
            .and_then(|(_, pos)| t.sched.entry(*pos))
            .map_or(0, |e| e.inflight)
    }

    /// The pool's view of an account's status.
    pub fn status(&self, account_id: &str) -> Option<AccountStatus> {
        let slot = self.inner.slot(account_id)?;
        Some(slot.health().status)
    }

    /// The live model catalog: every model some usable account's ListAvailableModels lists
    /// (largest token limits seen). Empty until a catalog is known; routing then uses the
    /// built-in table alone.
    pub fn catalog(&self) -> Arc<translate::models::Catalog> {
        self.inner.catalog.load_full()
    }

    /// Accounts loaded.
    pub fn len(&self) -> usize {
        self.inner.table().by_id.len()
    }

    /// True when no account is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn self_arc(&self) -> Option<Arc<Self>> {
        self.me.upgrade()
    }

    pub(crate) fn slot(&self, id: &str) -> Option<Arc<Slot>> {
        self.table().by_id.get(id).map(|(s, _)| Arc::clone(s))
    }

    pub(crate) fn cap_of(&self, info: &slot::Info) -> u32 {
        if info.max_concurrency == 0 {
            self.cfg.default_max_concurrency.max(1)
        } else {
            info.max_concurrency
        }
    }
}
