//! Timestamp conversion. The database holds Unix epoch milliseconds (`BIGINT`) everywhere: the
//! three backends disagree on `TIMESTAMP` semantics (MySQL converts by session time zone and stops
//! in 2038, PostgreSQL has `timestamptz`, SQLite stores text), while integers compare, index,
//! bucket per hour (`at - at % 3600000`) and round-trip identically on all of them.

use chrono::{DateTime, TimeZone as _, Utc};

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn opt_to_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_ms)
}

/// Out-of-range values (only possible from a hand-edited row) clamp to the epoch rather than fail.
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.map(from_ms)
}

pub(crate) fn now_ms() -> i64 {
    to_ms(Utc::now())
}
