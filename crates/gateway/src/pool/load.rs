//! Loading accounts from the store into the pool's table (start-up, admin edits, the periodic
//! safety net) without losing runtime state, and writing the batched usage counters back.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use store::AccountStatus;
use tokio::time::Instant;

use super::slot::{self, Slot};
use super::{Inner, health};

impl Inner {
    /// Loads the store's accounts into the table, keeping runtime state of known ones.
    pub(crate) async fn reload(&self) -> Result<(), store::StoreError> {
        let accounts = self.store.all_accounts().await?;
        let now = Instant::now();
        let mut t = self.table();
        let mut seen = std::collections::HashSet::with_capacity(accounts.len());
        for a in &accounts {
            seen.insert(a.id.clone());
            if let Some((slot, pos)) = t.by_id.get(&a.id).cloned() {
                let info = slot::info_of(a);
                let (cap, weight) = (self.cap_of(&info), info.weight);
                slot.info.store(Arc::new(info));
                let stored = slot::token_of(a);
                let current = slot.token.load();
                if stored != **current && stored.expires_at >= current.expires_at {
                    slot.token.store(Arc::new(stored));
                }
                let status = slot.with_health(|h| {
                    h.status = merge_status(h.status, a.status);
                    if h.status == a.status {
                        h.reason.clone_from(&a.status_reason);
                    }
                    h.status
                });
                t.sched.configure(pos, cap, weight);
                t.sched.set_usable(pos, slot::usable(status), now);
            } else {
                let slot = Arc::new(Slot::from_account(a));
                let info = slot.info.load_full();
                let status = slot.health().status;
                let pos = t.sched.insert(
                    Arc::clone(&slot),
                    self.cap_of(&info),
                    info.weight,
                    slot::usable(status),
                );
                if let Some(until) = slot
                    .health()
                    .exhausted_until
                    .filter(|_| status == AccountStatus::Exhausted)
                {
                    t.sched.hold_until(pos, health::instant_at(until), now);
                }
                t.by_id.insert(a.id.clone(), (slot, pos));
            }
        }
        let gone: Vec<(String, usize)> = t
            .by_id
            .iter()
            .filter(|(id, _)| !seen.contains(*id))
            .map(|(id, (_, pos))| (id.clone(), *pos))
            .collect();
        for (id, pos) in gone {
            t.sched.remove(pos);
            t.by_id.remove(&id);
        }
        drop(t);
        self.publish_status_gauges();
        self.wake.notify_waiters();
        Ok(())
    }

    /// `gateway_pool_accounts{status}`: accounts per status (after loads and status changes).
    pub(crate) fn publish_status_gauges(&self) {
        let mut counts: HashMap<AccountStatus, u32> = HashMap::new();
        for (slot, _) in self.table().by_id.values() {
            *counts.entry(slot.health().status).or_default() += 1;
        }
        for status in AccountStatus::ALL {
            metrics::gauge!("gateway_pool_accounts", "status" => status.as_str())
                .set(f64::from(counts.get(&status).copied().unwrap_or(0)));
        }
    }

    /// Writes the batched counters.
    pub(crate) async fn flush_counters(&self) {
        let slots: Vec<Arc<Slot>> = self
            .table()
            .by_id
            .values()
            .map(|(s, _)| Arc::clone(s))
            .collect();
        for slot in slots {
            let ok = slot.ok_pending.swap(0, Ordering::Relaxed);
            let err = slot.err_pending.swap(0, Ordering::Relaxed);
            let last = slot.last_used_ms.swap(0, Ordering::Relaxed);
            if ok == 0 && err == 0 && last == 0 {
                continue;
            }
            let last_used = (last > 0)
                .then(|| chrono::DateTime::from_timestamp_millis(last))
                .flatten();
            if let Err(e) = self
                .store
                .record_account_usage(&slot.id, ok, err, last_used)
                .await
            {
                tracing::debug!(account = %slot.id, error = %e, "account counters not written");
            }
        }
    }
}

/// Status after a reload: the operator's `disabled`/re-enable and terminal states set elsewhere
/// win; otherwise this instance's live view (cooldowns, recoveries) is kept.
fn merge_status(mem: AccountStatus, stored: AccountStatus) -> AccountStatus {
    use AccountStatus as S;
    match (mem, stored) {
        (_, S::Disabled) => S::Disabled,
        (S::Disabled, s)
        | (S::Active | S::CoolingDown | S::Exhausted, s @ (S::Banned | S::NeedsLogin)) => s,
        (m, _) => m,
    }
}
