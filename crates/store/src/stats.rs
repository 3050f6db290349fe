//! Request-log aggregates for `GET /v2/logs/stats?range=24h|7d|30d` (issue 7 "Request log"):
//! totals, success rate, tokens, latency and time-to-first-byte percentiles, and per model /
//! per account / per hour series.
//!
//! Three queries over the time range, whatever its size:
//! 1. one `GROUP BY (model, account, hour)` scan; totals and the three series are folded from its
//!    cells here (far fewer cells than rows), instead of four separate scans;
//! 2. and 3. a histogram (`GROUP BY value`) of duration and of time to first byte. Percentiles use
//!    the nearest-rank definition (the smallest value with at least p% of the rows at or below
//!    it), read exactly off the cumulative counts: portable to all three backends (only
//!    PostgreSQL has `percentile_cont`), never an average of averages, and the answer is bounded
//!    by the number of distinct millisecond values, not by the number of rows.
//!
//! Sums are `CAST` to a 64-bit integer because `SUM` returns `NUMERIC`/`DECIMAL` on
//! PostgreSQL/MySQL; that type name is the one backend-specific token here.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait as _, DbBackend, QueryResult};
use serde::Serialize;

use crate::entity::request_logs::Column;
use crate::logs::TokenUsage;
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// A `[from, to)` time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct StatsRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl StatsRange {
    /// The last `span` up to `now`.
    pub fn last(span: Duration, now: DateTime<Utc>) -> Self {
        Self {
            from: now - span,
            to: now,
        }
    }

    /// `24h`, `7d`, `30d` (any `<n>h` / `<n>d` up to 366 days) ending at `now`.
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let bad = || StoreError::Invalid(format!("range {text:?}: expected e.g. 24h, 7d or 30d"));
        let (num, unit) = text.split_at(text.len().saturating_sub(1));
        let n: i64 = num.parse().map_err(|_| bad())?;
        let span = match unit {
            "h" => Duration::hours(n),
            "d" => Duration::days(n),
            _ => return Err(bad()),
        };
        if n <= 0 || span > Duration::days(366) {
            return Err(bad());
        }
        Ok(Self::last(span, now))
    }
}

/// Nearest-rank percentiles; `None` when there are no values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Percentiles {
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
}

/// The four counters every series carries (and the totals are summed from).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Counts {
    pub requests: u64,
    pub errors: u64,
    #[serde(flatten)]
    pub tokens: TokenUsage,
}

/// One line of a per-model or per-account series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct GroupStats {
    /// Model id or account id (`None`: requests that never reached an account).
    pub key: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// One hour of the per-hour series (hours without requests are omitted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct HourStats {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The whole `/v2/logs/stats` answer.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct LogStats {
    pub range: StatsRange,
    pub total: u64,
    /// Status < 400.
    pub success: u64,
    pub errors: u64,
    /// `success / total`, 0 when there are no requests.
    pub success_rate: f64,
    #[serde(flatten)]
    pub tokens: TokenUsage,
    pub latency_ms: Percentiles,
    pub ttfb_ms: Percentiles,
    pub by_model: Vec<GroupStats>,
    pub by_account: Vec<GroupStats>,
    pub by_hour: Vec<HourStats>,
}

const HOUR_MS: &str = "3600000";

fn int_type(b: DbBackend) -> &'static str {
    match b {
        DbBackend::MySql => "SIGNED",
        _ => "BIGINT",
    }
}

fn sum_of(col: Column, b: DbBackend) -> Expr {
    Func::cast_as(
        Func::coalesce([Expr::col(col).sum(), Expr::val(0i64)]),
        Alias::new(int_type(b)),
    )
    .into()
}

fn errors_expr() -> Expr {
    Func::count(Expr::case(
        Expr::col(Column::Status).gte(400),
        Expr::val(1i32),
    ))
    .into()
}

