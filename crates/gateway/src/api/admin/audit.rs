//! `GET /v2/audit` (shared/ADMIN_API.md): admin actions — who, what, when, from which IP.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::extract::Params;
use super::views::{AuditList, Paging};
use crate::error::Error;
use crate::state::AppState;

/// Filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// `GET /v2/audit`, newest first.
pub async fn list(
    State(state): State<AppState>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<AuditList>, Error> {
    let filter = store::AuditFilter {
        action: q.action.filter(|s| !s.is_empty()),
        actor: q.actor.filter(|s| !s.is_empty()),
        target: q.target.filter(|s| !s.is_empty()),
        from: q.from,
        to: q.to,
        // Absent is 0, which the store reads as its defaults (page 1, 50 a page).
        page: q.page.unwrap_or_default(),
        per_page: q.per_page.unwrap_or_default(),
    };
    let page = state.store.list_audit(&filter).await?;
    let (entries, paging) = Paging::split(page, |e| e);
    Ok(Json(AuditList { entries, paging }))
}
