//! Anthropic `/v1/messages` answers against the simulator: client-api-conformance.md §4 items
//! 1–13 and 28–32 (shapes, stream grammar, tools, thinking, in-band errors, stop, limits, keep-alive)
//! and the Claude Code request shapes of items 70–71. Each test is named after its checklist items.

use crate::common::anthropic::{MODEL, assert_error, body, check_grammar};
use crate::common::v1::{Harness, label};
use serde_json::{Value, json};

#[tokio::test]
async fn item_01_02_25_nonstream_text_shape_and_headers() {
    let h = Harness::start().await;
    let (status, headers, v) = h
        .json("/v1/messages", &body("#say Hello there, friend.", false))
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(v["stop_sequence"].is_null());
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(v["usage"]["output_tokens"].as_u64().unwrap() > 0);
    assert_eq!(v["content"][0]["text"], "Hello there, friend.");
    // 2: the model echoes the client's name.
    assert_eq!(v["model"], MODEL);
    // Request id headers and the serving account.
    assert!(headers.contains_key("request-id") && headers.contains_key("x-request-id"));
    assert_eq!(headers["x-claude-api-account"], label("a1").as_str());
    // 25: an error carries the id header too.
    let (status, headers, v) = h
        .json("/v1/messages", &json!({"model": MODEL, "messages": []}))
        .await;
    assert_eq!(status, 400);
    assert_error(&v, "invalid_request_error");
    assert!(headers.contains_key("request-id"));
    assert_eq!(v["request_id"], headers["request-id"].to_str().unwrap());
    h.stop().await;
}

#[tokio::test]
async fn item_03_to_09_stream_grammar_and_same_text_as_nonstream() {
    let h = Harness::start().await;
    let prompt = "#split word\n#say The quick brown fox jumps over the lazy dog.";
    let s = h.sse("/v1/messages", &body(prompt, true)).await;
    let blocks = check_grammar(&s);
    assert_eq!(blocks.len(), 1);
    assert_eq!(s.headers["x-claude-api-account"], label("a1").as_str());
    let (_, _, v) = h.json("/v1/messages", &body(prompt, false)).await;
    assert_eq!(
        s.anthropic_text(),
        v["content"][0]["text"].as_str().unwrap()
    );
    assert_eq!(
        s.anthropic_text(),
        "The quick brown fox jumps over the lazy dog."
    );
    h.stop().await;
}

#[tokio::test]
async fn item_08_18_thinking_blocks_and_modes() {
    let h = Harness::start().await;
    let mut b = body("#thinking Let me ponder.\n#say The answer is 4.", true);
    b["thinking"] = json!({"type": "enabled", "budget_tokens": 31999});
    let s = h.sse("/v1/messages", &b).await;
    let blocks = check_grammar(&s);
    assert_eq!(blocks[0].0, "thinking", "{}", s.raw);
    let deltas: Vec<&str> = blocks[0]
        .1
        .iter()
        .skip(1)
        .map(|d| d["delta"]["type"].as_str().unwrap())
        .collect();
    assert!(deltas.contains(&"thinking_delta"));
    assert_eq!(deltas.last(), Some(&"signature_delta"));
    let thinking: String = blocks[0]
        .1
        .iter()
        .filter_map(|d| d["delta"]["thinking"].as_str())
        .collect();
    assert!(thinking.contains("Let me ponder."), "{thinking}");
    assert_eq!(blocks[1].0, "text");
    assert_eq!(s.anthropic_text().trim(), "The answer is 4.");
    // 18: every thinking mode is accepted.
    for mode in [
        json!({"type":"adaptive"}),
        json!({"type":"disabled"}),
        json!({"type":"enabled","budget_tokens":2048}),
    ] {
        let mut b = body("#say ok", false);
        b["thinking"] = mode.clone();
        let (status, _, v) = h.json("/v1/messages", &b).await;
        assert_eq!(status, 200, "{mode}: {v}");
    }
    h.stop().await;
}

