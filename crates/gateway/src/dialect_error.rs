//! Error bodies on `/v1` in the client's own dialect (shared/research/client-api-conformance.md §1.6
//! OpenAI, §2.6 Anthropic). The guards use it now; the chat handlers reuse it for their own errors.
//!
//! Dialect is chosen by path: `/v1/messages*` speaks Anthropic, everything else OpenAI (the
//! Responses API, `/v1/responses*`, has OpenAI's error shape too).
//!
//! It sits at the crate root, not under `api`, so `guard/` uses it without importing `crate::api`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

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

    /// Label for metrics and the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Responses => "responses",
        }
    }
}

/// Renders `err` as a complete HTTP response in `dialect`.
pub fn render(dialect: Dialect, err: &Error) -> Response {
    err.log_if_internal();
    let status = err.status();
    let body = match dialect {
        Dialect::OpenAi | Dialect::Responses => openai_body(err),
        Dialect::Anthropic => anthropic_body(err),
    };
    let mut response = (status, Json(body)).into_response();
    set_retry_after(&mut response, err);
    if status.is_server_error() {
        // Our own 5xx answers are not transient from the SDK's point of view unless upstream is down.
        let retry = matches!(err, Error::UpstreamUnavailable(_));
        response.headers_mut().insert(
            "x-should-retry",
            HeaderValue::from_static(if retry { "true" } else { "false" }),
        );
    }
    response
}

/// Sets `retry-after` (whole seconds) when `err` tells the client to wait.
pub fn set_retry_after(response: &mut Response, err: &Error) {
    if let Some(secs) = err.retry_after_secs()
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// `{"error":{"message","type","param","code"}}`
pub fn openai_body(err: &Error) -> Value {
    let (kind, code, param): (&str, Option<&str>, Option<String>) = match err {
        Error::Validation { field, .. } => ("invalid_request_error", None, field.clone()),
        Error::Unauthorized(_) => ("invalid_request_error", Some("invalid_api_key"), None),
        Error::Forbidden { code, .. } => ("invalid_request_error", Some(*code), None),
        Error::NotFound(_) => ("invalid_request_error", None, None),
        Error::Conflict(_) => ("invalid_request_error", Some("conflict"), None),
        Error::TooManyRequests { code, .. } => ("rate_limit_exceeded", Some(*code), None),
        Error::PayloadTooLarge { .. } => ("invalid_request_error", Some("request_too_large"), None),
        Error::UpstreamUnavailable(_) => ("server_error", Some("service_unavailable"), None),
        Error::Store(_) | Error::Internal(_) => ("server_error", None, None),
    };
    json!({"error": {"message": err.public_message(), "type": kind, "param": param, "code": code}})
}

/// `{"type":"error","error":{"type","message"}}`
pub fn anthropic_body(err: &Error) -> Value {
    let kind = match err.status() {
        StatusCode::UNAUTHORIZED => "authentication_error",
        StatusCode::FORBIDDEN => "permission_error",
        StatusCode::NOT_FOUND => "not_found_error",
        StatusCode::PAYLOAD_TOO_LARGE => "request_too_large",
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
        StatusCode::SERVICE_UNAVAILABLE => "overloaded_error",
        StatusCode::GATEWAY_TIMEOUT => "timeout_error",
        s if s.is_server_error() => "api_error",
        _ => "invalid_request_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": err.public_message()}})
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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

    #[test]
    fn shapes() {
        let e = Error::Forbidden {
            code: "model_not_allowed",
            message: "no".into(),
        };
        let o = openai_body(&e);
        assert_eq!(o["error"]["code"], "model_not_allowed");
        assert_eq!(o["error"]["type"], "invalid_request_error");
        assert!(o["error"]["param"].is_null());
        let a = anthropic_body(&e);
        assert_eq!(a["type"], "error");
        assert_eq!(a["error"]["type"], "permission_error");
        let e = Error::PayloadTooLarge { limit: 10 };
        assert_eq!(anthropic_body(&e)["error"]["type"], "request_too_large");
        let e = Error::Internal("db password is hunter2".into());
        assert_eq!(openai_body(&e)["error"]["message"], "internal error");
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
    }
}
