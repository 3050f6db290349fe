//! The web-search answer's pieces and its non-stream bodies.
//!
//! Non-stream bodies replay the answer's [`Step`]s through the dialect's stream encoder, so a body
//! holds exactly what the stream would have sent: Responses keeps the response object its encoder
//! builds; for Anthropic the SSE events are folded into the message the way the SDKs accumulate a
//! stream (`content_block_start` pushes a block, deltas extend it, `message_delta` sets the stop
//! reason and usage).
//!
//! `encrypted_content` / `encrypted_index` are opaque to clients (Claude Code echoes them back in
//! history, where the gateway drops server-tool blocks): base64 of a small JSON object.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{SearchError, SearchHit, Step};
use crate::responses::object::Response;
use crate::responses::{Head, Seal};
use crate::sse::{AnthropicSse, ResponsesSse};

/// base64 of `v`'s JSON text.
pub fn encode_opaque(v: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(v.to_string())
}

/// The `content` of a `web_search_tool_result` block.
pub fn anthropic_result_content(outcome: &Result<Vec<SearchHit>, SearchError>) -> Value {
    match outcome {
        Ok(hits) => Value::Array(
            hits.iter()
                .map(|h| {
                    json!({
                        "type": "web_search_result",
                        "url": h.url,
                        "title": h.title,
                        "encrypted_content": encode_opaque(&json!({
                            "url": h.url, "snippet": h.snippet,
                        })),
                        "page_age": h.published_date,
                    })
                })
                .collect(),
        ),
        Err(e) => json!({"type": "web_search_tool_result_error", "error_code": e.code()}),
    }
}

/// The Anthropic non-stream message of a web-search answer (`id` `msg_…`, `model` as the client
/// named it).
pub fn anthropic_body(steps: &[Step], id: &str, model: &str, input_tokens: u32) -> Value {
    let mut enc = AnthropicSse::new(id, model, input_tokens).with_web_search();
    let mut sse = Vec::new();
    enc.start_into(&mut sse);
    for s in steps {
        enc.encode_step_into(s, &mut sse);
    }
    accumulate(&String::from_utf8_lossy(&sse))
}

/// The Responses non-stream body of a web-search answer.
pub fn responses_body(
    steps: &[Step],
    id: &str,
    created_at: i64,
    head: &Head,
    seal: Arc<dyn Seal>,
) -> Response {
    let mut enc = ResponsesSse::new(id, created_at, head, seal);
    let mut sink = Vec::new();
    for s in steps {
        enc.encode_step_into(s, &mut sink);
    }
    enc.into_response()
}

/// Folds an Anthropic SSE transcript into the message it describes.
fn accumulate(sse: &str) -> Value {
    let mut message = Map::new();
    let mut blocks: Vec<Map<String, Value>> = Vec::new();
    let mut partial: Vec<String> = Vec::new();
    for frame in sse.split("\n\n") {
        let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) else {
            continue;
        };
        let Ok(Value::Object(ev)) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        match ev.get("type").and_then(Value::as_str) {
            Some("message_start") => {
                if let Some(Value::Object(m)) = ev.get("message") {
                    message.clone_from(m);
                }
            }
            Some("content_block_start") => {
                if let Some(Value::Object(b)) = ev.get("content_block") {
                    blocks.push(b.clone());
                    partial.push(String::new());
                }
            }
            Some("content_block_delta") => {
                let (Some(b), Some(p), Some(d)) =
                    (blocks.last_mut(), partial.last_mut(), ev.get("delta"))
                else {
                    continue;
                };
                apply_delta(b, p, d);
            }
            Some("content_block_stop") => {
                if let (Some(b), Some(p)) = (blocks.last_mut(), partial.last())
                    && !p.is_empty()
                {
                    let input = serde_json::from_str(p).unwrap_or_else(|_| json!({}));
                    b.insert("input".to_owned(), input);
                }
            }
            Some("message_delta") => {
                if let Some(Value::Object(d)) = ev.get("delta") {
                    for (k, v) in d {
                        message.insert(k.clone(), v.clone());
                    }
                }
                if let Some(u) = ev.get("usage") {
                    message.insert("usage".to_owned(), u.clone());
                }
            }
            _ => {}
        }
    }
    message.insert(
        "content".to_owned(),
        Value::Array(blocks.into_iter().map(Value::Object).collect()),
    );
    Value::Object(message)
}

fn apply_delta(block: &mut Map<String, Value>, partial: &mut String, d: &Value) {
    let append = |block: &mut Map<String, Value>, key: &str, more: Option<&str>| {
        let prev = block.get(key).and_then(Value::as_str).unwrap_or("");
        let joined = format!("{prev}{}", more.unwrap_or(""));
        block.insert(key.to_owned(), Value::String(joined));
    };
    match d.get("type").and_then(Value::as_str) {
        Some("text_delta") => append(block, "text", d.get("text").and_then(Value::as_str)),
        Some("thinking_delta") => {
            append(block, "thinking", d.get("thinking").and_then(Value::as_str));
        }
        Some("signature_delta") => {
            append(
                block,
                "signature",
                d.get("signature").and_then(Value::as_str),
            );
        }
        Some("input_json_delta") => {
            partial.push_str(d.get("partial_json").and_then(Value::as_str).unwrap_or(""));
        }
        Some("citations_delta") => {
            let list = block
                .entry("citations")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let (Value::Array(l), Some(c)) = (list, d.get("citation")) {
                l.push(c.clone());
            }
        }
        _ => {}
    }
}
