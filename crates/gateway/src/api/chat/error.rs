//! The chat handlers' errors (client-api-conformance.md §1.6 OpenAI table, §2.6 Anthropic table):
//! the constructors of [`ApiError`] for translation errors (400 naming the field, 404 unknown
//! model), the pool's errors (no account, all busy, the upstream [`ErrorClass`] after failover)
//! and in-stream errors that happen before any byte was sent. A class gets its status and type
//! names from [`translate::failure::Face`] whether it came as an HTTP answer, a first frame or a
//! mid-stream exception; this file only words the messages and adds `param`, `retry-after` and
//! the context-overflow texts. [`ApiError`] itself and its rendering live in `dialect_error.rs`.
//! Every body carries a non-empty message.

use std::time::Duration;

use amazonq::error::ErrorClass;
use axum::http::StatusCode;
use translate::anthropic::response::prompt_too_long;
use translate::failure::Face;
use translate::ir::{StreamError, StreamErrorKind};
use translate::openai::response::context_length_message;
use translate::{ErrorKind, TranslateError};

pub use crate::dialect_error::ApiError;
use crate::dialect_error::Dialect;
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

impl ApiError {
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
        let mut e = Self::with_face(
            Face::of_class(&ErrorClass::ContextTooLong, dialect.ir()),
            message,
        );
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
                let face = match dialect {
                    Dialect::Anthropic => Face::overloaded(dialect.ir(), "all_busy"),
                    Dialect::OpenAi | Dialect::Responses => Face::rate_limited("all_busy"),
                };
                let mut err = Self::with_face(face, e.to_string());
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

    /// From an upstream error class after the pool gave up (or of an in-stream exception):
    /// the class's [`Face`], a message that says what happened, and the wait hints.
    pub fn from_class(
        class: &ErrorClass,
        message: &str,
        dialect: Dialect,
        prompt: PromptSize,
    ) -> Self {
        let face = Face::of_class(class, dialect.ir());
        let text = match class {
            ErrorClass::ContextTooLong => return Self::context_overflow(dialect, prompt),
            ErrorClass::Throttled { .. } => format!("upstream throttled the request: {message}"),
            ErrorClass::QuotaExhausted { .. } => {
                format!("every upstream account is out of quota: {message}")
            }
            ErrorClass::ModelUnavailable => {
                format!("the model is temporarily unavailable upstream: {message}")
            }
            ErrorClass::InvalidModel => format!("the upstream refused the model: {message}"),
            ErrorClass::BadRequest { message: m } => {
                format!("the upstream rejected the request: {m}")
            }
            ErrorClass::Transient => format!("the upstream is unavailable: {message}"),
            ErrorClass::NeedsRefresh
            | ErrorClass::RefreshTokenDead
            | ErrorClass::Suspended
            | ErrorClass::Forbidden
            | ErrorClass::ProfileRejected => {
                format!("no upstream account could serve the request: {message}")
            }
        };
        let mut e = Self::with_face(face, text);
        match class {
            ErrorClass::Throttled { retry_after } => {
                e.retry_after = Some(retry_after.unwrap_or(Duration::from_secs(5)));
            }
            ErrorClass::InvalidModel => e.param = Some("model".to_owned()),
            _ => {}
        }
        e
    }

    /// From an in-stream error that arrived before anything was sent to the client (or that
    /// ended a non-stream answer): the same answer as the class's HTTP error.
    pub fn from_stream(e: &StreamError, dialect: Dialect, prompt: PromptSize) -> Self {
        match &e.kind {
            StreamErrorKind::Upstream(class) => {
                Self::from_class(class, &e.message, dialect, prompt)
            }
            StreamErrorKind::Interrupted => Self::with_face(Face::interrupted(), e.message.clone()),
        }
    }
}

/// `http(s)://<host>/accounts` as the client addressed this server (`Host`, and
/// `x-forwarded-proto` for a TLS proxy); only the path when the host header is missing or holds
/// anything but host characters (it is echoed back to the same client only).
pub fn console_url(headers: &axum::http::HeaderMap) -> String {
    ConsoleAddr::of(headers).url()
}

/// What [`console_url`] is built from (the `Host` and `X-Forwarded-Proto` headers), kept per
/// request as they came (cheap clones) and formatted only for an answer that names the console.
#[derive(Debug, Clone, Default)]
pub struct ConsoleAddr {
    host: Option<axum::http::HeaderValue>,
    proto: Option<axum::http::HeaderValue>,
}

impl ConsoleAddr {
    pub fn of(headers: &axum::http::HeaderMap) -> Self {
        Self {
            host: headers.get(axum::http::header::HOST).cloned(),
            proto: headers.get("x-forwarded-proto").cloned(),
        }
    }

    /// The console's accounts page.
    pub fn url(&self) -> String {
        console_url_of(self.host.as_ref(), self.proto.as_ref())
    }
}

fn console_url_of(
    host: Option<&axum::http::HeaderValue>,
    proto: Option<&axum::http::HeaderValue>,
) -> String {
    let host = host.and_then(|v| v.to_str().ok()).filter(|h| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
    });
    let Some(host) = host else {
        return "/accounts".to_owned();
    };
    let https = proto
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}/accounts", if https { "https" } else { "http" })
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderValue, header};

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
