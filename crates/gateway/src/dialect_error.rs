//! Error answers on `/v1` in the client's own dialect (shared/research/client-api-conformance.md
//! §1.6 OpenAI, §2.6 Anthropic): [`ApiError`] is the one error body of `/v1`, and
//! [`ApiError::render`] the one place that writes it, per dialect. The guards' [`Error`]s become
//! an `ApiError` through `From`; the chat handlers build theirs from upstream classes
//! (`api/chat/error.rs`). Status and type names come from one table, [`translate::failure::Face`],
//! which the in-stream error events of the encoders read too.
//!
//! Dialect is chosen by path: `/v1/messages*` speaks Anthropic, everything else OpenAI (the
//! Responses API, `/v1/responses*`, has OpenAI's error shape too).
//!
//! It sits at the crate root, not under `api`, so `guard/` uses it without importing `crate::api`.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use translate::failure::Face;

use crate::error::Error;

/// Which client wire format an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI Chat Completions.
    OpenAi,
    /// Anthropic Messages.
    Anthropic,
    /// OpenAI Responses (`/v1/responses`): errors in the OpenAI shape, its own label in logs.
    Responses,
}

impl Dialect {
    /// `/v1/messages` and `/v1/messages/count_tokens` are Anthropic; the rest is OpenAI.
    pub fn from_path(path: &str) -> Self {
        if path == "/v1/messages" || path.starts_with("/v1/messages/") {
            Self::Anthropic
        } else if path == "/v1/responses" || path.starts_with("/v1/responses/") {
            Self::Responses
        } else {
            Self::OpenAi
        }
    }

    /// The translation layer's dialect: Responses shares OpenAI's error and status choices.
    pub fn ir(self) -> translate::ir::Dialect {
        match self {
            Self::Anthropic => translate::ir::Dialect::Anthropic,
            Self::OpenAi | Self::Responses => translate::ir::Dialect::OpenAi,
        }
    }

    /// Label for metrics and the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Responses => "responses",
        }
    }
}

/// A `/v1` request failed before its answer started.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Anthropic `error.type`.
    pub anthropic_type: &'static str,
    /// OpenAI `error.type`.
    pub openai_type: &'static str,
    /// OpenAI `error.code`.
    pub code: Option<&'static str>,
    /// OpenAI `error.param`.
    pub param: Option<String>,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// `x-should-retry` for the SDKs (only sent when set).
    pub should_retry: Option<bool>,
    /// Low-cardinality label for the request log and metrics.
    pub class: &'static str,
}

impl ApiError {
    /// The types `status` implies ([`Face::of_status`]).
    pub fn new(status: StatusCode, class: &'static str, message: impl Into<String>) -> Self {
        Self::with_face(Face::of_status(status.as_u16(), class), message)
    }

    /// An error that looks like `face`.
    pub fn with_face(face: Face, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::from_u16(face.status).unwrap_or(StatusCode::BAD_GATEWAY),
            anthropic_type: face.anthropic_type,
            openai_type: face.openai_type,
            code: face.code,
            param: None,
            message: message.into(),
            retry_after: None,
            should_retry: face.should_retry,
            class: face.label,
        }
    }

    /// The complete HTTP response in `dialect`; the Anthropic body names `request_id` when there
    /// is one (the SDK's `ErrorResponse` has the field).
    pub fn render(&self, dialect: Dialect, request_id: &str) -> Response {
        let body = match dialect {
            Dialect::Anthropic if request_id.is_empty() => json!({
                "type": "error",
                "error": {"type": self.anthropic_type, "message": self.message},
            }),
            Dialect::Anthropic => json!({
                "type": "error",
                "error": {"type": self.anthropic_type, "message": self.message},
                "request_id": request_id,
            }),
            Dialect::OpenAi | Dialect::Responses => json!({"error": {
                "message": self.message,
                "type": self.openai_type,
                "param": self.param,
                "code": self.code,
            }}),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(d) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs(d).to_string()) {
                headers.insert(header::RETRY_AFTER, v);
            }
            if let Ok(v) = HeaderValue::from_str(&d.as_millis().to_string()) {
                headers.insert("retry-after-ms", v);
            }
        }
        if let Some(retry) = self.should_retry {
            headers.insert(
                "x-should-retry",
                HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
        }
        response
    }
}

