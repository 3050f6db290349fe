//! Errors of the chat handlers, rendered in the client's dialect with the status the client doc
//! prescribes (client-api-conformance.md §1.6 OpenAI table, §2.6 Anthropic table).
//!
//! [`ApiError`] is the one error type of this layer. It is built from the translation errors
//! (400 naming the field, 404 unknown model), the pool's errors (upstream classes → 429/529/503/400
//! …) and in-stream errors that happen before any byte was sent. Its type names follow the same
//! status → type tables as `api/dialect_error.rs`, which keeps rendering the guard's errors; this
//! layer adds what those tables lack (`model_not_found`, `context_length_exceeded`, 529,
//! `retry-after-ms`, `x-should-retry`). Every body carries a non-empty message; the
//! Anthropic body also carries `request_id` (the SDK's `ErrorResponse` has the field).

use std::time::Duration;

use amazonq::error::ErrorClass;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use translate::anthropic::response::prompt_too_long;
use translate::ir::{StreamError, StreamErrorKind};
use translate::openai::response::context_length_message;
use translate::{ErrorKind, TranslateError};

use crate::api::dialect_error::Dialect;
use crate::pool::PoolError;

/// Status used in logs when the client went away before an answer (nginx's convention).
pub const CLIENT_CLOSED: u16 = 499;

/// The prompt's size against the model's limit (catalog `maxInputTokens`, else the built-in
/// window): the two numbers of the prompt-too-long texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptSize {
    pub tokens: u32,
    pub limit: u32,
}

impl PromptSize {
    /// Over the limit: the pre-flight guard answers without calling upstream.
    pub fn too_long(self) -> bool {
        self.tokens > self.limit
    }
}

