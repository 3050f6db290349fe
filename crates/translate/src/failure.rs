//! The one table from a failure to what a `/v1` client sees of it: the HTTP status and each
//! dialect's error type and code (client-api-conformance.md §1.6 OpenAI table, §2.6 Anthropic
//! table; the Responses codes Codex keys on, §3).
//!
//! A failure is either an upstream [`ErrorClass`] (amazonq::error, the only classification: an
//! HTTP answer, a first-frame exception and a mid-stream exception of the same reason all carry
//! the same class) or a broken stream ([`Face::interrupted`]). The gateway's HTTP error answers
//! (guards and chat handlers alike) and the in-stream error events of the three encoders read
//! their type names here, so a class looks the same whenever it arrives. Messages are not part of
//! the face: each caller words its own.

use amazonq::error::ErrorClass;

use crate::ir::Dialect;

/// The type names and retry hints of one failure, without its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Face {
    /// HTTP status of an answer that has not started yet.
    pub status: u16,
    /// Anthropic `error.type`.
    pub anthropic_type: &'static str,
    /// OpenAI `error.type`.
    pub openai_type: &'static str,
    /// OpenAI `error.code`.
    pub code: Option<&'static str>,
    /// Responses `response.failed` `error.code` (Codex ends the turn on `context_length_exceeded`
    /// and `insufficient_quota`, and retries the rest).
    pub responses_code: &'static str,
    /// `x-should-retry` for the SDKs (only sent when set).
    pub should_retry: Option<bool>,
    /// Low-cardinality label for the request log and metrics.
    pub label: &'static str,
}

/// Anthropic 529 `overloaded_error` (§2.6).
const OVERLOADED: u16 = 529;

impl Face {
    /// The face a status implies (the one status → type table of §1.6 and §2.6); `label` names
    /// the failure in logs.
    pub fn of_status(status: u16, label: &'static str) -> Self {
        let (anthropic_type, openai_type) = match status {
            401 => ("authentication_error", "invalid_request_error"),
            403 => ("permission_error", "invalid_request_error"),
            404 => ("not_found_error", "invalid_request_error"),
            413 => ("request_too_large", "invalid_request_error"),
            429 => ("rate_limit_error", "rate_limit_exceeded"),
            504 => ("timeout_error", "server_error"),
            OVERLOADED => ("overloaded_error", "server_error"),
            s if s >= 500 => ("api_error", "server_error"),
            _ => ("invalid_request_error", "invalid_request_error"),
        };
        Self {
            status,
            anthropic_type,
            openai_type,
            code: None,
            responses_code: if status == 429 {
                "rate_limit_exceeded"
            } else {
                "server_error"
            },
            should_retry: None,
            label,
        }
    }

    /// Overloaded: Anthropic 529, OpenAI 503 (§1.6 "the OpenAI analogue of 529"); retry later.
    pub fn overloaded(dialect: Dialect, label: &'static str) -> Self {
        let status = match dialect {
            Dialect::Anthropic => OVERLOADED,
            Dialect::OpenAi => 503,
        };
        Self {
            anthropic_type: "overloaded_error",
            code: Some("service_unavailable"),
            responses_code: "rate_limit_exceeded",
            should_retry: Some(true),
            ..Self::of_status(status, label)
        }
    }

    /// Rate limited (429 `rate_limit_exceeded`).
    pub fn rate_limited(label: &'static str) -> Self {
        Self {
            code: Some("rate_limit_exceeded"),
            ..Self::of_status(429, label)
        }
    }

    /// The upstream stream broke (connection dropped, framing error, idle timeout): 502, retry.
    pub fn interrupted() -> Self {
        Self {
            should_retry: Some(true),
            ..Self::of_status(502, "stream_failed")
        }
    }

