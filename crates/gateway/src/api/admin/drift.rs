//! `/v2/upstream/drift` (issue 22 item 2): what the upstream sent that this build does not know,
//! per kind — counts, per-detail counts and the few recent redacted samples of the pool's
//! [`amazonq::drift::Drift`] recorder. The console's "Upstream changed?" card reads it; `DELETE`
//! forgets everything (after updating the gateway, or once reported).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::views::{DriftKindReport, DriftReport};
use crate::state::AppState;

/// `GET /v2/upstream/drift`: `{"total", "kinds": [{"kind", "count", "details", "samples", …}]}`,
/// kinds in a fixed order, only those seen.
pub async fn get(State(state): State<AppState>) -> Json<DriftReport> {
    let mut report = state.pool.drift().report();
    let kinds: Vec<DriftKindReport> = amazonq::drift::DriftKind::ALL
        .into_iter()
        .filter_map(|kind| {
            report
                .remove(&kind)
                .map(|report| DriftKindReport { kind, report })
        })
        .collect();
    let total = kinds.iter().map(|k| k.report.count).sum();
    Json(DriftReport { total, kinds })
}

/// `DELETE /v2/upstream/drift`: resets the counters and samples (the metric keeps counting).
pub async fn reset(State(state): State<AppState>) -> StatusCode {
    state.pool.drift().reset();
    StatusCode::NO_CONTENT
}
