//! What counts as drift in the client's own data: stream events, in-stream errors, HTTP error
//! answers and account-API bodies → [`Observation`]s. The stream machine's part (unknown
//! `stopReason`s) is decided by its own table (`translate::stream::stop_reason`).

use super::{DriftKind, Observation, json_shape_bytes, redact_parse_error, unknown_error_detail};
use crate::error::HttpError;
use crate::events::{EventError, StreamEvent};

/// The upstream's "model temporarily unavailable" marker: an event type the stream machine knows
/// although the decoder does not (kiro-2026-endpoints.md §8).
const MODEL_UNAVAILABLE_MARKER: &str = "MODEL_TEMPORARILY_UNAVAILABLE";

/// The reason of a refused body (kiro-2026-endpoints.md §8).
const REQUEST_BODY_INVALID: &str = "REQUEST_BODY_INVALID";

/// An event the decoder skipped, or an exception / error frame of an unknown type or reason.
pub fn from_event(ev: &StreamEvent) -> Option<Observation> {
    match ev {
        StreamEvent::Unknown {
            event_type,
            payload,
        } if !event_type.contains(MODEL_UNAVAILABLE_MARKER) => Some(Observation::new(
            DriftKind::UnknownEvent,
            event_type.as_str(),
            json_shape_bytes(payload),
        )),
        StreamEvent::Exception {
            exception_type,
            reason,
            ..
        } => from_error("exception", None, Some(exception_type), reason.as_deref()),
        StreamEvent::Error { code, .. } => from_error("error-frame", None, Some(code), None),
        _ => None,
    }
}

/// A first-frame HTTP error answer. `body_shape` describes the request that was sent
/// ([`crate::client::body_shape`] for chat) and is only computed for a refused body.
pub fn from_http(e: &HttpError, body_shape: impl FnOnce() -> String) -> Option<Observation> {
    let improperly_formed = e
        .message
        .to_ascii_lowercase()
        .contains("improperly formed request");
    if e.reason.as_deref() == Some(REQUEST_BODY_INVALID) || improperly_formed {
        let detail = e.reason.as_deref().unwrap_or("improperly_formed_request");
        return Some(Observation::new(
            DriftKind::BodyRejected,
            detail,
            format!("status={} {}", e.status, body_shape()),
        ));
    }
    from_error(
        "http",
        Some(e.status),
        e.error_type.as_deref(),
        e.reason.as_deref(),
    )
}

fn from_error(
    origin: &str,
    status: Option<u16>,
    error_type: Option<&str>,
    reason: Option<&str>,
) -> Option<Observation> {
    if reason == Some(REQUEST_BODY_INVALID) {
        return Some(Observation::new(
            DriftKind::BodyRejected,
            REQUEST_BODY_INVALID,
            format!("{origin} type={}", error_type.unwrap_or("-")),
        ));
    }
    let detail = unknown_error_detail(error_type, reason)?;
    let status = status.map(|s| format!(" status={s}")).unwrap_or_default();
    Some(Observation::new(
        DriftKind::UnknownError,
        detail,
        format!(
            "{origin}{status} type={} reason={}",
            error_type.map_or("-".into(), super::sanitize_detail),
            reason.map_or("-".into(), super::sanitize_detail),
        ),
    ))
}

/// A known event whose payload did not deserialize.
pub fn from_event_error(e: &EventError) -> Option<Observation> {
    match e {
        EventError::Payload {
            event_type,
            detail,
            shape,
        } => Some(Observation::new(
            DriftKind::MalformedField,
            event_type.as_str(),
            format!("{shape} ({})", redact_parse_error(detail)),
        )),
        _ => None,
    }
}

/// An account-API answer (`api`: `ListAvailableModels`, …) whose JSON did not deserialize.
pub fn from_decode(api: &str, message: &str) -> Observation {
    Observation::new(DriftKind::MalformedField, api, redact_parse_error(message))
}
