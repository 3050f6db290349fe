//! What an upstream result does to an account (spec §5.1 table, §7 checklist, Addendum):
//! throttled → exponential-backoff cooldown (shared through [`super::CooldownStore`]); monthly
//! quota → `exhausted` until the reset date; suspension → `banned`; dead refresh token →
//! `needs_login`; transient trouble → a short pause. Terminal states are persisted at once so a
//! restart never sends traffic to them again, and every persisted status change (in fleet mode
//! cooldowns included) is announced as an account change so other instances reload and apply it
//! at once rather than on their periodic reload (issue 17 item 3).
//!
//! A quota error means: `exhausted` until the reset date — the one the error carries, else the
//! next UTC midnight for a daily limit, else the usage API's next reset for a monthly one (looked
//! up at once; `exhausted_recheck_ms` until it answers). The date is part of the stored reason
//! (`… (until <RFC 3339>)`), so every instance holds the account until the same moment, and only
//! that moment (or the usage figures recovering after an exhaustion they alone caused) lifts it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use amazonq::error::{ErrorClass, QuotaPeriod};
use chrono::{DateTime, Utc};
use store::AccountStatus;
use tokio::time::Instant;

use super::slot::Slot;
use super::{Inner, class_name, config};
use crate::change::Change;

/// The local instant of a wall-clock time (clamped to now .. now + 400 days).
pub(crate) fn instant_at(at: DateTime<Utc>) -> Instant {
    let delta = (at - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO)
        .min(Duration::from_hours(400 * 24));
    Instant::now() + delta
}

impl Inner {
    pub(crate) fn pos_of(&self, slot: &Arc<Slot>) -> Option<usize> {
        self.table()
            .by_id
            .get(&slot.id)
            .filter(|(s, _)| Arc::ptr_eq(s, slot))
            .map(|(_, pos)| *pos)
    }

    /// Sets and persists a status; `usable` statuses keep the account selectable.
    pub(crate) async fn set_status(
        &self,
        slot: &Arc<Slot>,
        status: AccountStatus,
        reason: Option<String>,
    ) {
        let (changed, before) = slot.with_health(|h| {
            let changed = h.status != status || h.reason != reason;
            let before = h.status;
            h.status = status;
            h.reason.clone_from(&reason);
            (changed, before)
        });
        if let Some(pos) = self.pos_of(slot) {
            self.table()
                .sched
                .set_usable(pos, super::slot::usable(status), Instant::now());
            self.wake.notify_waiters();
        }
        if changed {
            self.publish_status_gauges();
            tracing::info!(account = %slot.id, status = status.as_str(), reason = reason.as_deref().unwrap_or(""), "account status changed");
            match self
                .store
                .set_account_status(&slot.id, status, reason.as_deref())
                .await
            {
                // Announced only once stored: the other instances reload it from the database.
                Ok(()) if announced(before, status, self.refresh_lock.shared()) => {
                    if let Some(n) = &self.notifier {
                        n.publish(Change::Accounts);
                    }
                }
                Ok(()) => {}
                Err(e) => {
                    tracing::warn!(account = %slot.id, error = %e, "account status not persisted");
                }
            }
        }
    }

    /// Keeps the account out of selection until `until`.
    pub(crate) fn hold(&self, slot: &Arc<Slot>, until: Instant) {
        if let Some(pos) = self.pos_of(slot) {
            self.table().sched.hold_until(pos, until, Instant::now());
        }
    }

    /// A completed turn: counted, and the account is healthy.
    pub(crate) async fn on_success(&self, slot: &Arc<Slot>) {
        slot.ok_pending.fetch_add(1, Ordering::Relaxed);
        self.on_opened(slot).await;
    }

    /// The upstream accepted a call: clears throttle streaks and cooldown/exhausted states.
    pub(crate) async fn on_opened(&self, slot: &Arc<Slot>) {
        let status = slot.with_health(|h| {
            h.throttle_streak = 0;
            h.status
        });
        if matches!(
            status,
            AccountStatus::CoolingDown | AccountStatus::Exhausted
        ) {
            slot.with_health(|h| h.exhausted_until = None);
            self.set_status(slot, AccountStatus::Active, None).await;
        }
    }