#[tokio::test]
async fn item_10_11_12_13_tool_turns() {
    let h = Harness::start().await;
    let args = r#"{"path":"/tmp/ü \"quoted\"\nnext ✓","n":3}"#;
    let prompt = format!(
        "#say Let me look.\n#tool id=t1 fragments=4 read_file {args}\n#tool id=t2 fragments=2 list_dir {{\"dir\":\"/\"}}"
    );
    let expected: Value = serde_json::from_str(args).unwrap();
    let tools = json!([{"name":"read_file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}},
                       {"name":"list_dir","input_schema":{"type":"object"}}]);
    let mut b = body(&prompt, true);
    b["tools"] = tools.clone();
    let s = h.sse("/v1/messages", &b).await;
    let blocks = check_grammar(&s);
    let tool_blocks: Vec<&(String, Vec<Value>)> =
        blocks.iter().filter(|b| b.0 == "tool_use").collect();
    assert_eq!(tool_blocks.len(), 2, "{}", s.raw);
    let mut ids = Vec::new();
    for (i, (_, evs)) in tool_blocks.iter().enumerate() {
        // 11: input {} at start, the concatenated partial_json parses to the upstream object.
        assert_eq!(evs[0]["content_block"]["input"], json!({}));
        let id = evs[0]["content_block"]["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("toolu_"), "{id}");
        ids.push(id);
        let joined: String = evs
            .iter()
            .skip(1)
            .map(|d| d["delta"]["partial_json"].as_str().unwrap())
            .collect();
        let parsed: Value = serde_json::from_str(&joined).unwrap();
        if i == 0 {
            assert_eq!(
                parsed, expected,
                "12: unicode, quotes and newlines round-trip"
            );
        } else {
            assert_eq!(parsed, json!({"dir": "/"}));
        }
    }
    assert_ne!(ids[0], ids[1], "13: distinct ids");
    assert_eq!(
        s.named("message_delta")[0]["delta"]["stop_reason"],
        "tool_use"
    );
    // Non-stream: stop_reason tool_use, last block tool_use with the object input.
    let mut b = body(&prompt, false);
    b["tools"] = tools;
    let v = h.answered("/v1/messages", &b).await;
    assert_eq!(v["stop_reason"], "tool_use");
    let content = v["content"].as_array().unwrap();
    assert_eq!(content.last().unwrap()["type"], "tool_use");
    assert_eq!(content[1]["input"], expected);
    assert_eq!(content[1]["name"], "read_file");
    h.stop().await;
}

#[tokio::test]
async fn item_28_error_after_stream_start_is_in_band() {
    let h = Harness::start().await;
    let prompt = "#split word\n#say one two three four five six seven\n#fault exception:4";
    let s = h.sse("/v1/messages", &body(prompt, true)).await;
    assert_eq!(s.status, 200, "{}", s.raw);
    let last = s.events.last().unwrap();
    assert_eq!(last.name.as_deref(), Some("error"), "{}", s.raw);
    let v = last.json();
    assert_eq!(v["type"], "error");
    assert!(v["error"]["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(s.named("message_stop").is_empty());
    assert!(
        !s.anthropic_text().is_empty(),
        "text before the error was streamed"
    );
    h.stop().await;
}

#[tokio::test]
async fn item_29_stop_sequences() {
    let h = Harness::start().await;
    let prompt = "#split char\n#say alpha beta STOP gamma";
    let mut b = body(prompt, false);
    b["stop_sequences"] = json!(["STOP"]);
    let v = h.answered("/v1/messages", &b).await;
    assert_eq!(v["content"][0]["text"], "alpha beta ");
    assert_eq!(v["stop_reason"], "stop_sequence");
    assert_eq!(v["stop_sequence"], "STOP");
    b["stream"] = json!(true);
    let s = h.sse("/v1/messages", &b).await;
    check_grammar(&s);
    assert_eq!(s.anthropic_text(), "alpha beta ");
    let d = &s.named("message_delta")[0]["delta"];
    assert_eq!(d["stop_reason"], "stop_sequence");
    assert_eq!(d["stop_sequence"], "STOP");
    h.stop().await;
}

#[tokio::test]
async fn item_30_max_tokens_and_truncated_tool_json() {
    let h = Harness::start().await;
    let mut b = body("#text 300", false);
    b["max_tokens"] = json!(10);
    let v = h.answered("/v1/messages", &b).await;
    assert_eq!(v["stop_reason"], "max_tokens");
    assert!(v["usage"]["output_tokens"].as_u64().unwrap() <= 10);
    // A tool call whose JSON the upstream cut off never becomes a tool_use block.
    let mut b = body(
        "#tool id=t9 fragments=3 write_file {\"path\":\"a\",\"content\":\"long text here\"}\n#fault truncated-tool-json",
        true,
    );
    b["tools"] = json!([{"name":"write_file","input_schema":{"type":"object"}}]);
    let s = h.sse("/v1/messages", &b).await;
    let blocks = check_grammar(&s);
    assert!(blocks.iter().all(|b| b.0 != "tool_use"), "{}", s.raw);
    assert_eq!(
        s.named("message_delta")[0]["delta"]["stop_reason"],
        "max_tokens"
    );
    h.stop().await;
}

#[tokio::test]
async fn item_31_empty_upstream_answer_still_has_a_block() {
    let h = Harness::start().await;
    let s = h
        .sse("/v1/messages", &body("#message-metadata", true))
        .await;
    let blocks = check_grammar(&s);
    assert!(!blocks.is_empty(), "{}", s.raw);
    let v = h
        .answered("/v1/messages", &body("#message-metadata", false))
        .await;
    assert!(!v["content"].as_array().unwrap().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn item_32_keepalive_pings_during_upstream_silence() {
    let h = Harness::start().await; // keep-alive after 150 ms of silence
    let s = h
        .sse(
            "/v1/messages",
            &body("#say first\n#sleep 700\n#say second", true),
        )
        .await;
    check_grammar(&s);
    // One ping follows message_start; the silence adds more.
    assert!(s.named("ping").len() >= 3, "{}", s.raw);
    assert_eq!(s.anthropic_text(), "firstsecond");
    h.stop().await;
}

#[tokio::test]
async fn item_70_71_claude_code_title_and_main_request_shapes() {
    let h = Harness::start().await;
    // 71: the session-title request (tools [], thinking disabled, output_config.format).
    let b = json!({"model": MODEL, "max_tokens": 32000, "stream": true, "tools": [], "temperature": 1,
        "thinking": {"type": "disabled"},
        "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=cli;"},
                   {"type": "text", "text": "Generate a title.", "cache_control": {"type": "ephemeral"}}],
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object",
            "properties": {"title": {"type": "string"}}, "required": ["title"]}}},
        "messages": [{"role": "user", "content": "#say ```json\\n{\"title\": \"Greeting\"}\\n```"}]});
    let s = h.sse("/v1/messages?beta=true", &b).await;
    check_grammar(&s);
    let v: Value = serde_json::from_str(&s.anthropic_text()).unwrap();
    assert_eq!(v["title"], "Greeting");
    // 70: the main request of Claude Code: system role last, adaptive thinking, metadata, effort.
    let b = json!({"model": MODEL, "max_tokens": 32000, "stream": true,
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "high"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": "{\"device_id\":\"d\",\"session_id\":\"s-1\"}"},
        "tools": [{"name": "Read", "description": "Read a file", "input_schema": {"type": "object",
            "properties": {"file_path": {"type": "string"}}, "required": ["file_path"]}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "#tool id=r1 Read {\"file_path\":\"/tmp/hello.txt\"}",
                       "cache_control": {"type": "ephemeral"}}]},
                     {"role": "system", "content": "<system-reminder>today</system-reminder>"}]});
    let s = h.sse("/v1/messages?beta=true", &b).await;
    let blocks = check_grammar(&s);
    let tool = blocks.iter().find(|b| b.0 == "tool_use").unwrap();
    let json: String = tool
        .1
        .iter()
        .skip(1)
        .map(|d| d["delta"]["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        json!({"file_path": "/tmp/hello.txt"})
    );
    assert_eq!(
        s.named("message_delta")[0]["delta"]["stop_reason"],
        "tool_use"
    );
    h.stop().await;
}
