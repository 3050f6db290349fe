//! Table-driven test: every row of the spec §5.1 table, plus the Addendum's
//! dialect variants, from raw status/header/body to an [`ErrorClass`].

use super::*;

const MONTHLY: ErrorClass = ErrorClass::QuotaExhausted {
    resets_at: None,
    period: QuotaPeriod::Monthly,
};

fn bad(message: &str) -> ErrorClass {
    ErrorClass::BadRequest {
        message: message.into(),
    }
}

/// Classifies each `(status, x-amzn-ErrorType, body, expected)` row from the raw answer.
fn check_rows(rows: Vec<(u16, Option<&str>, &str, ErrorClass)>) {
    for (status, header, body, expected) in rows {
        let err = HttpError::from_parts(status, header, None, None, body.as_bytes());
        assert_eq!(err.class, expected, "row {status} {header:?} {body}");
    }
}

/// The spec table's 400–403 rows: malformed requests, quota, account refusals.
#[test]
fn every_client_and_account_row_of_the_spec_table() {
    let suspended = r#"{"message":"Your User ID (u-123) temporarily is suspended. We've locked your account as a security precaution. To restore access, please contact our support team.","reason":"TEMPORARILY_SUSPENDED"}"#;
    // (status, x-amzn-ErrorType, body, expected)
    let rows: Vec<(u16, Option<&str>, &str, ErrorClass)> = vec![
        (
            400,
            Some("ValidationException"),
            r#"{"message":"Improperly formed request.","reason":null}"#,
            bad("Improperly formed request."),
        ),
        (
            400,
            Some("ValidationException"),
            r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
            ErrorClass::ContextTooLong,
        ),
        (
            400,
            Some("ValidationException"),
            r#"{"message":"Invalid model. Please select a different model to continue.","reason":"INVALID_MODEL_ID"}"#,
            ErrorClass::InvalidModel,
        ),
        (
            400,
            Some("ValidationException"),
            r#"{"message":"The request body is not valid JSON.","reason":null}"#,
            bad("The request body is not valid JSON."),
        ),
        (
            402,
            None,
            r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
            MONTHLY,
        ),
        (
            403,
            Some("AccessDeniedException"),
            r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#,
            ErrorClass::NeedsRefresh,
        ),
        (
            403,
            Some("AccessDeniedException"),
            suspended,
            ErrorClass::Suspended,
        ),
        (
            403,
            Some("AccessDeniedException"),
            r#"{"message":"User is not authorized to access this feature.","reason":null}"#,
            ErrorClass::Forbidden,
        ),
    ];
    check_rows(rows);
}

