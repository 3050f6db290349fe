//! Error responses with exact status, body and headers (amazon-q-protocol.md §2.6, §5.1 and the
//! Addendum "Error bodies").
//!
//! - Q dialect: compact JSON `{"__type":"com.amazon.aws.codewhisperer#<Type>","message":…[,"reason":…]}`,
//!   `content-type: application/x-amz-json-1.0` (a bare ValidationException body is 100 bytes).
//! - Kiro dialect: `{"message":…,"reason":…|null}`, `application/json`.
//! - OIDC / Kiro auth: `{"error":"<snake>","error_description":…}`.
//!
//! All carry `x-amzn-ErrorType`; the request-id layer adds `x-amzn-requestid` and, per config,
//! the optional `:<url>` suffix on the error type.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::HttpFault;
use crate::render::Dialect;
use crate::validate::Violation;

/// The `reason` of the `unknown-reason` fault and the drift directives' default: a value no
/// client knows.
pub const UNKNOWN_REASON: &str = "SOMETHING_NEW";

pub const ERROR_TYPE: &str = "x-amzn-errortype";
pub const SIM_RULE: &str = "x-sim-rule";
pub const BEARER_INVALID: &str = "The bearer token included in the request is invalid.";

/// A chat / account-API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QError {
    pub status: u16,
    pub error_type: String,
    pub message: String,
    pub reason: Option<String>,
    pub rule: Option<String>,
}

impl QError {
    pub fn new(status: u16, error_type: &str, message: &str, reason: Option<&str>) -> Self {
        Self {
            status,
            error_type: error_type.to_owned(),
            message: message.to_owned(),
            reason: reason.map(str::to_owned),
            rule: None,
        }
    }

    /// 400 ValidationException: the request is refused as malformed, too large or not allowed.
    pub fn validation(message: &str, reason: Option<&str>) -> Self {
        Self::new(400, "ValidationException", message, reason)
    }

    /// 403 AccessDeniedException: the token or the account may not do this.
    pub fn access_denied(message: &str, reason: Option<&str>) -> Self {
        Self::new(403, "AccessDeniedException", message, reason)
    }

    /// 429 ThrottlingException: too many requests, or no capacity or quota left.
    pub fn throttling(message: &str, reason: Option<&str>) -> Self {
        Self::new(429, "ThrottlingException", message, reason)
    }

