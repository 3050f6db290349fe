//! The one error type of the translation layer.
//!
//! Every client-input error names the offending field (`param`) so the gateway can render it in either
//! dialect's error body (client doc §1.6 `param`, §2.6 message text). Nothing here knows HTTP statuses;
//! the gateway maps [`TranslateError::kind`] to a status.

use thiserror::Error;

/// What went wrong while translating a client request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TranslateError {
    /// The body is malformed or asks for something that cannot be honoured (→ 400
    /// `invalid_request_error`). `param` is the JSON path of the field, e.g. `messages[2].tool_call_id`.
    #[error("{message}")]
    InvalidRequest {
        param: Option<String>,
        message: String,
    },
    /// The model name is not in the alias table and no fallback is configured (→ 404).
    #[error("model `{model}` not found")]
    ModelNotFound { model: String },
}

/// Coarse class of a [`TranslateError`], for status mapping in the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidRequest,
    ModelNotFound,
}

impl TranslateError {
    /// An invalid-request error naming `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            param: Some(param.into()),
            message: message.into(),
        }
    }

    /// An invalid-request error that concerns the body as a whole.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            param: None,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Self::ModelNotFound { .. } => ErrorKind::ModelNotFound,
        }
    }

    /// The field this error is about, if any.
    pub fn param(&self) -> Option<&str> {
        match self {
            Self::InvalidRequest { param, .. } => param.as_deref(),
            Self::ModelNotFound { .. } => Some("model"),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = TranslateError> = std::result::Result<T, E>;
