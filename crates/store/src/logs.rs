//! The request log (issue 7 "Request log", ADMIN_API.md `/v2/logs`): one row per `/v1` request in
//! the original's `request_logs` table; filters, paging, single-row reads, retention cleanup and
//! the batch insert the log writer uses. Aggregates live in `stats.rs`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait as _, Condition, DerivePartialModel, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _, TransactionTrait as _,
};
use serde::{Deserialize, Serialize};

use crate::entity::request_logs::{self, Column, Entity};
use crate::page::{Page, SortBy};
use crate::query::Filters;
use crate::time::{from_ms, to_ms};
use crate::{Store, StoreError};

/// Stored bodies are capped here whatever the caller sent (the gateway caps and redacts first).
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Rows per INSERT statement: 18 columns × 500 stays far below every backend's parameter limit.
const INSERT_CHUNK: usize = 256;
/// Rows per DELETE during cleanup, so a large purge never holds the write lock for long.
const DELETE_CHUNK: u64 = 5000;

/// The tokens of a request as the upstream counted them, or of several summed (the stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::ops::AddAssign for TokenUsage {
    fn add_assign(&mut self, o: Self) {
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
    }
}

/// A row to write. `at` is when the request arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewRequestLog {
    pub at: DateTime<Utc>,
    pub client_ip: String,
    pub key_id: Option<String>,
    pub account_id: Option<String>,
    pub model_requested: String,
    pub model_used: Option<String>,
    /// `openai` or `anthropic`.
    pub dialect: String,
    pub stream: bool,
    pub status: u16,
    /// e.g. `throttled`, `upstream_5xx`, `timeout`, `invalid_request`.
    pub error_class: Option<String>,
    #[serde(flatten)]
    pub tokens: TokenUsage,
    /// Time to first byte sent to the client.
    pub ttfb_ms: Option<u64>,
    pub duration_ms: u64,
    /// Normalizer rules that changed the request.
    pub rules_fired: Vec<String>,
    /// Only when `debugLog` is on (redacted, capped by the gateway).
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

/// A stored row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RequestLog {
    pub id: i64,
    #[serde(flatten)]
    pub log: NewRequestLog,
}

/// `GET /v2/logs` filters. Time bounds are `from <= at < to`.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<u16>,
    /// Only rows with status >= 400.
    pub errors_only: bool,
    /// Matches the requested or the used model.
    pub model: Option<String>,
    pub account_id: Option<String>,
    pub key_id: Option<String>,
    pub ip: Option<String>,
    /// Case-insensitive substring of models, error class, client IP or account id.
    pub q: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

/// The listing shape: every column but the bodies.
#[derive(Clone, Debug, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
struct LogRow {
    id: i64,
    at: i64,
    client_ip: String,
    key_id: Option<String>,
    account_id: Option<String>,
    model_requested: String,
    model_used: Option<String>,
    dialect: String,
    stream: bool,
    status: i32,
    error_class: Option<String>,
    input_tokens: i64,
    output_tokens: i64,
    ttfb_ms: Option<i64>,
    duration_ms: i64,
    rules_fired: Option<String>,
}

