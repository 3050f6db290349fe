//! Upstream error classification (spec §5.1, §7, §10, the Addendum, and the 2026 hosts:
//! kiro-2026-endpoints.md §2, §8).
//!
//! Every upstream failure maps to one [`ErrorClass`], a closed enum that tells
//! the gateway what to do (refresh, back off, rotate, disable, fail the client
//! request). The decision uses the HTTP status, the `x-amzn-ErrorType` header
//! (or the body's `__type`), the body's `reason` and message substrings — never
//! the generated SDK type names, which are wrong for this service (§5.1).
//! Reasons are checked before statuses because the same reason arrives with
//! different statuses per dialect (monthly quota: 402 Kiro, 429 or 400 Q).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::types::QErrorBody;

/// What kind of failure this is, and so what the caller should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// The access token is expired/invalid: refresh once, retry once.
    NeedsRefresh,
    /// The refresh token (or client registration) is dead: the account needs a
    /// new login.
    RefreshTokenDead,
    /// Rate limited: back off or rotate; the account is healthy.
    Throttled { retry_after: Option<Duration> },
    /// Out of quota until `resets_at` (unknown here: read GetUsageLimits).
    QuotaExhausted {
        resets_at: Option<DateTime<Utc>>,
        period: QuotaPeriod,
    },
    /// The account is suspended/locked: disable it, never refresh-loop.
    Suspended,
    /// Access denied for another reason (plan, feature): flag the account.
    Forbidden,
    /// The account's `profileArn` is missing or refused ("profileArn is required for this
    /// request.", "User is not authorized to make this call.", management "Invalid
    /// profileArn."): re-resolve the profile once, then the account needs the operator.
    ProfileRejected,
    /// The prompt is over the model's context window: client error, no retry.
    ContextTooLong,
    /// The model is overloaded or temporarily unavailable: retry later / elsewhere.
    ModelUnavailable,
    /// The model id is not allowed for this account/origin: client error.
    InvalidModel,
    /// The request was rejected as malformed: client (or translation) error.
    BadRequest { message: String },
    /// Server-side or network trouble: retry.
    Transient,
}

/// Which quota ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPeriod {
    Monthly,
    Daily,
}

impl ErrorClass {
    /// True if retrying the same request (after a refresh, a wait, or on
    /// another account) can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::NeedsRefresh
                | Self::Throttled { .. }
                | Self::QuotaExhausted { .. }
                | Self::Suspended
                | Self::Forbidden
                | Self::ProfileRejected
                | Self::RefreshTokenDead
                | Self::ModelUnavailable
                | Self::Transient
        )
    }

    /// True if the failure says something about the account (not the request).
    pub fn is_account_problem(&self) -> bool {
        matches!(
            self,
            Self::NeedsRefresh
                | Self::RefreshTokenDead
                | Self::QuotaExhausted { .. }
                | Self::Suspended
                | Self::Forbidden
                | Self::ProfileRejected
        )
    }
}

/// A non-200 answer of the Q service, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upstream HTTP {status} {}: {message}", error_type.as_deref().unwrap_or("-"))]
pub struct HttpError {
    pub status: u16,
    /// Sanitized exception name, e.g. `ThrottlingException`.
    pub error_type: Option<String>,
    pub reason: Option<String>,
    pub message: String,
    /// `x-amzn-requestid`.
    pub request_id: Option<String>,
    pub class: ErrorClass,
}

impl HttpError {
    /// Builds and classifies an error from the response parts.
    pub fn from_parts(
        status: u16,
        error_type_header: Option<&str>,
        retry_after_header: Option<&str>,
        request_id: Option<String>,
        body: &[u8],
    ) -> Self {
        let parsed: Option<QErrorBody> = serde_json::from_slice(body).ok();
        let (message, reason, body_type) = match parsed {
            Some(b) => (b.message, b.reason, b.error_type),
            None => (None, None, None),
        };
        let message = message.unwrap_or_else(|| {
            // Not the documented JSON: keep a bounded prefix of the raw text.
            String::from_utf8_lossy(body).chars().take(512).collect()
        });
        let error_type = error_type_header
            .or(body_type.as_deref())
            .map(sanitize_error_type)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let retry_after = retry_after_header.and_then(parse_retry_after);
        let class = classify(
            status,
            error_type.as_deref(),
            reason.as_deref(),
            &message,
            retry_after,
        );
        Self {
            status,
            error_type,
            reason,
            message,
            request_id,
            class,
        }
    }
}

/// `x-amzn-ErrorType` / `__type` to a bare name: drops a `:<url>` suffix and a
/// `namespace#` prefix, as the AWS SDKs do (§2.6).
pub fn sanitize_error_type(raw: &str) -> &str {
    let no_suffix = raw.split(':').next().unwrap_or(raw);
    no_suffix.rsplit('#').next().unwrap_or(no_suffix).trim()
}

