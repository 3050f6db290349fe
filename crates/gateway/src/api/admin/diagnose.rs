//! `POST /v2/accounts/:id/diagnose` (issue 22 item 1): the account's step-by-step diagnosis,
//! the same code as `claude-server doctor` ([`crate::pool::Pool::diagnose`]; the report schema is
//! documented there). Optional body `{"model": "…"}` picks the model of the test turn.

use axum::Json;
use axum::extract::{Path, State};

use super::extract;
use crate::error::Error;
use crate::pool::{DiagnoseOptions, Report};
use crate::state::AppState;

/// `POST /v2/accounts/:id/diagnose`
pub async fn diagnose(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Body,
) -> Result<Json<Report>, Error> {
    let bytes = extract::raw(body).await?;
    let options: DiagnoseOptions = if bytes.iter().all(u8::is_ascii_whitespace) {
        DiagnoseOptions::default()
    } else {
        extract::parse(&bytes)?
    };
    let not_found = || Error::NotFound(format!("account {id} not found"));
    state.store.get_account(&id).await?.ok_or_else(not_found)?;
    if let Some(report) = state.pool.diagnose(&id, &options).await {
        return Ok(Json(report));
    }
    // Created a moment ago: the pool has not loaded it yet.
    state
        .pool
        .reload()
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let report = state
        .pool
        .diagnose(&id, &options)
        .await
        .ok_or_else(not_found)?;
    Ok(Json(report))
}