/// The spec table's throttling, server-side and remaining auth rows.
#[test]
fn every_throttling_and_server_row_of_the_spec_table() {
    let rows: Vec<(u16, Option<&str>, &str, ErrorClass)> = vec![
        (
            429,
            Some("ThrottlingException"),
            r#"{"message":"Too many requests, please wait before trying again.","reason":null}"#,
            ErrorClass::Throttled { retry_after: None },
        ),
        (
            429,
            Some("ThrottlingException"),
            r#"{"message":"Maximum com.amazon.aws.codewhisperer.streaming.GenerateAssistantResponse reached for this month.","reason":"MONTHLY_REQUEST_COUNT"}"#,
            MONTHLY,
        ),
        (
            429,
            Some("ThrottlingException"),
            r#"{"message":"I am experiencing high traffic, please try again shortly.","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#,
            ErrorClass::ModelUnavailable,
        ),
        (
            429,
            Some("ThrottlingException"),
            r#"{"message":"You've reached your daily usage limit. Please try again tomorrow.","reason":"DAILY_REQUEST_COUNT"}"#,
            ErrorClass::QuotaExhausted {
                resets_at: None,
                period: QuotaPeriod::Daily,
            },
        ),
        (
            500,
            Some("InternalServerException"),
            r#"{"message":"Encountered an unexpected error when processing the request, please try again.","reason":null}"#,
            ErrorClass::Transient,
        ),
        (
            500,
            None,
            r#"{"message":"Encountered unexpectedly high load when processing the request, please try again."}"#,
            ErrorClass::ModelUnavailable,
        ),
        (
            500,
            Some("ServiceUnavailableException"),
            r#"{"message":"The service is temporarily unavailable. Please try again later."}"#,
            ErrorClass::Transient,
        ),
        (
            503,
            Some("ServiceUnavailableException"),
            r#"{"message":"The service is temporarily unavailable. Please try again later."}"#,
            ErrorClass::Transient,
        ),
        (
            401,
            None,
            r#"{"message":"Unauthorized"}"#,
            ErrorClass::NeedsRefresh,
        ),
        (423, None, r#"{"message":"Locked"}"#, ErrorClass::Suspended),
    ];
    check_rows(rows);
}

#[test]
fn addendum_dialect_variants() {
    // Amazon Q dialect: type only in the body's __type, JSON 1.0 error body.
    let q = HttpError::from_parts(
        400,
        None,
        None,
        Some("req-1".into()),
        br#"{"__type":"com.amazon.aws.codewhisperer#ThrottlingException","message":"Maximum reached for this month.","reason":"MONTHLY_REQUEST_COUNT"}"#,
    );
    assert_eq!(
        q.class, MONTHLY,
        "the CLI's unit test uses 400 for the monthly quota"
    );
    assert_eq!(q.error_type.as_deref(), Some("ThrottlingException"));
    assert_eq!(q.request_id.as_deref(), Some("req-1"));
    // Suspension by wording alone (no reason).
    let s = HttpError::from_parts(
        403,
        None,
        None,
        None,
        br#"{"message":"Your account is temporarily suspended."}"#,
    );
    assert_eq!(s.class, ErrorClass::Suspended);
    // A header with a URL suffix is sanitized; Retry-After is kept.
    let t = HttpError::from_parts(
        429,
        Some("ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"),
        Some("7"),
        None,
        b"{}",
    );
    assert_eq!(t.error_type.as_deref(), Some("ThrottlingException"));
    assert_eq!(
        t.class,
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    // Non-JSON bodies keep their text as the message.
    let html = HttpError::from_parts(502, None, None, None, b"<html>bad gateway</html>");
    assert_eq!(html.class, ErrorClass::Transient);
    assert_eq!(html.message, "<html>bad gateway</html>");
    // Unknown 4xx is a bad request with the message.
    let other = HttpError::from_parts(404, None, None, None, br#"{"message":"no route"}"#);
    assert_eq!(other.class, bad("no route"));
    assert_eq!(other.to_string(), "upstream HTTP 404 -: no route");
}

#[test]
fn sanitize_error_type_variants() {
    assert_eq!(
        sanitize_error_type("ValidationException"),
        "ValidationException"
    );
    assert_eq!(
        sanitize_error_type("com.amazon.aws.codewhisperer#ValidationException"),
        "ValidationException"
    );
    assert_eq!(
        sanitize_error_type("aws.protocoltests#FooError:http://x/y"),
        "FooError"
    );
    assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
    assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
}

#[test]
fn class_helpers() {
    assert!(ErrorClass::Transient.is_retryable());
    assert!(!ErrorClass::ContextTooLong.is_retryable());
    assert!(!bad("x").is_retryable());
    assert!(ErrorClass::Suspended.is_account_problem());
    assert!(!ErrorClass::Throttled { retry_after: None }.is_account_problem());
}

/// The answers first seen on `runtime.*` / `management.*` (kiro-2026-endpoints.md §2, §8), each
/// mapped once.
#[test]
fn errors_of_the_2026_hosts() {
    let from = |status, ty: Option<&str>, retry: Option<&str>, body: &str| {
        HttpError::from_parts(status, ty, retry, None, body.as_bytes()).class
    };
    let required = r#"{"message":"profileArn is required for this request.","reason":null}"#;
    assert_eq!(
        from(400, Some("ValidationException"), None, required),
        ErrorClass::ProfileRejected
    );
    let unauthorized = r#"{"message":"User is not authorized to make this call.","reason":null}"#;
    assert_eq!(
        from(403, Some("AccessDeniedException"), None, unauthorized),
        ErrorClass::ProfileRejected
    );
    assert_eq!(
        from(
            400,
            Some("ValidationException"),
            None,
            r#"{"message":"Invalid profileArn."}"#
        ),
        ErrorClass::ProfileRejected
    );
    let invalid = r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#;
    let class = from(400, Some("ValidationException"), None, invalid);
    match &class {
        ErrorClass::BadRequest { message } => {
            assert!(message.contains("gateway bug"), "{message}");
            assert!(message.contains("REQUEST_BODY_INVALID"), "{message}");
        }
        other => panic!("expected BadRequest, got {other:?}"),
    }
    assert!(!class.is_retryable());
    let rate = r#"{"message":"Too many requests, please wait before trying again.","reason":"USER_REQUEST_RATE_EXCEEDED"}"#;
    assert_eq!(
        from(429, Some("ThrottlingException"), None, rate),
        ErrorClass::Throttled { retry_after: None }
    );
    assert_eq!(
        from(400, None, None, rate),
        ErrorClass::Throttled { retry_after: None },
        "the reason decides, whatever the status"
    );
    assert_eq!(
        from(429, Some("ThrottlingException"), Some("3"), rate),
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(3))
        }
    );
    // Region mismatch: refreshed first (a stale token says the same), then a fallback candidate.
    assert_eq!(
        from(403, None, None, r#"{"message":"bearer token invalid"}"#),
        ErrorClass::NeedsRefresh
    );
    let too_long = r#"{"message":"Input content length exceeds threshold.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#;
    assert_eq!(
        from(400, Some("ValidationException"), None, too_long),
        ErrorClass::ContextTooLong
    );
    assert!(ErrorClass::ProfileRejected.is_retryable());
    assert!(ErrorClass::ProfileRejected.is_account_problem());
}

/// An exception inside the stream (first frame or after output) is classified like the HTTP
/// answer of the same type and reason (§5.1 reason enums by exception type; §5.3): one class,
/// whichever way the failure arrives.
#[test]
fn in_stream_exceptions_classify_like_their_http_answers() {
    let msg = "Simulated exception.";
    let http = |status, ty, reason| classify(status, Some(ty), Some(reason), msg, None);
    // (HTTP status, exception type, the reasons §5.1 lists for it).
    let reasons: [(u16, &str, &[&str]); 6] = [
        (
            400,
            "ValidationException",
            &[
                "CONTENT_LENGTH_EXCEEDS_THRESHOLD",
                "INVALID_CONVERSATION_ID",
                "INVALID_KMS_GRANT",
                "INVALID_MODEL_ID",
                "REQUEST_BODY_INVALID",
            ],
        ),
        (
            429,
            "ThrottlingException",
            &[
                "DAILY_REQUEST_COUNT",
                "INSUFFICIENT_MODEL_CAPACITY",
                "MONTHLY_REQUEST_COUNT",
                "USER_REQUEST_RATE_EXCEEDED",
            ],
        ),
        (
            400,
            "ServiceQuotaExceededException",
            &[
                "CONVERSATION_LIMIT_EXCEEDED",
                "MONTHLY_REQUEST_COUNT",
                "OVERAGE_REQUEST_LIMIT_EXCEEDED",
            ],
        ),
        (
            403,
            "AccessDeniedException",
            &[
                "FEATURE_NOT_SUPPORTED",
                "TEMPORARILY_SUSPENDED",
                "UNAUTHORIZED_CUSTOMIZATION_RESOURCE_ACCESS",
                "UNAUTHORIZED_WORKSPACE_CONTEXT_FEATURE_ACCESS",
            ],
        ),
        (
            500,
            "InternalServerException",
            &["MODEL_TEMPORARILY_UNAVAILABLE"],
        ),
        (
            409,
            "ConflictException",
            &[
                "CUSTOMER_KMS_KEY_DISABLED",
                "CUSTOMER_KMS_KEY_INVALID_KEY_POLICY",
                "MISMATCHED_KMS_KEY",
            ],
        ),
    ];
    for (status, ty, reasons) in reasons {
        for reason in reasons {
            assert_eq!(
                classify_exception(ty, Some(reason), msg),
                http(status, ty, reason),
                "{ty} {reason}"
            );
        }
    }
    // The two disagreements issue 19 names, now one class each.
    assert_eq!(
        classify_exception(
            "ThrottlingException",
            Some("INSUFFICIENT_MODEL_CAPACITY"),
            msg
        ),
        ErrorClass::ModelUnavailable
    );
    assert_eq!(
        classify_exception("ThrottlingException", Some("MONTHLY_REQUEST_COUNT"), msg),
        MONTHLY
    );
    // The service model's streamed exception (`error`, an InternalServerException), an
    // `:message-type error` code and unknown types are server-side trouble; a namespaced type is
    // read like the header.
    assert_eq!(
        classify_exception("error", None, "boom"),
        ErrorClass::Transient
    );
    assert_eq!(
        classify_exception("InternalFailure", None, "An internal error occurred"),
        ErrorClass::Transient
    );
    assert_eq!(
        classify_exception(
            "com.amazon.aws.codewhisperer#ThrottlingException",
            None,
            "slow"
        ),
        ErrorClass::Throttled { retry_after: None }
    );
    assert_eq!(
        classify_exception("ValidationException", None, "Input is too long."),
        ErrorClass::ContextTooLong
    );
    // Kiro's output-length overflow is not retried elsewhere (the stream machine ends the answer
    // as `max_tokens`).
    assert!(!classify_exception("ContentLengthExceededException", None, "").is_retryable());
}
