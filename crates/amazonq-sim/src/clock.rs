//! Injectable clock (amazon-q-protocol.md §8.1 "deterministic clock").
//!
//! Every expiry in the simulator (access tokens, device codes, client registrations, RPM windows)
//! is judged against this clock, so tests can move time forward by hours in a microsecond instead of
//! sleeping. Stream pacing (sleeps between frames) deliberately uses real time: it is about bytes on
//! a socket, not about token lifetimes.

use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch, as seen by the simulator.
#[derive(Debug)]
pub struct SimClock {
    /// `None`: follow the system clock; `Some(t)`: frozen start time (fully deterministic).
    base_ms: Option<i64>,
    offset_ms: AtomicI64,
}

impl SimClock {
    /// A clock that follows the system clock, shifted by whatever tests add with [`SimClock::advance`].
    pub fn system() -> Self {
        Self {
            base_ms: None,
            offset_ms: AtomicI64::new(0),
        }
    }

    /// A clock frozen at `start_ms`; it moves only through [`SimClock::advance`].
    pub fn frozen(start_ms: i64) -> Self {
        Self {
            base_ms: Some(start_ms),
            offset_ms: AtomicI64::new(0),
        }
    }

    pub fn now_ms(&self) -> i64 {
        let base = self
            .base_ms
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        base + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves the clock forward (or back, for negative values).
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Clears every advance made so far.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let c = SimClock::frozen(1_000_000);
        assert_eq!(c.now_ms(), 1_000_000);
        c.advance(3_600_000);
        assert_eq!(c.now_secs(), 4_600);
        c.reset();
        assert_eq!(c.now_ms(), 1_000_000);
    }
}