/// A guard's (or any gateway) error as a `/v1` body: the status table gives the types, the
/// variant adds the OpenAI code and param.
impl From<&Error> for ApiError {
    fn from(err: &Error) -> Self {
        let mut e = Self::new(err.status(), err.kind(), err.public_message());
        match err {
            Error::Validation { field, .. } => e.param.clone_from(field),
            Error::Unauthorized(_) => e.code = Some("invalid_api_key"),
            Error::Forbidden { code, .. } | Error::TooManyRequests { code, .. } => {
                e.code = Some(code);
            }
            Error::Conflict(_) => e.code = Some("conflict"),
            Error::PayloadTooLarge { .. } => e.code = Some("request_too_large"),
            Error::UpstreamUnavailable(_) => e.code = Some("service_unavailable"),
            Error::NotFound(_) | Error::Store(_) | Error::Internal(_) => {}
        }
        if let Error::TooManyRequests { retry_after, .. } = err {
            e.retry_after = Some(*retry_after);
        }
        if e.status.is_server_error() {
            // Our own 5xx answers are not transient from the SDK's point of view unless upstream
            // is down.
            e.should_retry = Some(matches!(err, Error::UpstreamUnavailable(_)));
        }
        e
    }
}

/// Renders `err` as a complete HTTP response in `dialect`.
pub fn render(dialect: Dialect, err: &Error) -> Response {
    err.log_if_internal();
    ApiError::from(err).render(dialect, "")
}

/// Sets `retry-after` (whole seconds) when `err` tells the client to wait (the admin API and the
/// console pages, which have bodies of their own).
pub fn set_retry_after(response: &mut Response, err: &Error) {
    if let Some(secs) = err.retry_after_secs()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// `retry-after` in whole seconds: rounded up, at least 1.
fn retry_after_secs(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_by_path() {
        assert_eq!(Dialect::from_path("/v1/messages"), Dialect::Anthropic);
        assert_eq!(
            Dialect::from_path("/v1/messages/count_tokens"),
            Dialect::Anthropic
        );
        assert_eq!(Dialect::from_path("/v1/chat/completions"), Dialect::OpenAi);
        assert_eq!(Dialect::from_path("/v1/messagesx"), Dialect::OpenAi);
        assert_eq!(Dialect::from_path("/v1/responses"), Dialect::Responses);
    }

    async fn body(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn shapes() {
        let e = Error::Forbidden {
            code: "model_not_allowed",
            message: "no".into(),
        };
        let o = body(render(Dialect::OpenAi, &e)).await;
        assert_eq!(o["error"]["code"], "model_not_allowed");
        assert_eq!(o["error"]["type"], "invalid_request_error");
        assert!(o["error"]["param"].is_null());
        let a = body(render(Dialect::Anthropic, &e)).await;
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "permission_error");
        assert!(a.get("request_id").is_none(), "{a}");
        let e = Error::PayloadTooLarge { limit: 10 };
        let a = body(render(Dialect::Anthropic, &e)).await;
        assert_eq!(a["error"]["type"], "request_too_large");
        let e = Error::Internal("db password is hunter2".into());
        let r = render(Dialect::Responses, &e);
        assert_eq!(r.headers()["x-should-retry"], "false");
        assert_eq!(body(r).await["error"]["message"], "internal error");
        let e = Error::field("messages", "empty");
        let o = body(render(Dialect::OpenAi, &e)).await;
        assert_eq!(o["error"]["param"], "messages");
    }

    #[test]
    fn retry_after_header() {
        let e = Error::TooManyRequests {
            code: "rate_limited",
            message: "slow down".into(),
            retry_after: Duration::from_millis(1500),
        };
        let r = render(Dialect::Anthropic, &e);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(r.headers()["retry-after-ms"], "1500");
    }
}
