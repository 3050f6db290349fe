//! `/v2/logs*` (shared/ADMIN_API.md §Logs): request-log rows, one row, aggregates, cleanup.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::extract::{Body, Params};
use super::views::{Deleted, LogList, Paging};
use crate::auth::AuditDetail;
use crate::error::Error;
use crate::state::AppState;

/// `GET /v2/logs` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    /// An exact status (`429`) or `error` for every status >= 400.
    status: Option<String>,
    model: Option<String>,
    account_id: Option<String>,
    key_id: Option<String>,
    ip: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// `GET /v2/logs`, newest first.
pub async fn list(
    State(state): State<AppState>,
    Params(q): Params<LogQuery>,
) -> Result<Json<LogList>, Error> {
    let (status, errors_only) =
        match non_empty(q.status).as_deref() {
            None => (None, false),
            Some("error" | "errors") => (None, true),
            Some(s) => (
                Some(s.parse::<u16>().map_err(|_| {
                    Error::field("status", "expected an HTTP status code or `error`")
                })?),
                false,
            ),
        };
    let filter = store::LogFilter {
        from: q.from,
        to: q.to,
        status,
        errors_only,
        model: non_empty(q.model),
        account_id: non_empty(q.account_id),
        key_id: non_empty(q.key_id),
        ip: non_empty(q.ip),
        q: non_empty(q.q),
        // Absent is 0, which the store reads as its defaults (page 1, 50 a page).
        page: q.page.unwrap_or_default(),
        per_page: q.per_page.unwrap_or_default(),
    };
    let page = state.store.list_logs(&filter).await?;
    let (logs, paging) = Paging::split(page, |l| l);
    Ok(Json(LogList { logs, paging }))
}

/// `GET /v2/logs/:id`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<store::RequestLog>, Error> {
    let n: i64 = id
        .parse()
        .map_err(|_| Error::NotFound(format!("log {id} not found")))?;
    let row = state.store.get_log(n).await?;
    row.map(Json)
        .ok_or_else(|| Error::NotFound(format!("log {id} not found")))
}

/// `GET /v2/logs/stats` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    range: Option<String>,
}

/// `GET /v2/logs/stats?range=24h|7d|30d`
pub async fn stats(
    State(state): State<AppState>,
    Params(q): Params<StatsQuery>,
) -> Result<Json<store::LogStats>, Error> {
    let text = q.range.unwrap_or_else(|| "24h".into());
    let range = store::StatsRange::parse(&text, Utc::now())
        .map_err(|e| Error::field("range", e.to_string()))?;
    Ok(Json(state.store.log_stats(range).await?))
}

/// `POST /v2/logs/cleanup` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanupRequest {
    older_than_days: u32,
}

/// `POST /v2/logs/cleanup`: deletes rows older than the given number of days (0 = all).
pub async fn cleanup(
    State(state): State<AppState>,
    Body(req): Body<CleanupRequest>,
) -> Result<axum::response::Response, Error> {
    use axum::response::IntoResponse as _;
    let cutoff = Utc::now() - Duration::days(i64::from(req.older_than_days));
    let deleted = state.store.cleanup_logs(cutoff).await?;
    let mut response = Json(Deleted { deleted }).into_response();
    response
        .extensions_mut()
        .insert(AuditDetail(json!({"deleted": deleted})));
    Ok(response)
}