    /// The face of an upstream class, in `dialect` (only the overloaded status differs).
    pub fn of_class(class: &ErrorClass, dialect: Dialect) -> Self {
        match class {
            ErrorClass::ContextTooLong => Self {
                code: Some("context_length_exceeded"),
                responses_code: "context_length_exceeded",
                ..Self::of_status(400, "context_too_long")
            },
            ErrorClass::Throttled { .. } => Self::rate_limited("throttled"),
            ErrorClass::QuotaExhausted { .. } => Self {
                openai_type: "insufficient_quota",
                code: Some("insufficient_quota"),
                responses_code: "insufficient_quota",
                should_retry: Some(false),
                ..Self::of_status(429, "quota_exhausted")
            },
            ErrorClass::ModelUnavailable => Self::overloaded(dialect, "model_unavailable"),
            ErrorClass::InvalidModel => Self {
                code: Some("model_not_found"),
                ..Self::of_status(400, "invalid_model")
            },
            ErrorClass::BadRequest { .. } => Self::of_status(400, "upstream_bad_request"),
            ErrorClass::Transient => Self {
                code: Some("service_unavailable"),
                should_retry: Some(true),
                ..Self::of_status(503, "upstream_unavailable")
            },
            ErrorClass::NeedsRefresh
            | ErrorClass::RefreshTokenDead
            | ErrorClass::Suspended
            | ErrorClass::Forbidden
            | ErrorClass::ProfileRejected => Self {
                code: Some("service_unavailable"),
                should_retry: Some(false),
                ..Self::of_status(503, "upstream_accounts")
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_status_table_follows_both_client_docs() {
        for (status, anthropic, openai) in [
            (400, "invalid_request_error", "invalid_request_error"),
            (401, "authentication_error", "invalid_request_error"),
            (403, "permission_error", "invalid_request_error"),
            (404, "not_found_error", "invalid_request_error"),
            (409, "invalid_request_error", "invalid_request_error"),
            (413, "request_too_large", "invalid_request_error"),
            (429, "rate_limit_error", "rate_limit_exceeded"),
            (500, "api_error", "server_error"),
            (503, "api_error", "server_error"),
            (504, "timeout_error", "server_error"),
            (529, "overloaded_error", "server_error"),
        ] {
            let f = Face::of_status(status, "x");
            assert_eq!(
                (f.anthropic_type, f.openai_type),
                (anthropic, openai),
                "{status}"
            );
        }
    }

    #[test]
    fn classes_map_to_the_documented_answers() {
        let anth = Dialect::Anthropic;
        let oai = Dialect::OpenAi;
        let throttled = ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(Face::of_class(&throttled, anth).status, 429);
        assert_eq!(
            Face::of_class(&throttled, anth).anthropic_type,
            "rate_limit_error"
        );
        let quota = ErrorClass::QuotaExhausted {
            resets_at: None,
            period: amazonq::error::QuotaPeriod::Monthly,
        };
        let quota_face = Face::of_class(&quota, oai);
        assert_eq!(
            (
                quota_face.status,
                quota_face.openai_type,
                quota_face.code,
                quota_face.should_retry
            ),
            (
                429,
                "insufficient_quota",
                Some("insufficient_quota"),
                Some(false)
            )
        );
        assert_eq!(quota_face.responses_code, "insufficient_quota");
        let unavailable = ErrorClass::ModelUnavailable;
        assert_eq!(Face::of_class(&unavailable, anth).status, 529);
        assert_eq!(
            Face::of_class(&unavailable, anth).anthropic_type,
            "overloaded_error"
        );
        assert_eq!(Face::of_class(&unavailable, oai).status, 503);
        let context = Face::of_class(&ErrorClass::ContextTooLong, anth);
        assert_eq!(
            (context.status, context.anthropic_type),
            (400, "invalid_request_error")
        );
        assert_eq!(context.responses_code, "context_length_exceeded");
        let transient = Face::of_class(&ErrorClass::Transient, oai);
        assert_eq!(
            (transient.status, transient.should_retry),
            (503, Some(true))
        );
        let suspended = Face::of_class(&ErrorClass::Suspended, anth);
        assert_eq!(
            (suspended.status, suspended.should_retry),
            (503, Some(false))
        );
        assert_eq!(Face::interrupted().status, 502);
    }
}
