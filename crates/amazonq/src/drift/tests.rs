use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;

fn obs(kind: DriftKind, detail: &str) -> Observation {
    Observation::new(kind, detail, "{}")
}

#[test]
fn counts_per_kind_and_detail_and_flags_the_first() {
    let d = Drift::new();
    let a = d.record(obs(DriftKind::UnknownEvent, "newEvent"), Some("acc1"));
    let b = d.record(obs(DriftKind::UnknownEvent, "newEvent"), Some("acc1"));
    let c = d.record(obs(DriftKind::UnknownStopReason, "SOMETHING_NEW"), None);
    assert!(a.first && !b.first && c.first);
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
        d.record_at(obs(DriftKind::UnknownEvent, &format!("e{i}")), None, at);
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
        d.record(obs(DriftKind::UnknownError, &format!("reason:R{i}")), None);
    }
    let r = &d.report()[&DriftKind::UnknownError];
    assert_eq!(r.details.len(), MAX_DETAILS + 1);
    assert_eq!(r.details[OTHER_DETAIL], 5);
    let rec = d.record(obs(DriftKind::UnknownEvent, "a b\"c{}\n"), None);
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
    assert_eq!(unknown_error_detail(Some("ThrottlingException"), None), None);
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