    #[must_use]
    pub fn rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_owned());
        self
    }

    pub fn from_violation(v: &Violation) -> Self {
        Self::new(v.status, v.error_type, &v.message, v.reason).rule(v.rule)
    }

    pub fn bearer_invalid() -> Self {
        Self::access_denied(BEARER_INVALID, None).rule("auth")
    }

    pub fn suspended(user_id: &str) -> Self {
        Self::access_denied(
            &format!("Your User ID ({user_id}) temporarily is suspended. We've locked your account as a security precaution. To restore access, please contact our support team at https://support.aws.amazon.com/#/contacts/kiro."),
            Some("TEMPORARILY_SUSPENDED"),
        )
        .rule("auth")
    }

    /// Monthly quota: Kiro 402 / Q 429 ThrottlingException, reason MONTHLY_REQUEST_COUNT (Addendum).
    pub fn monthly(dialect: Dialect, q_status: u16, kiro_status: u16) -> Self {
        match dialect {
            Dialect::Kiro => Self::new(
                kiro_status,
                "ServiceQuotaExceededException",
                "You have reached the limit.",
                Some("MONTHLY_REQUEST_COUNT"),
            ),
            Dialect::Q => Self::new(
                q_status,
                "ThrottlingException",
                "Maximum com.amazon.aws.codewhisperer.streaming.GenerateAssistantResponse reached for this month.",
                Some("MONTHLY_REQUEST_COUNT"),
            ),
        }
    }

    pub fn throttled() -> Self {
        Self::throttling("Too many requests, please wait before trying again.", None)
    }

    /// The runtime host's throttle (kiro-2026-endpoints.md §8: a ≈10 s penalty window).
    pub fn rate_exceeded() -> Self {
        Self::throttling(
            "Too many requests, please wait before trying again.",
            Some("USER_REQUEST_RATE_EXCEEDED"),
        )
    }

    /// The §5.1 row for an HTTP-level fault.
    pub fn from_fault(f: HttpFault, dialect: Dialect, q_monthly: u16, kiro_monthly: u16) -> Self {
        let e = match f {
            HttpFault::ImproperlyFormed => Self::validation("Improperly formed request.", None),
            HttpFault::InputTooLong => Self::validation(
                "Input is too long.",
                Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
            ),
            HttpFault::InvalidModel => Self::validation(
                "Invalid model. Please select a different model to continue.",
                Some("INVALID_MODEL_ID"),
            ),
            HttpFault::BadJson => Self::validation("The request body is not valid JSON.", None),
            HttpFault::MonthlyQuota => Self::monthly(dialect, q_monthly, kiro_monthly),
            HttpFault::BearerInvalid => Self::access_denied(BEARER_INVALID, None),
            HttpFault::Suspended => Self::suspended("000000000000"),
            HttpFault::FeatureNotAuthorized => Self::access_denied(
                "User is not authorized to access this feature.",
                Some("FEATURE_NOT_SUPPORTED"),
            ),
            HttpFault::Throttled => Self::throttled(),
            HttpFault::RateExceeded => Self::rate_exceeded(),
            HttpFault::Capacity => Self::throttling(
                "I am experiencing high traffic, please try again shortly.",
                Some("INSUFFICIENT_MODEL_CAPACITY"),
            ),
            HttpFault::DailyQuota => Self::throttling(
                "You've reached your daily usage limit. Please try again tomorrow.",
                Some("DAILY_REQUEST_COUNT"),
            ),
            HttpFault::Internal => Self::new(
                500,
                "InternalServerException",
                "Encountered an unexpected error when processing the request, please try again.",
                None,
            ),
            HttpFault::HighLoad => Self::new(
                500,
                "InternalServerException",
                "Encountered unexpectedly high load when processing the request, please try again.",
                None,
            ),
            HttpFault::Unavailable => Self::new(
                503,
                "ServiceUnavailableException",
                "The service is temporarily unavailable. Please try again later.",
                None,
            ),
            HttpFault::UnknownReason => Self::validation(
                "The request was refused for a reason this client does not know.",
                Some(UNKNOWN_REASON),
            ),
            HttpFault::Unauthorized401 => {
                Self::new(401, "UnauthorizedException", "Unauthorized", None)
            }
            HttpFault::Locked423 => Self::new(423, "AccessDeniedException", "Locked", None),
        };
        e.rule(&format!("fault:{}", f.name()))
    }

    /// The body bytes for a dialect.
    pub fn body(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::Q => {
                let mut v = json!({ "__type": format!("com.amazon.aws.codewhisperer#{}", self.error_type), "message": self.message });
                if let (Some(r), Some(o)) = (&self.reason, v.as_object_mut()) {
                    o.insert("reason".to_owned(), json!(r));
                }
                v.to_string()
            }
            Dialect::Kiro => json!({ "message": self.message, "reason": self.reason }).to_string(),
        }
    }

    pub fn into_response(self, dialect: Dialect) -> Response {
        let ct = match dialect {
            Dialect::Q => "application/x-amz-json-1.0",
            Dialect::Kiro => "application/json",
        };
        let mut resp = (
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST),
            self.body(dialect),
        )
            .into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        if let Ok(v) = HeaderValue::from_str(&self.error_type) {
            h.insert(ERROR_TYPE, v);
        }
        if let Some(rule) = self
            .rule
            .as_deref()
            .and_then(|r| HeaderValue::from_str(r).ok())
        {
            h.insert(SIM_RULE, rule);
        }
        resp
    }
}

/// An OIDC-style error (§2.6): `{"error","error_description"}` + `x-amzn-ErrorType`.
pub fn oidc_error(status: u16, error_type: &str, code: &str, description: &str) -> Response {
    let body = json!({ "error": code, "error_description": description }).to_string();
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(error_type) {
        h.insert(ERROR_TYPE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_validation_body_is_the_observed_100_bytes() {
        let e = QError::validation("Improperly formed request.", None);
        let b = e.body(Dialect::Q);
        assert_eq!(
            b,
            r#"{"__type":"com.amazon.aws.codewhisperer#ValidationException","message":"Improperly formed request."}"#
        );
        assert_eq!(b.len(), 100);
        assert_eq!(
            e.body(Dialect::Kiro),
            r#"{"message":"Improperly formed request.","reason":null}"#
        );
    }

    #[test]
    fn monthly_quota_differs_by_dialect() {
        let k = QError::monthly(Dialect::Kiro, 429, 402);
        assert_eq!(k.status, 402);
        assert_eq!(
            k.body(Dialect::Kiro),
            r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#
        );
        let q = QError::monthly(Dialect::Q, 429, 402);
        assert_eq!(
            (q.status, q.error_type.as_str()),
            (429, "ThrottlingException")
        );
        assert!(
            q.body(Dialect::Q)
                .contains(r#""reason":"MONTHLY_REQUEST_COUNT""#)
        );
    }
}