    /// Applies a failure of class `class` to the account.
    pub(crate) async fn on_failure(&self, slot: &Arc<Slot>, class: &ErrorClass, message: &str) {
        metrics::counter!("gateway_pool_upstream_errors_total", "class" => class_name(class))
            .increment(1);
        let account_fault = !matches!(
            class,
            ErrorClass::ContextTooLong | ErrorClass::InvalidModel | ErrorClass::BadRequest { .. }
        );
        if account_fault {
            slot.err_pending.fetch_add(1, Ordering::Relaxed);
        }
        match class {
            ErrorClass::Throttled { retry_after } => self.cool_down(slot, *retry_after).await,
            ErrorClass::QuotaExhausted { resets_at, period } => {
                let until = resets_at.unwrap_or_else(|| match period {
                    QuotaPeriod::Daily => next_utc_midnight(),
                    QuotaPeriod::Monthly => {
                        Utc::now()
                            + chrono::Duration::milliseconds(self.cfg.exhausted_recheck_ms as i64)
                    }
                });
                self.mark_exhausted(slot, until, message).await;
                // A monthly limit lasts until the usage API's reset date: learn it now (and
                // refresh the stored figures after a daily one).
                match (resets_at, period) {
                    (None, QuotaPeriod::Monthly) => self.spawn_reset_date_fetch(slot, message),
                    (None, QuotaPeriod::Daily) => self.spawn_quota_fetch(slot),
                    (Some(_), _) => {}
                }
            }
            ErrorClass::Suspended => {
                self.set_status(slot, AccountStatus::Banned, Some(short(message)))
                    .await;
            }
            ErrorClass::RefreshTokenDead => {
                self.set_status(slot, AccountStatus::NeedsLogin, Some(short(message)))
                    .await;
            }
            ErrorClass::Forbidden => {
                // Plan/feature problems: long pause, visible reason; not a ban.
                let until = Instant::now() + config::ms(self.cfg.cooldown_max_ms);
                self.hold(slot, until);
                self.set_status(slot, AccountStatus::CoolingDown, Some(short(message)))
                    .await;
            }
            ErrorClass::ProfileRejected => {
                // Re-resolved once already (recover.rs): the operator must pick a profile.
                let until = Instant::now() + config::ms(self.cfg.cooldown_max_ms);
                self.hold(slot, until);
                let reason = format!(
                    "the upstream refused this account's profile: {}; pick one under Profile in the account (GET /v2/accounts/{}/profiles)",
                    short(message),
                    slot.id
                );
                self.set_status(slot, AccountStatus::CoolingDown, Some(reason))
                    .await;
            }
            ErrorClass::Transient | ErrorClass::ModelUnavailable | ErrorClass::NeedsRefresh => {
                self.hold(
                    slot,
                    Instant::now() + config::ms(self.cfg.transient_pause_ms),
                );
            }
            ErrorClass::ContextTooLong
            | ErrorClass::InvalidModel
            | ErrorClass::BadRequest { .. } => {}
        }
    }

    async fn cool_down(&self, slot: &Arc<Slot>, retry_after: Option<Duration>) {
        let streak = slot.with_health(|h| {
            h.throttle_streak = h.throttle_streak.saturating_add(1);
            h.throttle_streak
        });
        let backoff = self
            .cfg
            .cooldown_base_ms
            .saturating_mul(1u64 << streak.saturating_sub(1).min(20))
            .min(self.cfg.cooldown_max_ms);
        let wait = retry_after.unwrap_or_default().max(config::ms(backoff));
        let until = Instant::now() + wait;
        self.hold(slot, until);
        let until_ms = Utc::now().timestamp_millis() + wait.as_millis() as i64;
        self.cooldowns.set(&slot.id, until_ms).await;
        metrics::counter!("gateway_pool_cooldowns_total").increment(1);
        self.set_status(
            slot,
            AccountStatus::CoolingDown,
            Some(format!(
                "throttled; cooling down for {} ms",
                wait.as_millis()
            )),
        )
        .await;
    }

