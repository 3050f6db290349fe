//! Waiting for and holding an account (issue 4 "Selection"): sticky assignment, the strategy's
//! pick, the shared lease (per-account cap across instances), and the bounded wait queue with a
//! timeout when every eligible account is busy or cooling down.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rand::Rng as _;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::sched::Pick;
use super::slot::Slot;
use super::{Inner, PoolError, config, lease_key};
use crate::limits::ConcurrencyPermit;

/// One request's hold on one account. Dropping it frees the slot and wakes waiters.
pub(crate) struct Lease {
    inner: Arc<Inner>,
    pub slot: Arc<Slot>,
    pub pos: usize,
    _permit: ConcurrencyPermit,
}

impl Lease {
    /// The pool this lease belongs to.
    pub fn inner(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.inner
            .table()
            .sched
            .release(self.pos, &self.slot, Instant::now());
        self.inner.wake.notify_waiters();
    }
}

/// A lease on one account taken without an upstream call: what one selection costs, for the
/// selection benchmark (`benches/select.rs`) and tests. Dropping it releases the account.
pub struct AccountLease {
    lease: Lease,
}

impl AccountLease {
    /// The leased account.
    pub fn account_id(&self) -> &str {
        &self.lease.slot.id
    }
}

impl std::fmt::Debug for AccountLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLease")
            .field("account", &self.account_id())
            .finish()
    }
}

impl super::Pool {
    /// Selects and leases an account exactly as [`super::Pool::send`] does for its first attempt
    /// (sticky assignment, strategy, shared cooldowns, shared lease, wait queue), without calling
    /// the upstream or refreshing the token.
    pub async fn lease(
        &self,
        model: &str,
        sticky_key: Option<&str>,
    ) -> Result<AccountLease, PoolError> {
        let excluded = HashSet::new();
        let want = Want {
            model,
            sticky_key,
            excluded: &excluded,
            cancel: None,
        };
        let lease = self.inner.acquire(&want).await?;
        Ok(AccountLease { lease })
    }
}

/// Counts a waiter for the bounded queue while alive.
struct Waiting<'a>(&'a Inner);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let n = self.0.waiters.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("gateway_pool_waiters").set(n.saturating_sub(1) as f64);
    }
}

/// What the request needs from an account.
pub(crate) struct Want<'a> {
    pub model: &'a str,
    pub sticky_key: Option<&'a str>,
    pub excluded: &'a HashSet<String>,
    pub cancel: Option<&'a CancellationToken>,
}

/// Pause before retrying an account whose shared lease was refused (another instance is using
/// its last slot).
const LEASE_BUSY_PAUSE: Duration = Duration::from_millis(50);

impl Inner {
    fn gap(&self) -> Duration {
        if self.cfg.min_interval_ms == 0 {
            return Duration::ZERO;
        }
        let jitter = if self.cfg.min_interval_jitter_ms == 0 {
            0
        } else {
            rand::rng().random_range(0..=self.cfg.min_interval_jitter_ms)
        };
        config::ms(self.cfg.min_interval_ms + jitter)
    }

    /// Leases the picked account unless another instance says otherwise (a shared cooldown, a
    /// full shared count): then the pick is undone and `None` sends the caller looking again.
    async fn try_lease(
        self: &Arc<Self>,
        slot: Arc<Slot>,
        pos: usize,
        now: Instant,
        want: &Want<'_>,
        sticky_ok: bool,
    ) -> Option<Lease> {
        // A cooldown recorded elsewhere (another instance) wins over our local view.
        let shared_until = self.cooldowns.get(&slot.id).await;
        let now_ms = chrono::Utc::now().timestamp_millis();
        if let Some(until_ms) = shared_until.filter(|u| *u > now_ms) {
            let until = now + Duration::from_millis((until_ms - now_ms) as u64);
            let mut t = self.table();
            t.sched.release(pos, &slot, now);
            t.sched.hold_until(pos, until, now);
            return None;
        }
        let cap = self.cap_of(&slot.info.load());
        let Some(permit) = self.leases.try_acquire(&lease_key(&slot.id), cap).await else {
            // The shared count says full (other instances): undo and look again.
            let mut t = self.table();
            t.sched.release(pos, &slot, now);
            t.sched.hold_until(pos, now + LEASE_BUSY_PAUSE, now);
            return None;
        };
        if let (Some(key), false) = (want.sticky_key.filter(|_| self.cfg.sticky), sticky_ok) {
            self.sticky.set(key, &slot.id).await;
        }
        slot.last_used_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
        Some(Lease {
            inner: Arc::clone(self),
            slot,
            pos,
            _permit: permit,
        })
    }

