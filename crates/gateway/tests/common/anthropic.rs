//! The Anthropic dialect in tests: a one-message request body, the error-body check, and the
//! stream grammar check (client-api-conformance.md §4 items 4–9).

use serde_json::{Value, json};

use super::sse::Sse;

/// The model name the Anthropic tests send (a dated Claude Code spelling).
pub const MODEL: &str = "claude-sonnet-4-5-20250929";

/// A `/v1/messages` body with one user message `prompt`.
pub fn body(prompt: &str, stream: bool) -> Value {
    json!({"model": MODEL, "max_tokens": 1024, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
}

/// `v` is an Anthropic error body of type `kind` with a non-empty message.
pub fn assert_error(v: &Value, kind: &str) {
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["error"]["type"], kind, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// `v` is Anthropic's prompt-too-long error (`prompt is too long: N tokens > M maximum`, the text
/// Claude Code parses to compact): (N, M).
pub fn prompt_too_long(v: &Value) -> (u64, u64) {
    assert_error(v, "invalid_request_error");
    let msg = v["error"]["message"].as_str().unwrap();
    let (n, m) = msg
        .strip_prefix("prompt is too long: ")
        .and_then(|r| r.strip_suffix(" maximum"))
        .and_then(|r| r.split_once(" tokens > "))
        .unwrap_or_else(|| panic!("{msg}"));
    (n.parse().unwrap(), m.parse().unwrap())
}

/// Checks the stream grammar of items 4, 5, 7, 8, 9 and returns the blocks as (type, deltas).
pub fn check_grammar(s: &Sse) -> Vec<(String, Vec<Value>)> {
    s.assert_event_stream();
    // 4: every event has an `event:` line equal to data.type.
    for e in &s.events {
        assert_eq!(e.name.as_deref(), e.json()["type"].as_str(), "{e:?}");
    }
    // 5: message_start first, message_stop last, nothing after it.
    let names: Vec<&str> = s
        .events
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
    assert_eq!(names.last(), Some(&"message_stop"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "message_start").count(), 1);
    assert_eq!(names[names.len() - 2], "message_delta", "{names:?}");
    // 7 and 8: blocks strictly sequential, indices 0,1,2…, delta type matches block type.
    let mut blocks: Vec<(String, Vec<Value>)> = Vec::new();
    let mut open: Option<usize> = None;
    for e in &s.events {
        let v = e.json();
        match e.name.as_deref() {
            Some("content_block_start") => {
                assert!(open.is_none(), "interleaved blocks: {}", s.raw);
                let i = v["index"].as_u64().unwrap() as usize;
                assert_eq!(i, blocks.len(), "index gap: {}", s.raw);
                blocks.push((
                    v["content_block"]["type"].as_str().unwrap().to_owned(),
                    vec![v],
                ));
                open = Some(i);
            }
            Some("content_block_delta") => {
                let i = v["index"].as_u64().unwrap() as usize;
                assert_eq!(open, Some(i), "delta outside its block: {}", s.raw);
                let ok = matches!(
                    (blocks[i].0.as_str(), v["delta"]["type"].as_str().unwrap()),
                    ("text", "text_delta" | "citations_delta")
                        | ("tool_use" | "server_tool_use", "input_json_delta")
                        | ("thinking", "thinking_delta" | "signature_delta")
                );
                assert!(
                    ok,
                    "delta type {} in a {} block",
                    v["delta"]["type"], blocks[i].0
                );
                blocks[i].1.push(v);
            }
            Some("content_block_stop") => {
                assert_eq!(open, v["index"].as_u64().map(|i| i as usize));
                open = None;
            }
            Some("message_start" | "message_delta" | "message_stop" | "ping") => {
                assert!(
                    open.is_none() || e.name.as_deref() == Some("ping"),
                    "{}",
                    s.raw
                );
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    // 6 and 9: message_start shape and cumulative usage.
    let start = &s.named("message_start")[0]["message"];
    assert_eq!(start["content"], json!([]));
    assert!(start["stop_reason"].is_null());
    let start_in = start["usage"]["input_tokens"].as_u64().unwrap();
    assert!(start_in > 0);
    let delta = &s.named("message_delta")[0];
    let out = delta["usage"]["output_tokens"]
        .as_u64()
        .expect("output_tokens int");
    assert!(out >= start["usage"]["output_tokens"].as_u64().unwrap());
    blocks
}
