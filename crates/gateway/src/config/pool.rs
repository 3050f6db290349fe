//! `pool.*` settings (issue 4 "Selection" and "Refresh"): strategy, per-account caps, pacing, the
//! wait queue, cooldowns, retry bounds and the background refresh/quota cadence. Every duration
//! is configurable so tests run with milliseconds where production uses minutes. The section lives
//! with the rest of the configuration (the pool reads it; the configuration imports nothing of
//! the pool), and `pool` re-exports it.

use serde::{Deserialize, Serialize};

/// How the next account is chosen among the ready ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The account picked longest ago goes next (O(log n) ordered set).
    #[default]
    RoundRobin,
    /// Fewest requests in flight first, ties by longest since last pick.
    LeastInflight,
    /// Random, proportional to `weight` (Fenwick tree, O(log n)).
    WeightedRandom,
}

/// `pool.*` settings. Durations are in milliseconds so tests can shrink them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Selection strategy for requests without a sticky key (and for a sticky key's first pick).
    pub strategy: Strategy,
    /// Keep requests carrying a sticky key on one account while it is healthy.
    pub sticky: bool,
    /// Cap used when an account's own `max_concurrency` is 0.
    pub default_max_concurrency: u32,
    /// Minimum gap between two requests started on one account (0 = off; ban-risk control).
    pub min_interval_ms: u64,
    /// Random extra gap added to `min_interval_ms`, up to this much.
    pub min_interval_jitter_ms: u64,
    /// Requests allowed to wait for a free account at once; beyond that they fail at once.
    pub max_waiters: usize,
    /// How long a request waits for a free account before `AllBusy` (a request no account can
    /// serve within it is answered at once).
    pub queue_timeout_ms: u64,
    /// Accounts tried per request (first try included) before the last error is returned.
    pub max_attempts: u32,
    /// First cooldown of a throttled account; doubles per consecutive throttle.
    pub cooldown_base_ms: u64,
    /// Cooldown ceiling.
    pub cooldown_max_ms: u64,
    /// Pause of an account after a transient upstream failure.
    pub transient_pause_ms: u64,
    /// Background refresh: renew tokens this long before they expire.
    pub refresh_skew_ms: u64,
    /// Spread of the refresh moment per account (0..jitter added to the skew).
    pub refresh_jitter_ms: u64,
    /// How often the background refresher looks for expiring tokens.
    pub refresh_check_ms: u64,
    /// Refreshes running at once in the background.
    pub refresh_concurrency: usize,
    /// The request path refreshes a token that expires within this margin.
    pub request_skew_ms: u64,
    /// After a failed refresh (not `invalid_grant`) wait this long before the next try.
    pub refresh_retry_ms: u64,
    /// Quota (GetUsageLimits) refresh period; 0 = off.
    pub quota_refresh_ms: u64,
    /// Hold an exhausted account this long while its reset date is unknown.
    pub exhausted_recheck_ms: u64,
    /// Reload accounts from the store at least this often (safety net for missed change events).
    pub reload_ms: u64,
    /// Length of one protocol "second" in device-login polling (tests shrink it).
    pub device_time_unit_ms: u64,
    /// Background jobs (validation, device polling) running at once.
    pub job_concurrency: usize,
    /// How long a Kiro GitHub / Google sign-in started from the admin API may be finished.
    pub social_login_ttl_ms: u64,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::RoundRobin,
            sticky: true,
            default_max_concurrency: 2,
            min_interval_ms: 0,
            min_interval_jitter_ms: 0,
            max_waiters: 512,
            queue_timeout_ms: 30_000,
            max_attempts: 3,
            cooldown_base_ms: 5_000,
            cooldown_max_ms: 300_000,
            transient_pause_ms: 1_000,
            refresh_skew_ms: 300_000,
            refresh_jitter_ms: 60_000,
            refresh_check_ms: 30_000,
            refresh_concurrency: 4,
            request_skew_ms: 60_000,
            refresh_retry_ms: 60_000,
            quota_refresh_ms: 900_000,
            exhausted_recheck_ms: 3_600_000,
            reload_ms: 30_000,
            device_time_unit_ms: 1_000,
            job_concurrency: 8,
            social_login_ttl_ms: 600_000,
        }
    }
}
