//! Admin login lockout per client IP (issue 7 §Admin API and auth): after
//! `security.login_max_failures` failed logins within the lockout period, the IP gets 429 with
//! `retry-after` until the period ends. A successful login clears the IP's record.
//!
//! Kept in memory: a lockout is a brute-force brake, and per-instance counting still bounds the
//! guess rate of a fleet by the instance count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    first_at: Instant,
    locked_until: Option<Instant>,
}

/// Failed-login bookkeeping.
#[derive(Debug)]
pub struct LoginLockout {
    max_failures: u32,
    period: Duration,
    records: Mutex<HashMap<IpAddr, Record>>,
}

impl LoginLockout {
    /// `max_failures` within `period` lock the IP out for `period`.
    pub fn new(max_failures: u32, period: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            period,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` while `ip` is locked out.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        match records.get(&ip).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure; `Some(wait)` when this failure started a lockout.
    pub fn record_failure(&self, ip: IpAddr) -> Option<Duration> {
        self.record_failure_at(ip, Instant::now())
    }

    fn record_failure_at(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if records.len() > 10_000 {
            let period = self.period;
            records.retain(|_, r| {
                r.locked_until.is_some_and(|u| u > now) || now.duration_since(r.first_at) < period
            });
        }
        let r = records.entry(ip).or_insert(Record {
            failures: 0,
            first_at: now,
            locked_until: None,
        });
        let stale = now.duration_since(r.first_at) >= self.period
            || r.locked_until.is_some_and(|u| u <= now);
        if stale {
            *r = Record {
                failures: 0,
                first_at: now,
                locked_until: None,
            };
        }
        r.failures += 1;
        if r.failures >= self.max_failures {
            r.locked_until = Some(now + self.period);
            return Some(self.period);
        }
        None
    }

    /// Clears `ip` after a successful login.
    pub fn record_success(&self, ip: IpAddr) {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_and_expires() {
        let l = LoginLockout::new(3, Duration::from_mins(1));
        let ip: IpAddr = "1.2.3.4".parse().unwrap();
        let other: IpAddr = "1.2.3.5".parse().unwrap();
        let t0 = Instant::now();
        assert!(l.record_failure_at(ip, t0).is_none());
        assert!(l.record_failure_at(ip, t0).is_none());
        assert!(l.check_at(ip, t0).is_ok());
        assert_eq!(l.record_failure_at(ip, t0), Some(Duration::from_mins(1)));
        assert_eq!(
            l.check_at(ip, t0 + Duration::from_secs(10)),
            Err(Duration::from_secs(50))
        );
        assert!(l.check_at(other, t0).is_ok());
        assert!(l.check_at(ip, t0 + Duration::from_secs(61)).is_ok());
        // after expiry the count starts over
        assert!(
            l.record_failure_at(ip, t0 + Duration::from_secs(61))
                .is_none()
        );
    }

    #[test]
    fn success_clears() {
        let l = LoginLockout::new(2, Duration::from_mins(1));
        let ip: IpAddr = "::1".parse().unwrap();
        l.record_failure(ip);
        l.record_success(ip);
        assert!(l.record_failure(ip).is_none());
    }
}
