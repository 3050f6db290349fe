//! Operations endpoints and request metrics (issue 7 §Operations): `GET /metrics` (Prometheus text,
//! rendered from our own route; optionally also on `metrics.listen`), `GET /healthz`, the
//! per-request counter/histogram middleware and the `x-request-id` header on every response.
//!
//! The Prometheus recorder is process-global (the `metrics` facade allows one), so it is installed
//! once and shared by every server in the process (tests start several).

use std::sync::OnceLock;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus handle (installed on first use). `None` if another recorder owns
/// the process (an embedding application installed its own).
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    120.0,
                ])
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => {
                    describe();
                    Some(h)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics is empty");
                    None
                }
            }
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "gateway_http_requests_total",
        "HTTP requests by surface and status"
    );
    metrics::describe_histogram!(
        "gateway_http_request_duration_seconds",
        "time to response headers, by surface"
    );
    metrics::describe_gauge!("gateway_http_inflight", "requests in flight, by surface");
    metrics::describe_counter!(
        "gateway_guard_rejections_total",
        "requests refused by a guard"
    );
    metrics::describe_counter!("gateway_admin_login_failures_total", "failed admin logins");
    metrics::describe_counter!("gateway_task_restarts_total", "background task restarts");
    metrics::describe_counter!(
        "gateway_upstream_drift_total",
        "upstream answers this build does not recognise, by kind and (bounded) detail (issue 22)"
    );
    metrics::describe_counter!(
        "gateway_pool_refreshes_total",
        "upstream token refreshes by reason (background, request, validation, forced) and result"
    );
}

/// `GET /metrics`
pub async fn render_metrics() -> Response {
    match handle() {
        Some(h) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable\n",
        )
            .into_response(),
    }
}

/// `GET /healthz`: `{"status":"ok"}`, or 503 with the reason when the store does not answer.
pub async fn healthz(State(store): State<store::Store>) -> Response {
    match tokio::time::timeout(std::time::Duration::from_secs(5), store.ping()).await {
        Ok(Ok(())) => Json(json!({"status": "ok"})).into_response(),
        Ok(Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": format!("database: {e}")})),
        )
            .into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": "database: ping timed out"})),
        )
            .into_response(),
    }
}

/// Which part of the API a path belongs to (a low-cardinality label).
pub fn surface(path: &str) -> &'static str {
    if path.starts_with("/v1/") || path == "/v1" {
        "v1"
    } else if path.starts_with("/v2/") || path == "/v2" {
        "admin"
    } else if path == "/healthz" || path == "/metrics" {
        "ops"
    } else {
        "console"
    }
}

/// The three digits of every status code 100–599, one after another: [`status_label`] slices it,
/// so a status becomes a metric label without formatting a `String` per request.
const STATUS_DIGITS: [u8; 1500] = {
    let mut digits = [0u8; 1500];
    let mut i = 0;
    while i < 500 {
        let code = i + 100;
        digits[i * 3] = b'0' + (code / 100) as u8;
        digits[i * 3 + 1] = b'0' + (code / 10 % 10) as u8;
        digits[i * 3 + 2] = b'0' + (code % 10) as u8;
        i += 1;
    }
    digits
};

/// `status` as a static label (`"200"`); `"other"` outside 100–599.
pub fn status_label(status: u16) -> &'static str {
    let Some(i) = status
        .checked_sub(100)
        .map(usize::from)
        .filter(|i| *i < 500)
    else {
        return "other";
    };
    std::str::from_utf8(&STATUS_DIGITS[i * 3..i * 3 + 3]).unwrap_or("other")
}

/// The per-surface series of [`track`], registered once: each request then costs an atomic
/// update, not a key built and looked up in the recorder.
struct SurfaceSeries {
    inflight: metrics::Gauge,
    duration: metrics::Histogram,
}

/// The surfaces [`surface`] returns, in the order of [`SERIES`].
const SURFACES: [&str; 4] = ["v1", "admin", "ops", "console"];

static SERIES: OnceLock<[SurfaceSeries; 4]> = OnceLock::new();

fn series(surface: &'static str) -> &'static SurfaceSeries {
    let all = SERIES.get_or_init(|| {
        SURFACES.map(|surface| SurfaceSeries {
            inflight: metrics::gauge!("gateway_http_inflight", "surface" => surface),
            duration: metrics::histogram!("gateway_http_request_duration_seconds", "surface" => surface),
        })
    });
    let i = SURFACES.iter().position(|s| *s == surface).unwrap_or(3);
    &all[i]
}

/// Middleware: counts requests and time to response headers per surface.
pub async fn track(req: Request, next: Next) -> Response {
    let surface = surface(
        req.extensions()
            .get::<MatchedPath>()
            .map_or(req.uri().path(), MatchedPath::as_str),
    );
    let start = Instant::now();
    let series = series(surface);
    series.inflight.increment(1.0);
    let response = next.run(req).await;
    series.inflight.decrement(1.0);
    let status = status_label(response.status().as_u16());
    metrics::counter!("gateway_http_requests_total", "surface" => surface, "status" => status)
        .increment(1);
    series.duration.record(start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces() {
        assert_eq!(surface("/v1/chat/completions"), "v1");
        assert_eq!(surface("/v2/accounts"), "admin");
        assert_eq!(surface("/healthz"), "ops");
        assert_eq!(surface("/accounts"), "console");
    }

    #[test]
    fn status_labels() {
        assert_eq!(status_label(100), "100");
        assert_eq!(status_label(200), "200");
        assert_eq!(status_label(429), "429");
        assert_eq!(status_label(599), "599");
        assert_eq!(status_label(600), "other");
        assert_eq!(status_label(99), "other");
    }
}