/// One row with its bodies (single-row reads).
#[derive(Clone, Debug, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
struct LogRowWithBodies {
    #[sea_orm(nested)]
    row: LogRow,
    request_body: Option<String>,
    response_body: Option<String>,
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn cap(body: Option<&String>) -> Option<String> {
    body.map(|b| {
        if b.len() <= MAX_BODY_BYTES {
            return b.clone();
        }
        let mut end = MAX_BODY_BYTES;
        while !b.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…[truncated]", &b[..end])
    })
}

fn rules_of(text: Option<&str>) -> Vec<String> {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

impl LogRow {
    fn into_log(self, request_body: Option<String>, response_body: Option<String>) -> RequestLog {
        RequestLog {
            id: self.id,
            log: NewRequestLog {
                at: from_ms(self.at),
                client_ip: self.client_ip,
                key_id: self.key_id,
                account_id: self.account_id,
                model_requested: self.model_requested,
                model_used: self.model_used,
                dialect: self.dialect,
                stream: self.stream,
                status: u16::try_from(self.status).unwrap_or(0),
                error_class: self.error_class,
                tokens: TokenUsage {
                    input_tokens: u64_of(self.input_tokens),
                    output_tokens: u64_of(self.output_tokens),
                },
                ttfb_ms: self.ttfb_ms.map(u64_of),
                duration_ms: u64_of(self.duration_ms),
                rules_fired: rules_of(self.rules_fired.as_deref()),
                request_body,
                response_body,
            },
        }
    }
}

fn to_active(l: &NewRequestLog) -> request_logs::ActiveModel {
    request_logs::ActiveModel {
        id: NotSet,
        at: Set(to_ms(l.at)),
        client_ip: Set(l.client_ip.clone()),
        key_id: Set(l.key_id.clone()),
        account_id: Set(l.account_id.clone()),
        model_requested: Set(l.model_requested.clone()),
        model_used: Set(l.model_used.clone()),
        dialect: Set(l.dialect.clone()),
        stream: Set(l.stream),
        status: Set(i32::from(l.status)),
        error_class: Set(l.error_class.clone()),
        input_tokens: Set(i64_of(l.tokens.input_tokens)),
        output_tokens: Set(i64_of(l.tokens.output_tokens)),
        ttfb_ms: Set(l.ttfb_ms.map(i64_of)),
        duration_ms: Set(i64_of(l.duration_ms)),
        rules_fired: Set(if l.rules_fired.is_empty() {
            None
        } else {
            serde_json::to_string(&l.rules_fired).ok()
        }),
        request_body: Set(cap(l.request_body.as_ref())),
        response_body: Set(cap(l.response_body.as_ref())),
    }
}

fn filter_condition(f: &LogFilter) -> Condition {
    let model = f.model.as_deref().map(|m| {
        Condition::any()
            .add(Column::ModelRequested.eq(m))
            .add(Column::ModelUsed.eq(m))
    });
    let searched = [
        Column::ModelRequested,
        Column::ModelUsed,
        Column::ErrorClass,
        Column::ClientIp,
        Column::AccountId,
    ];
    Filters::new()
        .within(Column::At, f.from, f.to)
        .eq(Column::Status, f.status.map(i32::from))
        .when(f.errors_only.then(|| Column::Status.gte(400)))
        .when(model)
        .eq(Column::AccountId, f.account_id.as_deref())
        .eq(Column::KeyId, f.key_id.as_deref())
        .eq(Column::ClientIp, f.ip.as_deref())
        .search(&searched, f.q.as_deref())
        .all()
}

impl Store {
    /// Writes one row (tests and low-volume callers; the gateway uses the batch writer).
    pub async fn insert_log(&self, log: &NewRequestLog) -> Result<(), StoreError> {
        self.insert_logs_batch(std::slice::from_ref(log))
            .await
            .map(|_| ())
    }

    /// Writes rows in one transaction (all or none), in chunks of 500 per statement.
    pub async fn insert_logs_batch(&self, logs: &[NewRequestLog]) -> Result<u64, StoreError> {
        if logs.is_empty() {
            return Ok(0);
        }
        let txn = self.db().begin().await?;
        let mut rest = logs;
        while !rest.is_empty() {
            // Statements of power-of-two row counts only: each row count is its own SQL text, and
            // the driver's prepared-statement cache only helps when the text repeats. Arbitrary
            // batch sizes made SQLite parse a fresh multi-row INSERT on nearly every flush, which
            // cost more CPU than binding the rows.
            let n = 1usize << rest.len().min(INSERT_CHUNK).ilog2();
            let (chunk, tail) = rest.split_at(n);
            Entity::insert_many(chunk.iter().map(to_active))
                .exec_without_returning(&txn)
                .await?;
            rest = tail;
        }
        txn.commit().await?;
        Ok(logs.len() as u64)
    }

    /// Rows matching `filter`, newest first, without bodies (read one row for those).
    pub async fn list_logs(&self, filter: &LogFilter) -> Result<Page<RequestLog>, StoreError> {
        let filtered = Entity::find().filter(filter_condition(filter));
        let sort = SortBy::newest_first(Column::At, Column::Id);
        let rows: Page<LogRow> = self
            .page(filtered, sort, (filter.page, filter.per_page))
            .await?;
        Ok(rows.map(|r| r.into_log(None, None)))
    }

    /// One row with its bodies.
    pub async fn get_log(&self, id: i64) -> Result<Option<RequestLog>, StoreError> {
        let row = Entity::find_by_id(id)
            .into_partial_model::<LogRowWithBodies>()
            .one(self.db())
            .await?;
        Ok(row.map(|r| r.row.into_log(r.request_body, r.response_body)))
    }

    /// Number of rows matching `filter` (ignores paging).
    pub async fn count_logs(&self, filter: &LogFilter) -> Result<u64, StoreError> {
        Ok(Entity::find()
            .filter(filter_condition(filter))
            .count(self.db())
            .await?)
    }

    /// Deletes rows older than `older_than` (retention and `POST /v2/logs/cleanup`), in chunks so
    /// other writers are never blocked for long. Returns how many rows were deleted.
    pub async fn cleanup_logs(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = to_ms(older_than);
        let mut deleted = 0;
        loop {
            let ids: Vec<i64> = Entity::find()
                .select_only()
                .column(Column::Id)
                .filter(Column::At.lt(cutoff))
                .order_by_asc(Column::Id)
                .limit(DELETE_CHUNK)
                .into_tuple()
                .all(self.db())
                .await?;
            if ids.is_empty() {
                return Ok(deleted);
            }
            let n = ids.len() as u64;
            let res = Entity::delete_many()
                .filter(Column::Id.is_in(ids))
                .exec(self.db())
                .await?;
            deleted += res.rows_affected;
            if n < DELETE_CHUNK {
                return Ok(deleted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_capped_on_char_boundaries() {
        let big = "é".repeat(MAX_BODY_BYTES);
        let capped = cap(Some(&big)).unwrap();
        assert!(capped.len() <= MAX_BODY_BYTES + "…[truncated]".len());
        assert!(capped.ends_with("…[truncated]"));
        assert_eq!(cap(Some(&"x".to_owned())).unwrap(), "x");
    }

    #[test]
    fn rules_decode_leniently() {
        assert_eq!(rules_of(Some(r#"["a","b"]"#)), vec!["a", "b"]);
        assert!(rules_of(Some("not json")).is_empty());
        assert!(rules_of(None).is_empty());
    }
}
