use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;

fn obs(kind: DriftKind, detail: &str) -> Observation {
    Observation::new(kind, detail, "{}")
}

#[test]
fn counts_per_kind_and_detail_and_flags_the_first() {
    let d = Drift::new();
    let first = d.record(&obs(DriftKind::UnknownEvent, "newEvent"), Some("acc1"));
    let again = d.record(&obs(DriftKind::UnknownEvent, "newEvent"), Some("acc1"));
    let other = d.record(&obs(DriftKind::UnknownStopReason, "SOMETHING_NEW"), None);
    assert!(first.first && !again.first && other.first);
    let r = d.report();
    assert_eq!(r[&DriftKind::UnknownEvent].count, 2);
    assert_eq!(r[&DriftKind::UnknownEvent].details["newEvent"], 2);
    assert_eq!(r[&DriftKind::UnknownStopReason].count, 1);
    assert_eq!(
        r[&DriftKind::UnknownEvent].samples[0].account.as_deref(),
        Some("acc1")
    );
    assert_eq!(d.total(), 3);
    d.reset();
    assert_eq!(d.total(), 0);
    assert!(d.report().is_empty());
}

#[test]
fn samples_are_bounded_and_newest_first() {
    let d = Drift::new();
    for i in 0..(SAMPLES_PER_KIND + 3) {
        let at = Utc.timestamp_opt(1_700_000_000 + i as i64, 0).unwrap();
        d.record_at(&obs(DriftKind::UnknownEvent, &format!("e{i}")), None, at);
    }
    let r = &d.report()[&DriftKind::UnknownEvent];
    assert_eq!(r.samples.len(), SAMPLES_PER_KIND);
    assert_eq!(r.samples[0].detail, format!("e{}", SAMPLES_PER_KIND + 2));
    assert!(r.first_seen < r.last_seen);
}

#[test]
fn details_are_capped_and_sanitized() {
    let d = Drift::new();
    for i in 0..(MAX_DETAILS + 5) {
        d.record(&obs(DriftKind::UnknownError, &format!("reason:R{i}")), None);
    }
    let r = &d.report()[&DriftKind::UnknownError];
    assert_eq!(r.details.len(), MAX_DETAILS + 1);
    assert_eq!(r.details[OTHER_DETAIL], 5);
    let rec = d.record(&obs(DriftKind::UnknownEvent, "a b\"c{}\n"), None);
    assert_eq!(rec.detail, "a_b_c__");
    assert_eq!(sanitize_detail(&"x".repeat(200)).len(), DETAIL_MAX_LEN);
}