/// `Retry-After` in delta-seconds (the HTTP-date form is not used by AWS).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Classifies an exception that arrived inside a 200 event stream (`:message-type exception`,
/// or `error` with `:error-code`), whether as the first frame or after output (spec §5.3).
///
/// There is no HTTP status, so the exception type stands in for the one the same failure has
/// as an HTTP answer (§5.1 table: `ValidationException` 400, `AccessDeniedException` 403,
/// `ThrottlingException` 429, …), and the rest of [`classify`] runs unchanged: a reason means
/// the same in a frame as in an HTTP body (`MONTHLY_REQUEST_COUNT` is quota whatever carries
/// it, `INSUFFICIENT_MODEL_CAPACITY` is the model, not the account). The streamed exception of
/// the service model (`error`, an InternalServerException) and any type this table does not
/// know are server-side trouble (500).
pub fn classify_exception(exception_type: &str, reason: Option<&str>, message: &str) -> ErrorClass {
    let error_type = sanitize_error_type(exception_type);
    classify(
        exception_status(error_type),
        Some(error_type),
        reason,
        message,
        None,
    )
}

/// The HTTP status an exception type has when the service answers it as a non-200 (§5.1).
fn exception_status(error_type: &str) -> u16 {
    match error_type {
        "ValidationException"
        | "ServiceQuotaExceededException"
        | "ContentLengthExceededException" => 400,
        "AccessDeniedException" => 403,
        "ResourceNotFoundException" => 404,
        "ConflictException" => 409,
        "ThrottlingException" => 429,
        "ServiceUnavailableException" => 503,
        _ => 500,
    }
}

/// Account-ban wording seen in 403 bodies (§7; AIC2A's non-refreshable list,
/// minus the quota phrases that the reason check handles).
const SUSPENSION_PATTERNS: [&str; 7] = [
    "temporarily is suspended",
    "temporarily suspended",
    "locked your account",
    "account has been disabled",
    "violation of terms",
    "terms of service",
    "appeal",
];

/// The classification table. Order matters; see the module docs.
pub fn classify(
    status: u16,
    error_type: Option<&str>,
    reason: Option<&str>,
    message: &str,
    retry_after: Option<Duration>,
) -> ErrorClass {
    let msg = message.to_ascii_lowercase();
    let reason = reason.unwrap_or_default();
    let error_type = error_type.unwrap_or_default();

    if reason == "CONTENT_LENGTH_EXCEEDS_THRESHOLD" || msg.contains("input is too long") {
        return ErrorClass::ContextTooLong;
    }
    if reason == "REQUEST_BODY_INVALID" {
        // §8: an unknown root member, a malformed ARN or an empty marker turn — what the gateway
        // built, not what the client sent. No retry can fix it.
        return ErrorClass::BadRequest {
            message: format!(
                "the upstream refused the request body as malformed ({message}; REQUEST_BODY_INVALID); \
                 this is a gateway bug, please report it"
            ),
        };
    }
    if reason == "USER_REQUEST_RATE_EXCEEDED" {
        // §8: a penalty window of about ten seconds, whatever the status. The pool's throttle
        // cooldown (`pool.cooldown_base_ms`, 5 s doubling per consecutive throttle) covers it;
        // no wait is invented here so `Retry-After`, when sent, stays the only hint.
        return ErrorClass::Throttled { retry_after };
    }
    if msg.contains("profilearn is required")
        || msg.contains("invalid profilearn")
        || (status == 403 && msg.contains("not authorized to make this call"))
    {
        return ErrorClass::ProfileRejected;
    }
    if reason == "INSUFFICIENT_MODEL_CAPACITY"
        || reason == "MODEL_TEMPORARILY_UNAVAILABLE"
        || (status >= 500 && msg.contains("unexpectedly high load"))
    {
        return ErrorClass::ModelUnavailable;
    }
    // Quota by reason whatever the status (Addendum: 402 Kiro, 429/400 Q).
    if matches!(
        reason,
        "MONTHLY_REQUEST_COUNT" | "OVERAGE_REQUEST_LIMIT_EXCEEDED"
    ) || status == 402
        || msg.contains("reached for this month")
    {
        return ErrorClass::QuotaExhausted {
            resets_at: None,
            period: QuotaPeriod::Monthly,
        };
    }
    if reason == "DAILY_REQUEST_COUNT" || msg.contains("daily usage limit") {
        return ErrorClass::QuotaExhausted {
            resets_at: None,
            period: QuotaPeriod::Daily,
        };
    }
    if reason == "INVALID_MODEL_ID" {
        return ErrorClass::InvalidModel;
    }
    if reason == "TEMPORARILY_SUSPENDED"
        || status == 423
        || (status == 403 && SUSPENSION_PATTERNS.iter().any(|p| msg.contains(p)))
    {
        return ErrorClass::Suspended;
    }
    if status == 401 || (status == 403 && msg.contains("bearer token") && msg.contains("invalid")) {
        return ErrorClass::NeedsRefresh;
    }
    if status == 403 {
        return ErrorClass::Forbidden;
    }
    if status == 429 || error_type == "ThrottlingException" {
        return ErrorClass::Throttled { retry_after };
    }
    if status == 408
        || status >= 500
        || matches!(
            error_type,
            "ServiceUnavailableException" | "InternalServerException"
        )
    {
        return ErrorClass::Transient;
    }
    ErrorClass::BadRequest {
        message: message.to_owned(),
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
