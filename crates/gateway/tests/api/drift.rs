//! Upstream drift warnings (issue 22 items 2 and 3): every simulator drift fault — an unknown event
//! type, an unknown error reason (HTTP answer and in-stream exception), an unknown stop reason, a
//! malformed field, a refused body — plus a pre-flight repair is counted with a redacted sample,
//! visible in `/metrics` and `GET /v2/upstream/drift`, while the client still gets a proper answer.

use crate::common::server::{ok, strings};
use crate::common::v1::Harness;
use serde_json::{Value, json};

fn chat(prompt: &str, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
}

/// A non-streamed `/v1/messages` of `prompt`: (status, body).
async fn message(h: &Harness, prompt: &str) -> (u16, Value) {
    let (status, _, body) = h.json("/v1/messages", &chat(prompt, false)).await;
    (status, body)
}

/// The kind's entry of the admin report (panics when absent).
fn kind<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == name)
        .unwrap_or_else(|| panic!("kind {name} missing: {report:#}"))
}

/// The `/metrics` value of `gateway_upstream_drift_total{kind, detail}` (0 when absent).
async fn metric(h: &Harness, kind: &str, detail: &str) -> f64 {
    let text = h.get_text("/metrics").await;
    text.lines()
        .filter(|l| l.starts_with("gateway_upstream_drift_total{"))
        .filter(|l| l.contains(&format!("kind=\"{kind}\"")))
        .filter(|l| l.contains(&format!("detail=\"{detail}\"")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn report(h: &Harness, token: &str) -> Value {
    ok(h.get(token, "/v2/upstream/drift").await)
}

/// Checks one kind after one fault: its count and detail, an account-stamped sample whose shape
/// contains `shape_part`, no trace of `secret` anywhere, and the metric.
async fn assert_counted(
    h: &Harness,
    token: &str,
    (name, detail, shape_part, secret): (&str, &str, &str, &str),
) {
    let r = report(h, token).await;
    assert!(!r.to_string().contains(secret), "secret leaked: {r}");
    let k = kind(&r, name);
    assert_eq!(k["count"], 1, "{k:#}");
    assert_eq!(k["details"][detail], 1, "{k:#}");
    let sample = &k["samples"][0];
    assert_eq!(sample["detail"], detail, "{k:#}");
    assert_eq!(sample["account"], "a1", "{k:#}");
    assert!(sample["at"].is_string(), "{k:#}");
    let shape = sample["shape"].as_str().unwrap();
    assert!(shape.contains(shape_part), "{shape} lacks {shape_part}");
    assert!(
        metric(h, name, detail).await >= 1.0,
        "metric {name}/{detail}"
    );
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one pass over every drift fault of the simulator, counted in one report"
)]
async fn every_simulator_drift_fault_is_counted_with_a_redacted_sample() {
    let h = Harness::start().await;
    let token = h.admin_token().await;
    assert_eq!(report(&h, &token).await, json!({"total": 0, "kinds": []}));

    // Unknown event type: skipped, the answer is whole.
    let s = h
        .sse(
            "/v1/messages",
            &chat(
                "#say hello\n#unknown brandNewEvent {\"note\":\"secret-one\",\"n\":2}",
                true,
            ),
        )
        .await;
    s.assert_event_stream();
    assert_eq!(s.anthropic_text(), "hello");
    let args = (
        "unknown_event",
        "brandNewEvent",
        r#"{"n":"number","note":"string"}"#,
        "secret-one",
    );
    assert_counted(&h, &token, args).await;

    // Unknown stop reason: the turn ends as end_turn.
    let (status, body) = message(&h, "#say done\n#stop-reason SOMETHING_NEW").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stop_reason"], "end_turn");
    let args = (
        "unknown_stop_reason",
        "SOMETHING_NEW",
        "metadataEvent.stopReason",
        "\u{0}",
    );
    assert_counted(&h, &token, args).await;

    // Unknown reason in an in-stream exception: a proper error answer in the dialect.
    let (status, body) = message(&h, "#exception ValidationException SOMETHING_NEW").await;
    assert!(status >= 400, "{status} {body}");
    assert_eq!(body["type"], "error", "{body}");
    let args = (
        "unknown_error",
        "reason:SOMETHING_NEW",
        "exception type=ValidationException reason=SOMETHING_NEW",
        "Simulated exception",
    );
    assert_counted(&h, &token, args).await;

    // Unknown reason in a first-frame HTTP answer: the client gets a 400 in its dialect.
    h.sim.fault_next_chat(None, "unknown-reason").unwrap();
    let (status, _, body) = h
        .json("/v1/chat/completions", &chat("#say never", false))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    let r = report(&h, &token).await;
    let k = kind(&r, "unknown_error");
    assert_eq!(k["count"], 2, "{k:#}");
    assert_eq!(k["details"]["reason:SOMETHING_NEW"], 2, "{k:#}");
    let shape = k["samples"][0]["shape"].as_str().unwrap();
    assert!(shape.starts_with("http status=400 "), "{shape}");
    assert!(
        !r.to_string().contains("does not know"),
        "message leaked: {r}"
    );

    // A known event with a field of the wrong type: the stream ends with an in-band error.
    let s = h
        .sse(
            "/v1/messages",
            &chat("#say partial\n#malformed-field", true),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.raw);
    assert_eq!(s.anthropic_text(), "partial");
    assert_eq!(s.named("error").len(), 1, "{}", s.raw);
    let args = (
        "malformed_field",
        "meteringEvent",
        r#"{"unit":"string","usage":"string"}"#,
        "not a number",
    );
    assert_counted(&h, &token, args).await;

    // The upstream refuses the body the gateway built: the body's shape, never its text.
    h.sim.fault_next_chat(None, "improperly-formed").unwrap();
    let (status, body) = message(&h, "#say private-prompt").await;
    assert_eq!(status, 400, "{body}");
    let args = (
        "body_rejected",
        "improperly_formed_request",
        "root=[conversationState",
        "private-prompt",
    );
    assert_counted(&h, &token, args).await;

    // A repair rule of the pre-flight normalizer: a conversation that starts with the assistant.
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [
        {"role": "assistant", "content": "earlier"},
        {"role": "user", "content": "#say repaired"}]});
    h.answered("/v1/messages", &b).await;
    let args = (
        "preflight_rewrite",
        "r2_first_turn_user",
        "rules=[",
        "earlier",
    );
    assert_counted(&h, &token, args).await;

    let r = report(&h, &token).await;
    assert_eq!(r["total"], 7, "{r:#}");
    let order = strings(&r["kinds"], "kind");
    assert_eq!(
        order,
        [
            "unknown_event",
            "unknown_error",
            "unknown_stop_reason",
            "malformed_field",
            "body_rejected",
            "preflight_rewrite"
        ]
    );

    // Reset: the report is empty again.
    let (status, _) = h.delete(&token, "/v2/upstream/drift").await;
    assert_eq!(status, 204);
    assert_eq!(report(&h, &token).await, json!({"total": 0, "kinds": []}));
    h.stop().await;
}

#[tokio::test]
async fn known_answers_are_not_drift() {
    let h = Harness::start().await;
    let token = h.admin_token().await;
    let (status, body) = message(&h, "#say fine\n#stop-reason MAX_TOKENS\n#metering 0.5").await;
    assert_eq!(status, 200, "{body}");
    // A known reason (CONTENT_LENGTH_EXCEEDS_THRESHOLD) is no drift either.
    h.sim.fault_next_chat(None, "input-too-long").unwrap();
    let (status, _, body) = h.json("/v1/messages", &chat("#say later", false)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(report(&h, &token).await, json!({"total": 0, "kinds": []}));
    let (status, v) = h.get("not-a-session", "/v2/upstream/drift").await;
    assert_eq!(status, 401, "admin only: {v}");
    h.stop().await;
}
