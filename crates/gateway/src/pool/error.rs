//! The pool's error layer: why [`super::Pool::send`] could not open a stream ([`PoolError`]),
//! why an open stream ended early ([`PoolStreamError`]), and how the handler reports the end of a
//! turn ([`Outcome`]). Upstream failures keep their closed [`ErrorClass`] (spec §5.1, §7) so the
//! chat handlers can map them to dialect errors and statuses.

use std::time::Duration;

use amazonq::client::StreamError;
use amazonq::error::ErrorClass;
use chrono::{DateTime, Utc};

/// Why no upstream stream could be opened.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// No account is configured at all. Handler: 503 saying where to add one.
    #[error("no upstream account is configured")]
    NotConfigured,
    /// No account can serve this request at all (all banned/needs_login/disabled, or none
    /// entitled to the model); the text says why. Handler: 503.
    #[error("no upstream account is available{}", .0.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    NoAccounts(Option<String>),
    /// Every account that could serve the request is out of quota until at least `resets_at`
    /// (answered at once, not after the queue timeout). Handler: 429 `insufficient_quota`.
    #[error("every upstream account is out of quota{}", .resets_at.map(|r| format!(" until {}", r.to_rfc3339())).unwrap_or_default())]
    QuotaExhausted {
        /// When the first of them resets, when known.
        resets_at: Option<DateTime<Utc>>,
    },
    /// Every eligible account is busy or cooling down and the wait queue timed out or is full —
    /// or, when `cooling_down`, no account frees up within the queue timeout (answered at once).
    /// Handler: 429 (OpenAI) / 529 (Anthropic) with `retry-after`.
    #[error("all upstream accounts are {}; the first frees up in about {} s", if *.cooling_down { "cooling down" } else { "busy" }, .retry_after.as_secs().max(1))]
    AllBusy {
        /// Suggested wait before retrying (when the first account frees up).
        retry_after: Duration,
        /// Every one of them is held back (throttled, paused), none merely busy.
        cooling_down: bool,
    },
    /// The upstream refused the request and retrying elsewhere did not help (or cannot help:
    /// client errors such as `ContextTooLong`, `InvalidModel`, `BadRequest`).
    #[error("upstream error ({}): {message}", class_name(.class))]
    Upstream {
        /// What kind of failure.
        class: ErrorClass,
        /// Upstream (or transport) message.
        message: String,
        /// Upstream HTTP status when there was one.
        status: Option<u16>,
        /// Accounts tried.
        attempts: u32,
    },
    /// The request's cancellation token fired (client went away).
    #[error("request cancelled")]
    Cancelled,
    /// The pool itself failed (store error, bug).
    #[error("account pool: {0}")]
    Internal(String),
}

/// Why an open stream ended early (after the first event: no failover is possible any more).
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolStreamError {
    /// Idle timeout, truncation, corrupt frame, connection loss.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

/// How a turn ended, reported by the handler through [`super::PoolStream::finish`]; feeds the
/// account's counters and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The turn completed.
    Success,
    /// The client went away; says nothing about the account.
    ClientAbort,
    /// The stream failed mid-way (transport / idle timeout / decode).
    StreamFailed,
    /// The upstream ended the turn with an in-band exception of this class (e.g. a throttling
    /// exception frame); the account is treated as if the call had failed with it.
    Upstream(ErrorClass),
}

/// Low-cardinality label of an error class (metrics, logs).
pub fn class_name(class: &ErrorClass) -> &'static str {
    match class {
        ErrorClass::NeedsRefresh => "needs_refresh",
        ErrorClass::RefreshTokenDead => "refresh_token_dead",
        ErrorClass::Throttled { .. } => "throttled",
        ErrorClass::QuotaExhausted { .. } => "quota_exhausted",
        ErrorClass::Suspended => "suspended",
        ErrorClass::Forbidden => "forbidden",
        ErrorClass::ProfileRejected => "profile_rejected",
        ErrorClass::ContextTooLong => "context_too_long",
        ErrorClass::ModelUnavailable => "model_unavailable",
        ErrorClass::InvalidModel => "invalid_model",
        ErrorClass::BadRequest { .. } => "bad_request",
        ErrorClass::Transient => "transient",
    }
}
