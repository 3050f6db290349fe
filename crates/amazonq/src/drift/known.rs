//! Which error types and `reason` values this build knows (the ones the classification table in
//! [`crate::error::classify`] and the protocol notes name: amazon-q-protocol.md §5.1, §7, Addendum;
//! kiro-2026-endpoints.md §8). Anything else is drift: still classified (by status and message),
//! but counted so the operator hears of it.

/// `reason` values the service is known to send.
const KNOWN_REASONS: &[&str] = &[
    "CONTENT_LENGTH_EXCEEDS_THRESHOLD",
    "REQUEST_BODY_INVALID",
    "USER_REQUEST_RATE_EXCEEDED",
    "INSUFFICIENT_MODEL_CAPACITY",
    "MODEL_TEMPORARILY_UNAVAILABLE",
    "MONTHLY_REQUEST_COUNT",
    "OVERAGE_REQUEST_LIMIT_EXCEEDED",
    "DAILY_REQUEST_COUNT",
    "INVALID_MODEL_ID",
    "TEMPORARILY_SUSPENDED",
    // Documented in the service model, not acted on specially (they classify by status).
    "CONVERSATION_LIMIT_EXCEEDED",
    "INVALID_CONVERSATION_ID",
    "INVALID_TASK_ASSIST_PLAN",
    "FEATURE_NOT_SUPPORTED",
    "UNAUTHORIZED_WORKSPACE_CONTEXT_FEATURE_ACCESS",
    "UNAUTHORIZED_CUSTOMIZATION_RESOURCE_ACCESS",
    "MISMATCHED_KMS_KEY",
    "INVALID_KMS_GRANT",
    "CUSTOMER_KMS_KEY_INVALID_KEY_POLICY",
    "CUSTOMER_KMS_KEY_DISABLED",
];

/// Exception / error type names the service is known to send (sanitized, see
/// [`crate::error::sanitize_error_type`]).
const KNOWN_ERROR_TYPES: &[&str] = &[
    "ValidationException",
    "AccessDeniedException",
    "ThrottlingException",
    "ServiceQuotaExceededException",
    "InternalServerException",
    "ServiceUnavailableException",
    "UnauthorizedException",
    "ResourceNotFoundException",
    "ConflictException",
    "ContentLengthExceededException",
    "ExpiredTokenException",
    "UnknownOperationException",
    "InvalidRequestException",
    // `:message-type error` frames and the simulator's internal error exception.
    "error",
    "InternalServerError",
];

/// True if `reason` is one of the known values.
pub fn is_known_reason(reason: &str) -> bool {
    KNOWN_REASONS.contains(&reason)
}

/// True if `error_type` (sanitized) is one of the known names.
pub fn is_known_error_type(error_type: &str) -> bool {
    KNOWN_ERROR_TYPES.contains(&error_type)
}

/// The detail to count when an error's type or reason is unknown: `reason:<R>` for an unknown
/// reason (it says more), else `type:<T>`; `None` when both are known (or absent).
pub fn unknown_error_detail(error_type: Option<&str>, reason: Option<&str>) -> Option<String> {
    if let Some(r) = reason.filter(|r| !r.is_empty() && !is_known_reason(r)) {
        return Some(format!("reason:{r}"));
    }
    error_type
        .map(crate::error::sanitize_error_type)
        .filter(|t| !t.is_empty() && !is_known_error_type(t))
        .map(|t| format!("type:{t}"))
}
