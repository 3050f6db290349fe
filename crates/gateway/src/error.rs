//! The gateway's one internal error type. It carries no wire format: `api/admin/error.rs` renders it
//! as `{"error":{"code","message"}}` (shared/ADMIN_API.md) and `api/dialect_error.rs` renders it in
//! the client's dialect on `/v1`. `kind()` is the low-cardinality label for metrics and the request log.

use std::time::Duration;

use store::StoreError;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input; `field` names the offending field when known.
    #[error("{message}")]
    Validation {
        /// The field at fault.
        field: Option<String>,
        /// Human-readable reason.
        message: String,
    },
    /// Not logged in / no or wrong API key.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated but not allowed (blocked IP, model scope, CSRF, loopback-only).
    #[error("{message}")]
    Forbidden {
        /// Stable snake_case code (e.g. `ip_blocked`, `model_not_allowed`).
        code: &'static str,
        /// Human-readable reason.
        message: String,
    },
    /// Unknown id or path.
    #[error("{0}")]
    NotFound(String),
    /// Duplicate or conflicting state.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests (rate limit, concurrency, login lockout).
    #[error("{message}")]
    TooManyRequests {
        /// `rate_limited`, `concurrency_limited` or `locked_out`.
        code: &'static str,
        /// Human-readable reason.
        message: String,
        /// Sent as `retry-after` (seconds, rounded up).
        retry_after: Duration,
    },
    /// Request body over the configured cap.
    #[error("request body exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The upstream (or the component that talks to it) is not available.
    #[error("{0}")]
    UpstreamUnavailable(String),
    /// The database failed.
    #[error("store error: {0}")]
    Store(#[from] store::StoreError),
    /// A bug or an unexpected condition; never shown to clients verbatim.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A validation error naming `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A validation error without a field.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Validation {
            field: None,
            message: message.into(),
        }
    }

    /// Low-cardinality label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UpstreamUnavailable(_) => "upstream_unavailable",
            Self::Store(_) => "store",
            Self::Internal(_) => "internal",
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode as S;
        match self {
            Self::Validation { .. } | Self::Store(StoreError::Invalid(_)) => S::BAD_REQUEST,
            Self::Unauthorized(_) => S::UNAUTHORIZED,
            Self::Forbidden { .. } => S::FORBIDDEN,
            Self::NotFound(_) | Self::Store(StoreError::NotFound { .. }) => S::NOT_FOUND,
            Self::Conflict(_) | Self::Store(StoreError::Conflict(_)) => S::CONFLICT,
            Self::TooManyRequests { .. } => S::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Self::UpstreamUnavailable(_) | Self::Store(StoreError::Connect(_)) => {
                S::SERVICE_UNAVAILABLE
            }
            Self::Store(_) | Self::Internal(_) => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable snake_case code for the admin API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } | Self::Store(StoreError::Invalid(_)) => "invalid_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden { code, .. } | Self::TooManyRequests { code, .. } => code,
            Self::NotFound(_) | Self::Store(StoreError::NotFound { .. }) => "not_found",
            Self::Conflict(_) | Self::Store(StoreError::Conflict(_)) => "conflict",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UpstreamUnavailable(_) => "upstream_unavailable",
            Self::Store(_) | Self::Internal(_) => "internal_error",
        }
    }

    /// The message safe to show a client: 5xx internals are replaced (and logged once by the caller).
    pub fn public_message(&self) -> String {
        match self {
            Self::Store(
                e
                @ (StoreError::NotFound { .. } | StoreError::Conflict(_) | StoreError::Invalid(_)),
            ) => e.to_string(),
            Self::Store(_) | Self::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        }
    }

    /// `retry-after` seconds when the client should wait.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => {
                Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0))
                    .map(|s| s.max(1))
            }
            _ => None,
        }
    }

    /// Logs 5xx causes once, at the boundary that renders the error.
    pub fn log_if_internal(&self) {
        if self.status().is_server_error() && !matches!(self, Self::UpstreamUnavailable(_)) {
            tracing::error!(error = ?self, kind = self.kind(), "request failed");
        }
    }
}

/// Result alias for the gateway.
pub type Result<T, E = Error> = std::result::Result<T, E>;
