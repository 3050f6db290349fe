//! Whole-SSE-transcript tests for both dialects (client doc §1.5, §2.5): text, thinking split across
//! frames, parallel tool calls, truncated tool JSON, an exception mid-stream and max_tokens. Each
//! transcript is compared byte for byte with `tests/snapshots/sse/*.txt` and checked against the
//! dialect's grammar rules, and the non-stream body built from the same events is snapshotted too.

use crate::common;
use crate::common::{assert_snapshot, collect, exception, out_events, text, tool};
use amazonq::events::StreamEvent;
use serde_json::{Value, json};
use translate::anthropic::response::message_body;
use translate::ir::{ChatRequest, OutEvent};
use translate::openai::response::completion_body;
use translate::sse::{AnthropicSse, OpenAiSse};
use translate::testing::check_openai_chunks;
use translate::{anthropic, openai, tokens};

fn anthropic_req(extra: &Value) -> ChatRequest {
    let mut body = json!({"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024, "stream": true,
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        "messages": [{"role": "user", "content": "Weather in Paris and Rome?"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    anthropic::parse(body.to_string().as_bytes(), anthropic::Endpoint::Messages).unwrap()
}

fn openai_req(extra: &Value) -> ChatRequest {
    let mut body = json!({"model": "claude-sonnet-4.5", "stream": true, "stream_options": {"include_usage": true},
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
        "messages": [{"role": "user", "content": "Weather in Paris and Rome?"}]});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    openai::parse(body.to_string().as_bytes()).unwrap()
}

fn anthropic_sse(req: &ChatRequest, out: &[OutEvent]) -> String {
    let mut sse = AnthropicSse::new("msg_test", &req.model, tokens::count_request(req));
    let mut wire = sse.start();
    for e in out {
        wire.push_str(&sse.encode(e));
    }
    wire
}

fn openai_sse(req: &ChatRequest, out: &[OutEvent]) -> String {
    let mut sse = OpenAiSse::new(
        "chatcmpl-test",
        1_764_120_000,
        &req.model,
        req.include_usage,
    )
    .with_input_tokens(tokens::count_request(req));
    let mut wire = sse.start();
    for e in out {
        wire.push_str(&sse.encode(e));
    }
    wire
}

/// Checklist 4–9: `event:` equals `data.type`; order; indices 0.. without gaps, never interleaved;
/// delta type matches block type; nothing after `message_stop`.
fn check_anthropic_grammar(wire: &str) -> Vec<Value> {
    let events = common::named_events(wire);
    assert_eq!(events[0]["type"], "message_start");
    assert!(
        events[0]["message"]["usage"]["input_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(events[0]["message"]["content"], json!([]));
    let mut open: Option<(u64, String)> = None;
    let mut next = 0u64;
    for (i, e) in events.iter().enumerate().skip(1) {
        match e["type"].as_str().unwrap() {
            "ping" => {}
            "content_block_start" => {
                assert!(open.is_none(), "interleaved blocks");
                assert_eq!(e["index"], next);
                let kind = e["content_block"]["type"].as_str().unwrap().to_owned();
                if kind == "tool_use" {
                    assert_eq!(e["content_block"]["input"], json!({}));
                }
                open = Some((next, kind));
            }
            "content_block_delta" => {
                let (idx, kind) = open.clone().expect("delta outside a block");
                assert_eq!(e["index"], idx);
                let dt = e["delta"]["type"].as_str().unwrap();
                let ok = matches!(
                    (kind.as_str(), dt),
                    ("text", "text_delta")
                        | ("tool_use", "input_json_delta")
                        | ("thinking", "thinking_delta" | "signature_delta")
                );
                assert!(ok, "{dt} inside {kind}");
            }
            "content_block_stop" => {
                let (idx, _) = open.take().expect("stop without start");
                assert_eq!(e["index"], idx);
                next += 1;
            }
            "message_delta" => {
                assert!(open.is_none());
                assert!(next >= 1, "at least one content block");
                assert!(e["usage"]["output_tokens"].as_u64().unwrap() >= 1);
            }
            "message_stop" => assert_eq!(i, events.len() - 1, "nothing after message_stop"),
            "error" => assert_eq!(i, events.len() - 1, "nothing after error"),
            other => panic!("unexpected event {other}"),
        }
    }
    events
}

/// Checklist 41–46: same id/created/model; role only first; one finish chunk after all deltas;
/// usage chunk with `choices: []` before `[DONE]`; `usage: null` earlier.
fn check_openai_grammar(wire: &str, include_usage: bool) -> Vec<Value> {
    let frames: Vec<&str> = wire.split("\n\n").filter(|f| !f.is_empty()).collect();
    let mut chunks = Vec::new();
    let mut done = false;
    for f in &frames {
        let data = f.strip_prefix("data: ").unwrap();
        if data == "[DONE]" {
            done = true;
            continue;
        }
        assert!(!done, "data after [DONE]");
        chunks.push(serde_json::from_str::<Value>(data).unwrap());
    }
    if chunks.last().is_some_and(|c| c.get("error").is_some()) {
        assert!(!done);
        return chunks;
    }
    assert!(done, "stream must end with [DONE]");
    let finish = check_openai_chunks(&chunks);
    if include_usage {
        for c in &chunks[..chunks.len() - 1] {
            assert!(c["usage"].is_null() && c.get("usage").is_some());
        }
    }
    if include_usage {
        let last = chunks.last().unwrap();
        assert_eq!(last["choices"], json!([]));
        let u = &last["usage"];
        assert_eq!(
            u["total_tokens"].as_u64(),
            Some(u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap())
        );
        assert_eq!(finish, chunks.len() - 2);
    } else {
        assert_eq!(finish, chunks.len() - 1);
    }
    chunks
}

fn case(
    name: &str,
    areq: &ChatRequest,
    oreq: &ChatRequest,
    events: &[StreamEvent],
) -> (Vec<Value>, Vec<Value>) {
    let a_out = out_events(areq, events);
    let a_wire = anthropic_sse(areq, &a_out);
    assert_snapshot(&format!("sse/{name}.anthropic.txt"), &a_wire);
    let a = check_anthropic_grammar(&a_wire);
    let o_out = out_events(oreq, events);
    let o_wire = openai_sse(oreq, &o_out);
    assert_snapshot(&format!("sse/{name}.openai.txt"), &o_wire);
    let o = check_openai_grammar(&o_wire, oreq.include_usage);
    // Non-stream bodies from the same events (when the answer did not fail).
    if !a_out.iter().any(|e| matches!(e, OutEvent::Error(_))) {
        let body =
            serde_json::to_string_pretty(&message_body(&collect(&a_out), "msg_test", &areq.model))
                .unwrap();
        assert_snapshot(&format!("sse/{name}.anthropic.json"), &(body + "\n"));
        let body = serde_json::to_string_pretty(&completion_body(
            &collect(&o_out),
            "chatcmpl-test",
            1_764_120_000,
            &oreq.model,
        ))
        .unwrap();
        assert_snapshot(&format!("sse/{name}.openai.json"), &(body + "\n"));
    }
    (a, o)
}

/// [`case`] with the default request of each dialect.
fn plain_case(name: &str, events: &[StreamEvent]) -> (Vec<Value>, Vec<Value>) {
    case(
        name,
        &anthropic_req(&json!({})),
        &openai_req(&json!({})),
        events,
    )
}

/// The stop reason of the Anthropic transcript's `message_delta` and the finish reason of the
/// OpenAI transcript's last choice chunk (both the event before the end marker).
fn stop_reasons<'a>(a: &'a [Value], o: &'a [Value]) -> (&'a str, &'a str) {
    (
        a[a.len() - 2]["delta"]["stop_reason"].as_str().unwrap(),
        o[o.len() - 2]["choices"][0]["finish_reason"]
            .as_str()
            .unwrap(),
    )
}

#[test]
fn plain_text() {
    let (a, o) = plain_case("text", &[text("Hello"), text(", world.")]);
    assert_eq!(stop_reasons(&a, &o), ("end_turn", "stop"));
}

#[test]
fn thinking_split_across_frames() {
    let events = [
        text("<thin"),
        text("king>\nThe user "),
        text("wants weather.\n</th"),
        text("inking>\n"),
        text("\nIt is sunny."),
    ];
    let (a, o) = case(
        "thinking",
        &anthropic_req(&json!({"thinking": {"type": "enabled", "budget_tokens": 2048}})),
        &openai_req(&json!({"reasoning_effort": "low"})),
        &events,
    );
    assert_eq!(a[1]["type"], "ping");
    assert_eq!(a[2]["content_block"]["type"], "thinking");
    assert!(a.iter().any(|e| e["delta"]["type"] == "signature_delta"));
    let reasoning: String = o
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert_eq!(reasoning, "The user wants weather.");
    let content: String = o
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "It is sunny.");
}

#[test]
fn parallel_tool_calls() {
    let events = [
        text("Checking both."),
        tool("tooluse_p1", "get_weather", None, false),
        tool("tooluse_p1", "get_weather", Some("{\"city\": \"Par"), false),
        tool(
            "tooluse_p1",
            "get_weather",
            Some("is\", \"note\": \"caf\u{e9} \\\"quoted\\\"\\n\"}"),
            true,
        ),
        tool(
            "tooluse_p2",
            "get_weather",
            Some("{\"city\": \"Rome\"}"),
            false,
        ),
        tool("tooluse_p2", "get_weather", None, true),
    ];
    let (a, o) = plain_case("parallel_tools", &events);
    let ids: Vec<&str> = a
        .iter()
        .filter_map(|e| e["content_block"]["id"].as_str())
        .collect();
    assert_eq!(ids, ["toolu_p1", "toolu_p2"]);
    let first_args: String = a
        .iter()
        .filter(|e| e["index"] == 1 && e["delta"]["type"] == "input_json_delta")
        .map(|e| e["delta"]["partial_json"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&first_args).unwrap()["note"],
        "caf\u{e9} \"quoted\"\n"
    );
    assert_eq!(a[a.len() - 2]["delta"]["stop_reason"], "tool_use");
    let starts: Vec<&Value> = o
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0))
        .filter(|t| t.get("id").is_some())
        .collect();
    assert_eq!(
        starts
            .iter()
            .map(|t| t["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(o[o.len() - 2]["choices"][0]["finish_reason"], "tool_calls");
}

#[test]
fn truncated_tool_json() {
    let events = [
        text("Writing."),
        tool("tooluse_w", "get_weather", Some("{\"city\": \"Par"), true),
    ];
    let (a, o) = plain_case("truncated_tool", &events);
    assert!(
        !a.iter().any(|e| e["content_block"]["type"] == "tool_use"),
        "no broken tool_use"
    );
    assert_eq!(a[a.len() - 2]["delta"]["stop_reason"], "max_tokens");
    assert!(
        !o.iter()
            .any(|c| c["choices"][0]["delta"].get("tool_calls").is_some())
    );
    assert_eq!(o[o.len() - 2]["choices"][0]["finish_reason"], "length");
}

fn meta(stop: &str) -> StreamEvent {
    StreamEvent::Metadata {
        token_usage: amazonq::events::TokenUsage::default(),
        stop_reason: Some(stop.to_owned()),
    }
}

#[test]
fn errors_after_output() {
    // (snapshot, the upstream's failure, Anthropic error type, OpenAI error type and its code where
    // the failure fixes one)
    let cases = [
        (
            "exception",
            exception("Internal failure"),
            "api_error",
            "server_error",
            None,
        ),
        (
            "model_unavailable",
            meta("MODEL_TEMPORARILY_UNAVAILABLE"),
            "overloaded_error",
            "server_error",
            Some("service_unavailable"),
        ),
    ];
    for (name, failure, anthropic_type, openai_type, openai_code) in cases {
        let (a, o) = plain_case(name, &[text("Par"), failure]);
        let last = a.last().unwrap();
        assert_eq!(last["type"], "error", "{name}");
        assert_eq!(last["error"]["type"], anthropic_type, "{name}");
        assert!(!a.iter().any(|e| e["type"] == "message_stop"), "{name}");
        let err = &o.last().unwrap()["error"];
        assert_eq!(err["type"], openai_type, "{name}");
        if let Some(code) = openai_code {
            assert_eq!(err["code"], code, "{name}");
        }
    }
}

#[test]
fn upstream_stop_reasons() {
    // (snapshot, text before the stop, upstream stop reason, Anthropic and OpenAI reasons)
    let cases = [
        (
            "stop_context_window",
            "So far",
            "MODEL_CONTEXT_WINDOW_EXCEEDED",
            ("model_context_window_exceeded", "length"),
        ),
        (
            "stop_guardrail",
            "I can",
            "GUARDRAIL_INTERVENED",
            ("refusal", "content_filter"),
        ),
    ];
    for (name, said, stop, reasons) in cases {
        let (a, o) = plain_case(name, &[text(said), meta(stop)]);
        assert_eq!(stop_reasons(&a, &o), reasons, "{name}");
    }
}

#[test]
fn max_tokens_reached() {
    let (a, o) = case(
        "max_tokens",
        &anthropic_req(&json!({"max_tokens": 4})),
        &openai_req(&json!({"max_tokens": 4})),
        &[
            text("one two three four five six seven eight"),
            text(" nine ten"),
        ],
    );
    assert_eq!(a[a.len() - 2]["delta"]["stop_reason"], "max_tokens");
    assert_eq!(a[a.len() - 2]["usage"]["output_tokens"], 4);
    assert_eq!(o[o.len() - 2]["choices"][0]["finish_reason"], "length");
}

#[test]
fn empty_answer_still_has_a_block() {
    let (a, _) = case(
        "empty",
        &anthropic_req(&json!({})),
        &openai_req(&json!({"stream_options": null})),
        &[],
    );
    assert_eq!(
        a.iter()
            .filter(|e| e["type"] == "content_block_start")
            .count(),
        1
    );
}

#[test]
fn stream_and_non_stream_text_agree() {
    let req = anthropic_req(&json!({"stop_sequences": ["STOP"]}));
    let out = out_events(&req, &[text("Hello ST"), text("OP tail")]);
    let body = message_body(&collect(&out), "msg_x", &req.model);
    assert_eq!(body.stop_reason.as_deref(), Some("stop_sequence"));
    assert_eq!(body.stop_sequence.as_deref(), Some("STOP"));
    let wire = anthropic_sse(&req, &out);
    let streamed: String = check_anthropic_grammar(&wire)
        .iter()
        .filter_map(|e| e["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(streamed, "Hello ");
    assert_eq!(
        serde_json::to_value(&body.content).unwrap(),
        json!([{"type": "text", "text": "Hello "}])
    );
}
