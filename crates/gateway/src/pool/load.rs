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
        let cooling = self.shared_cooldowns(&accounts).await;
        let now = Instant::now();
        let mut t = self.table();
        let mut seen = std::collections::HashSet::with_capacity(accounts.len());
        for a in &accounts {
            seen.insert(a.id.clone());
            if let Some((slot, pos)) = t.by_id.get(&a.id).cloned() {
                let info = slot::info_keeping_catalog(a, &slot.info.load());
                let (cap, weight) = (self.cap_of(&info), info.weight);
                slot.info.store(Arc::new(info));
                let stored = slot::token_of(a);
                let current = slot.token.load();
                if stored != **current && stored.expires_at >= current.expires_at {
                    slot.token.store(Arc::new(stored));
                }
                let before = slot.health().status;
                let mut status = merge_status(before, a.status);
                t.sched.configure(pos, cap, weight);
                let held = t
                    .sched
                    .entry(pos)
                    .is_some_and(|e| e.not_before.is_some_and(|nb| nb > now));
                if matches!(
                    before,
                    AccountStatus::CoolingDown | AccountStatus::Exhausted
                ) && a.status == AccountStatus::Active
                    && !held
                {
                    // Recovered elsewhere and over here too (the same hold ended).
                    status = AccountStatus::Active;
                    slot.with_health(|h| h.exhausted_until = None);
                }
                if a.status == AccountStatus::CoolingDown
                    && before == AccountStatus::Active
                    && let Some(until) = cooling.get(&a.id)
                {
                    // Throttled on another instance: hold it here until the same moment.
                    t.sched.hold_until(pos, *until, now);
                    status = AccountStatus::CoolingDown;
                }
                if status == AccountStatus::Exhausted {
                    // Another instance found the quota used up (or learned its reset date): hold
                    // the account here too. Before `status` is visible, so a pick that sees it
                    // also sees the hold (picks take the table lock held here).
                    let until = exhausted_hold(a, before != AccountStatus::Exhausted, &self.cfg);
                    if let Some(until) = until {
                        if a.status_reason
                            .as_deref()
                            .and_then(health::exhausted_until_of)
                            == Some(until)
                        {
                            // The date the finding instance holds it until: exactly that here.
                            t.sched.clear_hold(pos, now);
                            slot.with_health(|h| h.exhausted_until = None);
                        }
                        t.sched.hold_until(pos, health::instant_at(until), now);
                        slot.with_health(|h| {
                            h.exhausted_until =
                                Some(h.exhausted_until.map_or(until, |u| u.max(until)));
                        });
                    }
                }
                slot.with_health(|h| {
                    h.status = status;
                    if h.status == a.status {
                        h.reason.clone_from(&a.status_reason);
                    }
                });
                t.sched.set_usable(pos, slot::usable(status), now);
            } else {
                self.insert_new(&mut t, a, cooling.get(&a.id), now);
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
        self.rebuild_catalog();
        self.publish_status_gauges();
        self.wake.notify_waiters();
        Ok(())
    }

    /// Cooldowns another instance started: their end is in the shared cooldown store (read
    /// before the table lock, which is never held across I/O). Only for accounts stored as
    /// cooling down, usually none or a few.
    async fn shared_cooldowns(&self, accounts: &[store::Account]) -> HashMap<String, Instant> {
        let mut cooling: HashMap<String, Instant> = HashMap::new();
        for a in accounts
            .iter()
            .filter(|a| a.status == AccountStatus::CoolingDown)
        {
            let left = self.cooldowns.get(&a.id).await.map_or(0, |until_ms| {
                until_ms - chrono::Utc::now().timestamp_millis()
            });
            if left > 0 {
                let until = Instant::now() + std::time::Duration::from_millis(left as u64);
                cooling.insert(a.id.clone(), until);
            }
        }
        cooling
    }

    /// An account this instance did not hold yet: a new slot, held while it is exhausted or
    /// cooling down elsewhere.
    fn insert_new(
        &self,
        t: &mut super::Table,
        a: &store::Account,
        cooling: Option<&Instant>,
        now: Instant,
    ) {
        let slot = Arc::new(Slot::from_account(a));
        let info = slot.info.load_full();
        let status = slot.health().status;
        let pos = t.sched.insert(
            Arc::clone(&slot),
            self.cap_of(&info),
            info.weight,
            slot::usable(status),
        );
        if let Some(until) = exhausted_hold(a, true, &self.cfg) {
            slot.with_health(|h| h.exhausted_until = Some(until));
            t.sched.hold_until(pos, health::instant_at(until), now);
        }
        if let Some(until) = cooling {
            t.sched.hold_until(pos, *until, now);
        }
        t.by_id.insert(a.id.clone(), (slot, pos));
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
        let slots: Vec<Arc<Slot>> = self.table().slots().collect();
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

/// Status after a reload: the operator's `disabled`/re-enable, terminal states and a used-up
/// quota found elsewhere win; otherwise this instance's live view (cooldowns, recoveries) is
/// kept.
fn merge_status(mem: AccountStatus, stored: AccountStatus) -> AccountStatus {
    use AccountStatus as S;
    match (mem, stored) {
        (_, S::Disabled) => S::Disabled,
        (S::Disabled, s)
        | (S::Active | S::CoolingDown | S::Exhausted, s @ (S::Banned | S::NeedsLogin))
        | (S::Active | S::CoolingDown, s @ S::Exhausted) => s,
        (m, _) => m,
    }
}

/// How long to hold an account the database says is `exhausted`: until the date its reason
/// carries (what the finding instance holds it until), else the stored quota's reset date when
/// that quota is used up and the date ahead; when neither is known and the state is news to
/// this instance (`adopted`), for `exhausted_recheck_ms`.
fn exhausted_hold(
    a: &store::Account,
    adopted: bool,
    cfg: &super::PoolConfig,
) -> Option<chrono::DateTime<chrono::Utc>> {
    if a.status != AccountStatus::Exhausted {
        return None;
    }
    let now = chrono::Utc::now();
    if let Some(until) = a
        .status_reason
        .as_deref()
        .and_then(health::exhausted_until_of)
        .filter(|u| *u > now)
    {
        return Some(until);
    }
    // Only a used-up stored quota dates the hold: a daily limit leaves the monthly figures (and
    // their reset date, a month out) looking fine.
    let spent_until = a
        .quota
        .as_ref()
        .filter(|q| q.limit > 0.0 && q.used >= q.limit)
        .and_then(|q| q.resets_at)
        .filter(|r| *r > now);
    match spent_until {
        Some(reset) => Some(reset),
        None if adopted => {
            Some(now + chrono::Duration::milliseconds(cfg.exhausted_recheck_ms as i64))
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountStatus as S;

    #[test]
    fn stored_terminal_states_and_a_spent_quota_win_over_the_live_view() {
        assert_eq!(merge_status(S::Active, S::Banned), S::Banned);
        assert_eq!(merge_status(S::CoolingDown, S::NeedsLogin), S::NeedsLogin);
        assert_eq!(merge_status(S::Active, S::Exhausted), S::Exhausted);
        assert_eq!(merge_status(S::CoolingDown, S::Exhausted), S::Exhausted);
        assert_eq!(merge_status(S::Banned, S::Disabled), S::Disabled);
        assert_eq!(merge_status(S::Disabled, S::Active), S::Active);
        // The live view is kept: a recovery here, a cooldown here.
        assert_eq!(merge_status(S::Exhausted, S::Active), S::Exhausted);
        assert_eq!(merge_status(S::CoolingDown, S::Active), S::CoolingDown);
        assert_eq!(merge_status(S::Active, S::CoolingDown), S::Active);
    }

    #[test]
    fn an_adopted_exhaustion_is_held_until_the_spent_quota_resets() {
        let cfg = super::super::PoolConfig::default();
        let mut a = store::Account {
            status: S::Exhausted,
            ..super::super::slot::test_account("x")
        };
        let now = chrono::Utc::now();
        let recheck = chrono::Duration::milliseconds(cfg.exhausted_recheck_ms as i64);
        // Reset date unknown: news to this instance → the recheck period; known here → nothing.
        let held = exhausted_hold(&a, true, &cfg).unwrap();
        assert!(
            held > now + recheck - chrono::Duration::seconds(5)
                && held <= now + recheck + chrono::Duration::seconds(5)
        );
        assert_eq!(exhausted_hold(&a, false, &cfg), None);
        // A used-up quota dates the hold.
        let reset = now + chrono::Duration::days(3);
        a.quota = Some(store::Quota {
            used: 10.0,
            limit: 10.0,
            resets_at: Some(reset),
        });
        assert_eq!(exhausted_hold(&a, true, &cfg), Some(reset));
        assert_eq!(exhausted_hold(&a, false, &cfg), Some(reset));
        // A quota that is not used up (a daily limit was hit) does not.
        a.quota = Some(store::Quota {
            used: 1.0,
            limit: 10.0,
            resets_at: Some(reset),
        });
        assert_eq!(exhausted_hold(&a, false, &cfg), None);
        // Not exhausted in the database: no hold.
        a.status = S::Active;
        assert_eq!(exhausted_hold(&a, true, &cfg), None);
    }
}
