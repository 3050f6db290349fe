//! `/v2/upstream/drift` (issue 22 item 2): what the upstream sent that this build does not know,
//! per kind — counts, per-detail counts and the few recent redacted samples of the pool's
//! [`amazonq::drift::Drift`] recorder. The console's "Upstream changed?" card reads it; `DELETE`
//! forgets everything (after updating the gateway, or once reported).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /v2/upstream/drift`: `{"total", "kinds": [{"kind", "count", "details", "samples", …}]}`,
/// kinds in a fixed order, only those seen.
pub async fn get(State(state): State<AppState>) -> Json<Value> {
    let report = state.pool.drift().report();
    let mut total = 0;
    let kinds: Vec<Value> = amazonq::drift::DriftKind::ALL
        .iter()
        .filter_map(|k| report.get(k).map(|r| (k, r)))
        .map(|(k, r)| {
            total += r.count;
            json!({
                "kind": k.name(),
                "count": r.count,
                "details": r.details,
                "samples": r.samples,
                "first_seen": r.first_seen,
                "last_seen": r.last_seen,
            })
        })
        .collect();
    Json(json!({ "total": total, "kinds": kinds }))
}

/// `DELETE /v2/upstream/drift`: resets the counters and samples (the metric keeps counting).
pub async fn reset(State(state): State<AppState>) -> StatusCode {
    state.pool.drift().reset();
    StatusCode::NO_CONTENT
}