fn u64_at(row: &QueryResult, name: &str) -> Result<u64, StoreError> {
    let v: Option<i64> = row.try_get("", name)?;
    Ok(v.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

fn base(range: StatsRange) -> SelectStatement {
    Query::select()
        .from(crate::entity::request_logs::Entity)
        .and_where(Expr::col(Column::At).gte(to_ms(range.from)))
        .and_where(Expr::col(Column::At).lt(to_ms(range.to)))
        .to_owned()
}

/// Nearest rank (1-based) of percentile `p` among `n` values.
fn rank(p: u64, n: u64) -> u64 {
    std::cmp::max((p * n).div_ceil(100), 1)
}

/// p50/p90/p99 from `(value, count)` pairs sorted by value.
fn percentiles_of(hist: &[(u64, u64)]) -> Percentiles {
    let n: u64 = hist.iter().map(|(_, c)| c).sum();
    if n == 0 {
        return Percentiles::default();
    }
    let at = |p: u64| {
        let r = rank(p, n);
        let mut seen = 0;
        hist.iter().find_map(|&(v, c)| {
            seen += c;
            (seen >= r).then_some(v)
        })
    };
    Percentiles {
        p50: at(50),
        p90: at(90),
        p99: at(99),
    }
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.tokens += o.tokens;
    }
}

fn group_list(m: BTreeMap<Option<String>, Counts>) -> Vec<GroupStats> {
    let mut out: Vec<GroupStats> = m
        .into_iter()
        .map(|(key, counts)| GroupStats { key, counts })
        .collect();
    // Busiest first, then by key with the `None` group last (sorted here, not in SQL: backends
    // disagree on where NULL sorts).
    out.sort_by(|a, b| {
        b.counts
            .requests
            .cmp(&a.counts.requests)
            .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

impl Store {
    /// Aggregates over `[range.from, range.to)`.
    pub async fn log_stats(&self, range: StatsRange) -> Result<LogStats, StoreError> {
        let b = self.db_backend();
        let model_key: Expr = Func::coalesce([
            Expr::col(Column::ModelUsed),
            Expr::col(Column::ModelRequested),
        ])
        .into();
        // The hour literal is inlined (not a bound parameter) so that PostgreSQL sees the GROUP BY
        // expression as identical to the selected one.
        let bucket = Expr::col(Column::At).sub(Expr::col(Column::At).modulo(Expr::cust(HOUR_MS)));
        let mut q = base(range);
        q.expr_as(model_key.clone(), "model_key")
            .expr_as(Expr::col(Column::AccountId), "account_key")
            .expr_as(bucket.clone(), "bucket")
            .expr_as(Func::count(Expr::col(Column::Id)), "requests")
            .expr_as(errors_expr(), "errors")
            .expr_as(sum_of(Column::InputTokens, b), "input_tokens")
            .expr_as(sum_of(Column::OutputTokens, b), "output_tokens")
            .add_group_by([model_key, Expr::col(Column::AccountId), bucket]);

        let mut total = Counts::default();
        let mut by_model: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        let mut by_account: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        let mut by_hour: BTreeMap<i64, Counts> = BTreeMap::new();
        for r in self.db().query_all(&q).await? {
            let c = Counts {
                requests: u64_at(&r, "requests")?,
                errors: u64_at(&r, "errors")?,
                tokens: TokenUsage {
                    input_tokens: u64_at(&r, "input_tokens")?,
                    output_tokens: u64_at(&r, "output_tokens")?,
                },
            };
            total.add(c);
            by_model
                .entry(r.try_get::<Option<String>>("", "model_key")?)
                .or_default()
                .add(c);
            by_account
                .entry(r.try_get::<Option<String>>("", "account_key")?)
                .or_default()
                .add(c);
            by_hour
                .entry(r.try_get::<i64>("", "bucket")?)
                .or_default()
                .add(c);
        }

        let latency_ms = percentiles_of(&self.histogram(range, Column::DurationMs).await?);
        let ttfb_ms = percentiles_of(&self.histogram(range, Column::TtfbMs).await?);
        let success = total.requests - std::cmp::min(total.errors, total.requests);
        Ok(LogStats {
            range,
            total: total.requests,
            success,
            errors: total.errors,
            success_rate: if total.requests == 0 {
                0.0
            } else {
                success as f64 / total.requests as f64
            },
            tokens: total.tokens,
            latency_ms,
            ttfb_ms,
            by_model: group_list(by_model),
            by_account: group_list(by_account),
            by_hour: by_hour
                .into_iter()
                .map(|(ms, counts)| HourStats {
                    hour: from_ms(ms),
                    counts,
                })
                .collect(),
        })
    }

    /// `(value, count)` of a column over the range, NULLs left out, sorted by value.
    async fn histogram(
        &self,
        range: StatsRange,
        col: Column,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let mut q = base(range);
        q.expr_as(Expr::col(col), "v")
            .expr_as(Func::count(Expr::col(Column::Id)), "n")
            .and_where(Expr::col(col).is_not_null())
            .add_group_by([Expr::col(col)])
            .order_by(col, Order::Asc);
        self.db()
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                let v: i64 = r.try_get("", "v")?;
                Ok((u64::try_from(v).unwrap_or(0), u64_at(r, "n")?))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        assert_eq!(rank(50, 1), 1);
        assert_eq!(rank(50, 10), 5);
        assert_eq!(rank(90, 10), 9);
        assert_eq!(rank(99, 10), 10);
        assert_eq!(rank(99, 100), 99);
        assert_eq!(rank(99, 1000), 990);
        assert_eq!(rank(50, 3), 2);
    }

    #[test]
    fn percentiles_from_histogram() {
        assert_eq!(percentiles_of(&[]), Percentiles::default());
        let one = percentiles_of(&[(7, 1)]);
        assert_eq!((one.p50, one.p90, one.p99), (Some(7), Some(7), Some(7)));
        // 1..=100 once each: nearest rank gives exactly 50, 90, 99.
        let hist: Vec<(u64, u64)> = (1..=100).map(|v| (v, 1)).collect();
        let p = percentiles_of(&hist);
        assert_eq!((p.p50, p.p90, p.p99), (Some(50), Some(90), Some(99)));
        // Heavy tail: 98 fast, 2 slow → p99 is slow, p90 fast.
        let p = percentiles_of(&[(10, 98), (5000, 2)]);
        assert_eq!((p.p50, p.p90, p.p99), (Some(10), Some(10), Some(5000)));
    }

    #[test]
    fn parse_ranges() {
        let now = Utc::now();
        assert_eq!(
            StatsRange::parse("24h", now).unwrap().from,
            now - Duration::hours(24)
        );
        assert_eq!(
            StatsRange::parse("7d", now).unwrap().from,
            now - Duration::days(7)
        );
        for bad in ["", "d", "0d", "-1h", "7w", "400d", "x7d"] {
            assert!(StatsRange::parse(bad, now).is_err(), "{bad}");
        }
    }
}
