//! Request-log aggregates for `GET /v2/logs/stats?range=24h|7d|30d` (issue 7 "Request log"):
//! totals, success rate, tokens, latency and time-to-first-byte percentiles, and per model /
//! per account / per hour series.
//!
//! Percentiles use the nearest-rank definition (the smallest value with at least p% of the rows
//! at or below it), computed exactly by the database with `ORDER BY … LIMIT 1 OFFSET rank-1`:
//! portable to all three backends (only PostgreSQL has `percentile_cont`) and never an average
//! of averages. Sums are `CAST` to a 64-bit integer because `SUM` returns `NUMERIC`/`DECIMAL` on
//! PostgreSQL/MySQL; that type name is the one backend-specific token here.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait as _, DbBackend, QueryResult};
use serde::Serialize;

use crate::entity::request_logs::Column;
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// A `[from, to)` time window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
}

/// One line of a per-model or per-account series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupStats {
    /// Model id or account id (`None`: requests that never reached an account).
    pub key: Option<String>,
    pub requests: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// One hour of the per-hour series (hours without requests are omitted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HourStats {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    pub requests: u64,
    pub errors: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The whole `/v2/logs/stats` answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogStats {
    pub range: StatsRange,
    pub total: u64,
    /// Status < 400.
    pub success: u64,
    pub errors: u64,
    /// `success / total`, 0 when there are no requests.
    pub success_rate: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
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

/// Adds the four counters every series has.
fn counters(q: &mut SelectStatement, b: DbBackend) {
    q.expr_as(Func::count(Expr::col(Column::Id)), "requests")
        .expr_as(errors_expr(), "errors")
        .expr_as(sum_of(Column::InputTokens, b), "input_tokens")
        .expr_as(sum_of(Column::OutputTokens, b), "output_tokens");
}

/// Nearest rank (1-based) of percentile `p` among `n` values.
fn rank(p: u64, n: u64) -> u64 {
    std::cmp::max((p * n).div_ceil(100), 1)
}

impl Store {
    /// Aggregates over `[range.from, range.to)`.
    pub async fn log_stats(&self, range: StatsRange) -> Result<LogStats, StoreError> {
        let b = self.db_backend();
        let db = self.db();

        let mut totals = base(range);
        counters(&mut totals, b);
        let row = db.query_one(&totals).await?;
        let (total, errors, input_tokens, output_tokens) = match row {
            Some(r) => (
                u64_at(&r, "requests")?,
                u64_at(&r, "errors")?,
                u64_at(&r, "input_tokens")?,
                u64_at(&r, "output_tokens")?,
            ),
            None => (0, 0, 0, 0),
        };
        let success = total - std::cmp::min(errors, total);

        let latency_ms = self.percentiles(range, Column::DurationMs).await?;
        let ttfb_ms = self.percentiles(range, Column::TtfbMs).await?;

        let model_key: Expr = Func::coalesce([
            Expr::col(Column::ModelUsed),
            Expr::col(Column::ModelRequested),
        ])
        .into();
        let by_model = self.grouped(range, model_key).await?;
        let by_account = self.grouped(range, Expr::col(Column::AccountId)).await?;

        let bucket = Expr::col(Column::At).sub(Expr::col(Column::At).modulo(Expr::cust(HOUR_MS)));
        let mut hours = base(range);
        hours.expr_as(bucket.clone(), "bucket");
        counters(&mut hours, b);
        hours
            .add_group_by([bucket.clone()])
            .order_by_expr(bucket, Order::Asc);
        let by_hour = db
            .query_all(&hours)
            .await?
            .iter()
            .map(|r| {
                Ok(HourStats {
                    hour: from_ms(r.try_get::<i64>("", "bucket")?),
                    requests: u64_at(r, "requests")?,
                    errors: u64_at(r, "errors")?,
                    input_tokens: u64_at(r, "input_tokens")?,
                    output_tokens: u64_at(r, "output_tokens")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        Ok(LogStats {
            range,
            total,
            success,
            errors,
            success_rate: if total == 0 {
                0.0
            } else {
                success as f64 / total as f64
            },
            input_tokens,
            output_tokens,
            latency_ms,
            ttfb_ms,
            by_model,
            by_account,
            by_hour,
        })
    }

    /// Counters grouped by `key`: busiest first, then by key, the `None` group last.
    async fn grouped(&self, range: StatsRange, key: Expr) -> Result<Vec<GroupStats>, StoreError> {
        let b = self.db_backend();
        let mut q = base(range);
        q.expr_as(key.clone(), "group_key");
        counters(&mut q, b);
        q.add_group_by([key]);
        let mut out = self
            .db()
            .query_all(&q)
            .await?
            .iter()
            .map(|r| {
                Ok(GroupStats {
                    key: r.try_get::<Option<String>>("", "group_key")?,
                    requests: u64_at(r, "requests")?,
                    errors: u64_at(r, "errors")?,
                    input_tokens: u64_at(r, "input_tokens")?,
                    output_tokens: u64_at(r, "output_tokens")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Sorted here, not in SQL: backends disagree on where NULL sorts.
        out.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
                .then_with(|| a.key.cmp(&b.key))
        });
        Ok(out)
    }

    /// Exact nearest-rank p50/p90/p99 of a column (NULLs ignored).
    async fn percentiles(&self, range: StatsRange, col: Column) -> Result<Percentiles, StoreError> {
        let db = self.db();
        let mut count = base(range);
        count
            .expr_as(Func::count(Expr::col(col)), "n")
            .and_where(Expr::col(col).is_not_null());
        let n = match db.query_one(&count).await? {
            Some(r) => u64_at(&r, "n")?,
            None => 0,
        };
        if n == 0 {
            return Ok(Percentiles::default());
        }
        let mut out = [None; 3];
        for (slot, p) in out.iter_mut().zip([50u64, 90, 99]) {
            let mut q = base(range);
            q.column(col)
                .and_where(Expr::col(col).is_not_null())
                .order_by(col, Order::Asc)
                .limit(1)
                .offset(rank(p, n) - 1);
            if let Some(r) = db.query_one(&q).await? {
                let v: Option<i64> = r.try_get_by_index(0)?;
                *slot = v.map(|v| u64::try_from(v).unwrap_or(0));
            }
        }
        Ok(Percentiles {
            p50: out[0],
            p90: out[1],
            p99: out[2],
        })
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