#[test]
fn shape_keeps_keys_and_types_never_values() {
    let v = json!({"usage": "secret text", "n": 3, "list": [{"a": true}], "deep": {"x": null}});
    let s = json_shape(&v);
    assert!(!s.contains("secret"), "{s}");
    assert_eq!(
        s,
        r#"{"deep":{"x":"null"},"list":[{"a":"bool"}],"n":"number","usage":"string"}"#
    );
    assert_eq!(json_shape_bytes(b"not json at all"), "non-json(15 bytes)");
    let user_keyed = json!({"my secret file.txt": 1});
    assert_eq!(json_shape(&user_keyed), r#"{"<key>":"number"}"#);
}

#[test]
fn parse_errors_lose_their_quoted_input() {
    let err = serde_json::from_str::<f64>(r#""top secret""#).unwrap_err();
    let red = redact_parse_error(&err.to_string());
    assert!(!red.contains("secret"), "{red}");
    assert!(red.starts_with("invalid type: string"), "{red}");
}

#[test]
fn unknown_error_details() {
    assert_eq!(
        unknown_error_detail(Some("ThrottlingException"), None),
        None
    );
    assert_eq!(
        unknown_error_detail(Some("ValidationException"), Some("REQUEST_BODY_INVALID")),
        None
    );
    assert_eq!(
        unknown_error_detail(Some("ValidationException"), Some("SOMETHING_NEW")).as_deref(),
        Some("reason:SOMETHING_NEW")
    );
    assert_eq!(
        unknown_error_detail(Some("com.amazon.aws#BrandNewException:http://x"), None).as_deref(),
        Some("type:BrandNewException")
    );
}

mod observe_tests {
    use bytes::Bytes;

    use super::super::DriftKind;
    use super::super::observe::*;
    use crate::error::HttpError;
    use crate::events::StreamEvent;

    #[test]
    fn unknown_events_but_not_the_unavailable_marker() {
        let ev = StreamEvent::Unknown {
            event_type: "brandNewEvent".into(),
            payload: Bytes::from_static(br#"{"text":"user secret","n":1}"#),
        };
        let o = from_event(&ev).unwrap();
        assert_eq!(o.kind, DriftKind::UnknownEvent);
        assert_eq!(o.detail, "brandNewEvent");
        assert_eq!(o.shape, r#"{"n":"number","text":"string"}"#);
        let marker = StreamEvent::Unknown {
            event_type: "MODEL_TEMPORARILY_UNAVAILABLE".into(),
            payload: Bytes::new(),
        };
        assert_eq!(from_event(&marker), None);
        assert_eq!(
            from_event(&StreamEvent::AssistantResponse {
                content: "x".into()
            }),
            None
        );
    }

    #[test]
    fn exceptions_by_reason_and_type() {
        let ex = |t: &str, r: Option<&str>| StreamEvent::Exception {
            exception_type: t.into(),
            message: Some("secret message".into()),
            reason: r.map(Into::into),
        };
        assert_eq!(from_event(&ex("ThrottlingException", None)), None);
        let o = from_event(&ex("ThrottlingException", Some("SOMETHING_NEW"))).unwrap();
        assert_eq!(o.kind, DriftKind::UnknownError);
        assert_eq!(o.detail, "reason:SOMETHING_NEW");
        assert!(!o.shape.contains("secret"));
        let o = from_event(&ex("ValidationException", Some("REQUEST_BODY_INVALID"))).unwrap();
        assert_eq!(o.kind, DriftKind::BodyRejected);
    }

    #[test]
    fn http_answers() {
        let body = br#"{"message":"Improperly formed request.","__type":"ValidationException"}"#;
        let e = HttpError::from_parts(400, None, None, None, body);
        let o = from_http(&e, || "root=[conversationState]".into()).unwrap();
        assert_eq!(o.kind, DriftKind::BodyRejected);
        assert_eq!(o.shape, "status=400 root=[conversationState]");
        let body = br#"{"message":"private words","reason":"SOMETHING_NEW"}"#;
        let e = HttpError::from_parts(400, Some("ValidationException"), None, None, body);
        let o = from_http(&e, || unreachable!()).unwrap();
        assert_eq!(o.detail, "reason:SOMETHING_NEW");
        assert!(!o.shape.contains("private"));
        let body = br#"{"message":"slow down"}"#;
        let e = HttpError::from_parts(429, Some("ThrottlingException"), None, None, body);
        assert_eq!(from_http(&e, || unreachable!()), None);
    }

    #[test]
    fn malformed_payloads_keep_shape_not_text() {
        let frame = crate::eventstream::Frame::event(
            "meteringEvent",
            br#"{"usage":"very secret","unit":"credit"}"#.to_vec(),
        );
        let err = StreamEvent::from_frame(&frame).unwrap_err();
        let o = from_event_error(&err).unwrap();
        assert_eq!(o.kind, DriftKind::MalformedField);
        assert_eq!(o.detail, "meteringEvent");
        assert!(
            o.shape.starts_with(r#"{"unit":"string","usage":"string"}"#),
            "{}",
            o.shape
        );
        assert!(!o.shape.contains("secret"), "{}", o.shape);
    }
}