    /// Waits for an account that passes the request's filter and leases it.
    pub(crate) async fn acquire(self: &Arc<Self>, want: &Want<'_>) -> Result<Lease, PoolError> {
        let sticky_account = match (self.cfg.sticky, want.sticky_key) {
            (true, Some(key)) => self.sticky.get(key).await,
            _ => None,
        };
        // A model that no usable account lists (a hidden or legacy id) is left to the upstream to
        // judge rather than refused here; entitlement only chooses between accounts.
        let mut any_model = want.model.is_empty();
        let deadline = Instant::now() + config::ms(self.cfg.queue_timeout_ms);
        let mut waiting: Option<Waiting<'_>> = None;
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            let any = any_model;
            let filter =
                |s: &Slot| !want.excluded.contains(&s.id) && (any || s.entitled(want.model));
            let (pick, sticky_ok) = {
                let mut t = self.table();
                let sticky_pos = sticky_account
                    .as_deref()
                    .and_then(|id| t.by_id.get(id).map(|(_, pos)| *pos));
                // The session's account still healthy (maybe just busy): keep the assignment.
                let sticky_ok = sticky_pos.is_some_and(|pos| {
                    t.sched.entry(pos).is_some_and(|e| {
                        e.usable && e.not_before.is_none_or(|nb| nb <= now) && filter(&e.slot)
                    })
                });
                let gap = self.gap();
                let sticky_pick = sticky_pos
                    .and_then(|pos| t.sched.pick_pos(pos, now, gap, &filter).map(|s| (s, pos)));
                let pick = match sticky_pick {
                    Some((slot, pos)) => Pick::Picked(slot, pos),
                    None => t.sched.pick(now, gap, rand::rng().random::<f64>(), &filter),
                };
                (pick, sticky_ok)
            };
            match pick {
                Pick::Picked(slot, pos) => {
                    if let Some(lease) = self.try_lease(slot, pos, now, want, sticky_ok).await {
                        return Ok(lease);
                    }
                }
                Pick::Never if !any_model => {
                    tracing::debug!(
                        model = want.model,
                        "no account lists this model; trying any"
                    );
                    any_model = true;
                }
                Pick::Never => return Err(self.none_usable()),
                Pick::Wait { next, releasing }
                    if !releasing && next.is_none_or(|n| n > deadline) =>
                {
                    // Nothing in flight will come back and no hold ends within the queue
                    // timeout (all exhausted, throttled or paused): say so now, not after it.
                    metrics::counter!("gateway_pool_busy_rejections_total", "reason" => "none_ready").increment(1);
                    return Err(self.none_ready(next, now, &filter));
                }
                Pick::Wait { next, .. } => {
                    if waiting.is_none() {
                        let n = self.waiters.fetch_add(1, Ordering::Relaxed) + 1;
                        let guard = Waiting(self);
                        metrics::gauge!("gateway_pool_waiters").set(n as f64);
                        if n > self.cfg.max_waiters {
                            metrics::counter!("gateway_pool_busy_rejections_total", "reason" => "queue_full").increment(1);
                            return Err(Self::all_busy(next, now));
                        }
                        waiting = Some(guard);
                    }
                    if now >= deadline {
                        metrics::counter!("gateway_pool_busy_rejections_total", "reason" => "timeout").increment(1);
                        return Err(Self::all_busy(next, now));
                    }
                    let until = next.map_or(deadline, |n| n.min(deadline));
                    let cancelled = async {
                        match want.cancel {
                            Some(c) => c.cancelled().await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep_until(until) => {}
                        () = cancelled => return Err(PoolError::Cancelled),
                    }
                }
            }
        }
    }

    fn all_busy(next: Option<Instant>, now: Instant) -> PoolError {
        PoolError::AllBusy {
            retry_after: wait_for(next, now),
            cooling_down: false,
        }
    }

    /// Why no account can serve requests at all: none configured, or what state they are in.
    fn none_usable(&self) -> PoolError {
        let t = self.table();
        if t.by_id.is_empty() {
            return PoolError::NotConfigured;
        }
        let mut counts = std::collections::BTreeMap::<&'static str, usize>::new();
        for (slot, _) in t.by_id.values() {
            *counts.entry(slot.health().status.as_str()).or_default() += 1;
        }
        let states: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        PoolError::NoAccounts(Some(format!(
            "none of the {} accounts is usable ({}); log them in again, re-enable them or add one",
            t.by_id.len(),
            states.join(", ")
        )))
    }

    /// The answer when no candidate frees up within the queue timeout: out of quota when every
    /// one of them is exhausted, else "cooling down" with when the first one is back.
    fn none_ready(
        &self,
        next: Option<Instant>,
        now: Instant,
        filter: &dyn Fn(&Slot) -> bool,
    ) -> PoolError {
        let t = self.table();
        let mut exhausted = true;
        let mut resets_at: Option<chrono::DateTime<chrono::Utc>> = None;
        for e in t.sched.candidates(filter) {
            let h = e.slot.health();
            if h.status != store::AccountStatus::Exhausted {
                exhausted = false;
                break;
            }
            if let Some(u) = h.exhausted_until {
                resets_at = Some(resets_at.map_or(u, |r| r.min(u)));
            }
        }
        if exhausted {
            return PoolError::QuotaExhausted { resets_at };
        }
        PoolError::AllBusy {
            retry_after: wait_for(next, now),
            cooling_down: true,
        }
    }
}

/// Until `next` (one second when unknown or already past: a zero `retry-after` invites a hot
/// loop).
fn wait_for(next: Option<Instant>, now: Instant) -> Duration {
    next.map(|n| n.saturating_duration_since(now))
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(1))
}