/// A chat request failed before streaming started.
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
    fn new(status: StatusCode, class: &'static str, message: impl Into<String>) -> Self {
        let (anthropic_type, openai_type) = default_types(status);
        Self {
            status,
            anthropic_type,
            openai_type,
            code: None,
            param: None,
            message: message.into(),
            retry_after: None,
            should_retry: None,
            class,
        }
    }

    /// 400 `invalid_request_error` naming `param`.
    pub fn invalid(param: Option<String>, message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::BAD_REQUEST, "invalid_request", message);
        e.param = param;
        e
    }

    /// 404 for a model name the alias table does not know.
    pub fn model_not_found(model: &str) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            "model_not_found",
            format!("The model `{model}` does not exist or you do not have access to it."),
        );
        e.code = Some("model_not_found");
        e.param = Some("model".to_owned());
        e
    }

    /// Context overflow: the exact texts Claude Code and Cline parse (§2.6, §1.6). When the
    /// upstream refused a prompt the local count puts under the limit, N is still above M
    /// (Claude Code compacts on both numbers).
    pub fn context_overflow(dialect: Dialect, prompt: PromptSize) -> Self {
        let window = prompt.limit;
        let tokens = prompt.tokens.max(window.saturating_add(1));
        let message = match dialect {
            Dialect::Anthropic => prompt_too_long(tokens, window),
            Dialect::OpenAi | Dialect::Responses => context_length_message(window, tokens),
        };
        let mut e = Self::new(StatusCode::BAD_REQUEST, "context_too_long", message);
        e.code = Some("context_length_exceeded");
        e.param = Some("messages".to_owned());
        e
    }

    /// The client went away; nobody reads this body, it only feeds the log.
    pub fn client_closed() -> Self {
        Self::new(
            StatusCode::from_u16(CLIENT_CLOSED).unwrap_or(StatusCode::BAD_REQUEST),
            "client_closed",
            "client closed the request",
        )
    }

    /// A bug or unexpected state; the cause is logged, not shown.
    pub fn internal(cause: &str) -> Self {
        tracing::error!(cause, "chat request failed");
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        );
        e.should_retry = Some(false);
        e
    }

    /// Upstream overloaded / throttled: Anthropic 529, OpenAI 503 (§1.6 "the OpenAI analogue of 529").
    fn overloaded(dialect: Dialect, class: &'static str, message: String) -> Self {
        let status = match dialect {
            Dialect::Anthropic => {
                StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
            }
            Dialect::OpenAi | Dialect::Responses => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut e = Self::new(status, class, message);
        e.anthropic_type = "overloaded_error";
        e.code = Some("service_unavailable");
        e.should_retry = Some(true);
        e
    }

    /// From a translation error (parse, validation, model resolution).
    pub fn from_translate(e: &TranslateError) -> Self {
        match e.kind() {
            ErrorKind::ModelNotFound => match e {
                TranslateError::ModelNotFound { model } => Self::model_not_found(model),
                TranslateError::InvalidRequest { .. } => Self::model_not_found(""),
            },
            ErrorKind::InvalidRequest => Self::invalid(e.param().map(str::to_owned), e.to_string()),
        }
    }

    /// From the pool's failure to open a stream. `console` is the console's accounts page, named
    /// when no account can serve (issue 17 item 6: say what is wrong and where to fix it).
    pub fn from_pool(e: &PoolError, dialect: Dialect, prompt: PromptSize, console: &str) -> Self {
        match e {
            PoolError::NotConfigured => {
                let mut err = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "no_accounts",
                    format!(
                        "no upstream account is configured on this gateway yet: add a Kiro / \
                         Amazon Q account in the admin console at {console} (or POST \
                         /v2/accounts), then retry"
                    ),
                );
                err.code = Some("service_unavailable");
                err.should_retry = Some(false);
                err
            }
            PoolError::NoAccounts(_) => {
                let mut err = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "no_accounts",
                    format!("{e}. Manage the accounts in the admin console at {console}"),
                );
                err.code = Some("service_unavailable");
                err.should_retry = Some(false);
                err
            }
            PoolError::QuotaExhausted { resets_at } => {
                let mut err = Self::from_class(
                    &ErrorClass::QuotaExhausted {
                        resets_at: *resets_at,
                        period: amazonq::error::QuotaPeriod::Monthly,
                    },
                    "",
                    dialect,
                    prompt,
                );
                err.message = format!("{e}; add an account with quota at {console}");
                err.retry_after = resets_at
                    .and_then(|r| (r - chrono::Utc::now()).to_std().ok())
                    .filter(|d| !d.is_zero());
                err
            }
            PoolError::AllBusy { retry_after, .. } => {
                let mut err = match dialect {
                    Dialect::Anthropic => Self::overloaded(dialect, "all_busy", e.to_string()),
                    Dialect::OpenAi | Dialect::Responses => {
                        Self::rate_limited("all_busy", e.to_string())
                    }
                };
                err.retry_after = Some(*retry_after);
                err
            }
            PoolError::Upstream { class, message, .. } => {
                Self::from_class(class, message, dialect, prompt)
            }
            PoolError::Cancelled => Self::client_closed(),
            PoolError::Internal(cause) => Self::internal(cause),
        }
    }

    fn rate_limited(class: &'static str, message: String) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, class, message);
        e.code = Some("rate_limit_exceeded");
        e
    }

    /// From an upstream error class after the pool gave up.
    pub fn from_class(
        class: &ErrorClass,
        message: &str,
        dialect: Dialect,
        prompt: PromptSize,
    ) -> Self {
        match class {
            ErrorClass::ContextTooLong => Self::context_overflow(dialect, prompt),
            ErrorClass::Throttled { retry_after } => {
                let mut e = Self::rate_limited(
                    "throttled",
                    format!("upstream throttled the request: {message}"),
                );
                e.retry_after = Some(retry_after.unwrap_or(Duration::from_secs(5)));
                e
            }
            ErrorClass::QuotaExhausted { .. } => {
                let mut e = Self::rate_limited(
                    "quota_exhausted",
                    format!("every upstream account is out of quota: {message}"),
                );
                e.openai_type = "insufficient_quota";
                e.code = Some("insufficient_quota");
                e.should_retry = Some(false);
                e
            }
            ErrorClass::ModelUnavailable => Self::overloaded(
                dialect,
                "model_unavailable",
                format!("the model is temporarily unavailable upstream: {message}"),
            ),
            ErrorClass::InvalidModel => {
                let mut e = Self::invalid(
                    Some("model".to_owned()),
                    format!("the upstream refused the model: {message}"),
                );
                e.code = Some("model_not_found");
                e.class = "invalid_model";
                e
            }
            ErrorClass::BadRequest { message: m } => {
                let mut e = Self::invalid(None, format!("the upstream rejected the request: {m}"));
                e.class = "upstream_bad_request";
                e
            }
            ErrorClass::Transient => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "upstream_unavailable",
                    format!("the upstream is unavailable: {message}"),
                );
                e.code = Some("service_unavailable");
                e.should_retry = Some(true);
                e
            }
            ErrorClass::NeedsRefresh
            | ErrorClass::RefreshTokenDead
            | ErrorClass::Suspended
            | ErrorClass::Forbidden
            | ErrorClass::ProfileRejected => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "upstream_accounts",
                    format!("no upstream account could serve the request: {message}"),
                );
                e.code = Some("service_unavailable");
                e.should_retry = Some(false);
                e
            }
        }
    }

    /// From an in-stream error that arrived before anything was sent to the client.
    pub fn from_stream(e: &StreamError, dialect: Dialect, prompt: PromptSize) -> Self {
        match e.kind {
            StreamErrorKind::ContextOverflow => Self::context_overflow(dialect, prompt),
            StreamErrorKind::Overloaded => {
                Self::overloaded(dialect, "throttled", e.message.clone())
            }
            StreamErrorKind::Upstream => {
                let mut err = Self::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_exception",
                    e.message.clone(),
                );
                err.should_retry = Some(true);
                err
            }
            StreamErrorKind::Interrupted => {
                let mut err =
                    Self::new(StatusCode::BAD_GATEWAY, "stream_failed", e.message.clone());
                err.should_retry = Some(true);
                err
            }
        }
    }

    /// The complete HTTP response in `dialect`.
    pub fn render(&self, dialect: Dialect, request_id: &str) -> Response {
        let body = match dialect {
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
            let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
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

/// Dialect type names implied by a status (§1.6, §2.6).
fn default_types(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        401 => ("authentication_error", "invalid_request_error"),
        403 => ("permission_error", "invalid_request_error"),
        404 => ("not_found_error", "invalid_request_error"),
        413 => ("request_too_large", "invalid_request_error"),
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        504 => ("timeout_error", "server_error"),
        529 => ("overloaded_error", "server_error"),
        s if s >= 500 => ("api_error", "server_error"),
        _ => ("invalid_request_error", "invalid_request_error"),
    }
}

/// `http(s)://<host>/accounts` as the client addressed this server (`Host`, and
/// `x-forwarded-proto` for a TLS proxy); only the path when the host header is missing or holds
/// anything but host characters (it is echoed back to the same client only).
pub fn console_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        });
    let Some(host) = host else {
        return "/accounts".to_owned();
    };
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}/accounts", if https { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_overflow_texts() {
        let p = |tokens, limit| PromptSize { tokens, limit };
        let a = ApiError::context_overflow(Dialect::Anthropic, p(250_000, 200_000));
        assert_eq!(
            a.message,
            "prompt is too long: 250000 tokens > 200000 maximum"
        );
        assert_eq!(a.status, StatusCode::BAD_REQUEST);
        assert_eq!(a.anthropic_type, "invalid_request_error");
        let o = ApiError::context_overflow(Dialect::OpenAi, p(10, 200_000));
        assert_eq!(o.code, Some("context_length_exceeded"));
        assert!(
            o.message
                .starts_with("This model's maximum context length is 200000 tokens")
        );
        // The model's own limit (catalog maxInputTokens) is the M of the text.
        let m = ApiError::context_overflow(Dialect::Anthropic, p(1_200_000, 1_000_000));
        assert_eq!(
            m.message,
            "prompt is too long: 1200000 tokens > 1000000 maximum"
        );
        assert!(p(11, 10).too_long() && !p(10, 10).too_long());
    }

    #[test]
    fn throttling_maps_to_429_with_retry_after() {
        let e = ApiError::from_class(
            &ErrorClass::Throttled {
                retry_after: Some(Duration::from_millis(1500)),
            },
            "slow down",
            Dialect::Anthropic,
            PromptSize {
                tokens: 1,
                limit: 2,
            },
        );
        let r = e.render(Dialect::Anthropic, "req_1");
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(r.headers()["retry-after-ms"], "1500");
        let p = PromptSize {
            tokens: 1,
            limit: 2,
        };
        let m = ApiError::from_class(&ErrorClass::ModelUnavailable, "x", Dialect::Anthropic, p);
        assert_eq!(m.status.as_u16(), 529);
        let m = ApiError::from_class(&ErrorClass::ModelUnavailable, "x", Dialect::OpenAi, p);
        assert_eq!(m.status.as_u16(), 503);
    }

    #[test]
    fn the_console_url_follows_the_host_the_client_used() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(console_url(&h), "/accounts");
        h.insert(header::HOST, HeaderValue::from_static("gw.example:8080"));
        assert_eq!(console_url(&h), "http://gw.example:8080/accounts");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(console_url(&h), "https://gw.example:8080/accounts");
        h.insert(header::HOST, HeaderValue::from_static("evil\"><script>"));
        assert_eq!(console_url(&h), "/accounts");
    }
}