    pub(crate) async fn mark_exhausted(
        &self,
        slot: &Arc<Slot>,
        until: DateTime<Utc>,
        message: &str,
    ) {
        slot.with_health(|h| h.exhausted_until = Some(until));
        self.hold(slot, instant_at(until));
        self.set_status(
            slot,
            AccountStatus::Exhausted,
            Some(format!("{} (until {})", short(message), until.to_rfc3339())),
        )
        .await;
    }
}

/// Whether a stored status change is announced as an account change. Durable states (entering or
/// leaving `banned`, `needs_login`, `exhausted`, `disabled`) always are; throttle cooldowns
/// (`active` ⇄ `cooling_down`) only when other instances exist (`fleet`), since this instance
/// already applied them and a reload of its own per throttle would be waste.
fn announced(before: AccountStatus, after: AccountStatus, fleet: bool) -> bool {
    let durable = |s| !matches!(s, AccountStatus::Active | AccountStatus::CoolingDown);
    fleet || durable(before) || durable(after)
}

fn next_utc_midnight() -> DateTime<Utc> {
    let tomorrow = Utc::now().date_naive() + chrono::Days::new(1);
    tomorrow
        .and_hms_opt(0, 0, 0)
        .map_or_else(|| Utc::now() + chrono::Duration::days(1), |t| t.and_utc())
}

/// A bounded reason text.
pub(crate) fn short(message: &str) -> String {
    message.chars().take(300).collect()
}

/// Whether usage figures that show quota left may end an exhaustion now: only once its hold
/// ended, or when the usage figures alone caused it (a quota *error* — a monthly request count,
/// a daily limit — is not contradicted by credits left; it holds until its reset date on every
/// instance alike).
pub(crate) fn quota_may_lift(slot: &Slot) -> bool {
    let h = slot.health();
    h.exhausted_until.is_none_or(|u| u <= Utc::now())
        || h.reason.as_deref().is_some_and(|r| r.starts_with(USED_UP))
}

/// Reason prefix of an exhaustion found in the usage figures.
pub(crate) const USED_UP: &str = "monthly quota used up";

/// The hold end written into an `exhausted` reason by [`Inner::mark_exhausted`].
pub(crate) fn exhausted_until_of(reason: &str) -> Option<DateTime<Utc>> {
    let (_, tail) = reason.rsplit_once("(until ")?;
    let at = tail.strip_suffix(')')?;
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Inner {
    /// Looks the usage API's next reset date up and keeps the account exhausted until then.
    fn spawn_reset_date_fetch(&self, slot: &Arc<Slot>, message: &str) {
        let Some(inner) = self.self_arc() else { return };
        let slot = Arc::clone(slot);
        let message = short(message);
        self.jobs.submit(async move {
            if let Ok(Some(q)) = inner.fetch_quota(&slot).await
                && let Some(reset) = q.resets_at.filter(|r| *r > Utc::now())
                && slot.health().status == AccountStatus::Exhausted
            {
                inner.mark_exhausted(&slot, reset, &message).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_are_announced_to_the_fleet() {
        use AccountStatus as S;
        assert!(announced(S::Active, S::Banned, false));
        assert!(announced(S::CoolingDown, S::NeedsLogin, false));
        assert!(
            announced(S::Exhausted, S::Exhausted, false),
            "a new reset date"
        );
        assert!(announced(S::Exhausted, S::Active, false));
        // Cooldowns: only when another instance listens.
        assert!(!announced(S::Active, S::CoolingDown, false));
        assert!(!announced(S::CoolingDown, S::Active, false));
        assert!(announced(S::Active, S::CoolingDown, true));
        assert!(announced(S::CoolingDown, S::Active, true));
    }

    #[test]
    fn the_hold_end_is_read_back_from_the_reason() {
        let at = DateTime::parse_from_rfc3339("2027-01-01T00:00:00+00:00")
            .unwrap()
            .with_timezone(&Utc);
        let reason = format!("MONTHLY_REQUEST_COUNT (until {})", at.to_rfc3339());
        assert_eq!(exhausted_until_of(&reason), Some(at));
        assert_eq!(exhausted_until_of("monthly quota used up"), None);
        assert_eq!(exhausted_until_of("x (until soon)"), None);
    }
}
