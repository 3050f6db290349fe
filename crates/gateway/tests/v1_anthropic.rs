//! Anthropic `/v1/messages` against the simulator: client-api-conformance.md §4 items 1–37.
//! Each test is named after the checklist item(s) it covers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::many_single_char_names,
    reason = "test helpers: a failed step must fail the test; short names for status/body pairs"
)]

mod v1_support;

use serde_json::{Value, json};
use v1_support::{Harness, PNG_1X1, Sse, label};

const MODEL: &str = "claude-sonnet-4-5-20250929";

fn body(prompt: &str, stream: bool) -> Value {
    json!({"model": MODEL, "max_tokens": 1024, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
}

fn assert_error(v: &Value, kind: &str) {
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["error"]["type"], kind, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// Checks the stream grammar of items 4, 5, 7, 8, 9 and returns the blocks as (type, deltas).
fn check_grammar(s: &Sse) -> Vec<(String, Vec<Value>)> {
    assert_eq!(s.status, 200, "{}", s.raw);
    assert!(
        s.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
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
                    ("text", "text_delta")
                        | ("tool_use", "input_json_delta")
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
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["stop_reason"], "tool_use");
    let content = v["content"].as_array().unwrap();
    assert_eq!(content.last().unwrap()["type"], "tool_use");
    assert_eq!(content[1]["input"], expected);
    assert_eq!(content[1]["name"], "read_file");
    h.stop().await;
}

#[tokio::test]
async fn item_14_15_16_17_19_20_21_history_shapes_are_accepted() {
    let h = Harness::start().await;
    let tools = json!([{"name":"Read","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]);
    let history = json!([
        {"role":"user","content":"read four files"},
        {"role":"assistant","content":[
            {"type":"thinking","thinking":"SECRET-THOUGHT","signature":"sig-abc"},
            {"type":"redacted_thinking","data":"REDACTED-BLOB"},
            {"type":"text","text":"Reading."},
            {"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"a"}},
            {"type":"tool_use","id":"toolu_2","name":"Read","input":{"file_path":"b"}},
            {"type":"tool_use","id":"toolu_3","name":"Read","input":{"file_path":"c"}},
            {"type":"tool_use","id":"toolu_4","name":"Read","input":{"file_path":"d"}},
            {"type":"tool_use","id":"toolu_5","name":"Read","input":{"file_path":"e.png"}}]},
        {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"toolu_1","content":"text result","cache_control":{"type":"ephemeral"}},
            {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"block result"}]},
            {"type":"tool_result","tool_use_id":"toolu_3","is_error":true,"content":"failed"},
            {"type":"tool_result","tool_use_id":"toolu_4"},
            {"type":"tool_result","tool_use_id":"toolu_5","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":PNG_1X1}}]},
            {"type":"text","text":"#say done"}]},
        {"role":"system","content":"MID-CONVERSATION-REMINDER"}
    ]);
    for system in [
        json!("You are terse."),
        json!([{"type":"text","text":"billing header"},{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}]),
    ] {
        let b = json!({"model": MODEL, "max_tokens": 512, "system": system, "tools": tools, "messages": history,
            "context_management": {"edits": [{"type":"clear_thinking_20251015","keep":"all"}]},
            "output_config": {"effort": "high"}, "metadata": {"user_id": "{\"session_id\":\"s1\"}"},
            "service_tier": "auto", "speed": "fast", "foo": {"bar": 1}, "temperature": 1});
        let r = h
            .client
            .post(h.url("/v1/messages?beta=true"))
            .header(
                "anthropic-beta",
                "claude-code-20250219,made-up-beta-2099-01-01",
            )
            .json(&b)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["content"][0]["text"], "done");
    }
    let chats = h.upstream_chats();
    let last = chats.last().unwrap();
    assert_eq!(last.status, 200, "{:?}", last.rule);
    let sent = last.body.clone().unwrap();
    // 17: the system message's text reaches the upstream; 19: thinking blocks do not.
    assert!(sent.contains("MID-CONVERSATION-REMINDER"));
    assert!(sent.contains("You are terse."));
    assert!(!sent.contains("SECRET-THOUGHT") && !sent.contains("REDACTED-BLOB"));
    h.stop().await;
}

#[tokio::test]
async fn item_23_24_37_request_errors() {
    let h = Harness::start().await;
    let (status, headers, v) = h
        .json(
            "/v1/messages",
            &json!({"model": MODEL, "messages": [{"role":"user","content":"hi"}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&v, "invalid_request_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens"),
        "{v}"
    );
    assert!(headers.contains_key("request-id"));
    let (status, _, v) = h
        .json("/v1/messages", &json!({"model": MODEL, "max_tokens": 5}))
        .await;
    assert_eq!(status, 400);
    assert_error(&v, "invalid_request_error");
    // 24: unknown model.
    let mut b = body("#say hi", false);
    b["model"] = json!("gpt-4o-mini");
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 404, "{v}");
    assert_error(&v, "not_found_error");
    // 37: a server tool is refused, naming the tool.
    let mut b = body("#say hi", false);
    b["tools"] = json!([{"type":"web_search_20250305","name":"web_search"}]);
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 400, "{v}");
    assert_error(&v, "invalid_request_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("web_search"),
        "{v}"
    );
    // Nothing reached the upstream.
    assert!(h.upstream_chats().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn item_26_throttling_is_429_with_retry_after() {
    let h = Harness::start().await;
    h.sim
        .queue_fault(amazonq_sim::QueuedFault {
            faults: vec!["throttled".into()],
            account: None,
            operation: Some("chat".into()),
            count: 10,
        })
        .unwrap();
    let (status, headers, v) = h.json("/v1/messages", &body("#say hi", false)).await;
    assert!(status == 429 || status == 529, "{status} {v}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    if status == 429 {
        assert_error(&v, "rate_limit_error");
    } else {
        assert_error(&v, "overloaded_error");
    }
    h.stop().await;
}

#[tokio::test]
async fn item_27_context_overflow_prompt_is_too_long() {
    let h = Harness::start().await;
    h.sim.fault_next_chat(None, "input-too-long").unwrap();
    let (status, _, v) = h.json("/v1/messages", &body("#say hi", false)).await;
    assert_eq!(status, 400, "{v}");
    assert_error(&v, "invalid_request_error");
    let msg = v["error"]["message"].as_str().unwrap();
    let (n, m) = msg
        .strip_prefix("prompt is too long: ")
        .and_then(|r| r.strip_suffix(" maximum"))
        .and_then(|r| r.split_once(" tokens > "))
        .unwrap_or_else(|| panic!("{msg}"));
    assert!(n.parse::<u64>().unwrap() > m.parse::<u64>().unwrap());
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
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200, "{v}");
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
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200, "{v}");
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
    let (status, _, v) = h
        .json("/v1/messages", &body("#message-metadata", false))
        .await;
    assert_eq!(status, 200, "{v}");
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
async fn item_33_34_35_count_tokens_agrees_with_usage() {
    let h = Harness::start().await;
    let small = json!({"model": MODEL, "messages": [{"role":"user","content":"foo"}]});
    let (status, _, v) = h.json("/v1/messages/count_tokens?beta=true", &small).await;
    assert_eq!(status, 200, "{v}");
    let n_small = v["input_tokens"].as_u64().unwrap();
    assert!(n_small > 0);
    let big_prompt = format!("#say ok\n{}", "lorem ipsum dolor sit amet ".repeat(40));
    let full = json!({"model": MODEL, "system": "Be brief.", "thinking": {"type":"enabled","budget_tokens":2048},
        "tools": [{"name":"Read","description":"read a file","input_schema":{"type":"object","properties":{"p":{"type":"string"}}}}],
        "messages": [{"role":"user","content": big_prompt}]});
    let (_, _, v) = h.json("/v1/messages/count_tokens", &full).await;
    let n_full = v["input_tokens"].as_u64().unwrap();
    assert!(n_full > n_small + 100, "{n_small} {n_full}");
    // 34: exactly the figure of message_start, and of the final usage.
    let mut b = full.clone();
    b["max_tokens"] = json!(256);
    b["stream"] = json!(true);
    let s = h.sse("/v1/messages", &b).await;
    let start = s.named("message_start")[0]["message"]["usage"]["input_tokens"]
        .as_u64()
        .unwrap();
    assert_eq!(start, n_full);
    assert_eq!(
        s.named("message_delta")[0]["usage"]["input_tokens"]
            .as_u64()
            .unwrap(),
        n_full
    );
    // 35: max_tokens 1, non-stream, real input usage.
    b["stream"] = json!(false);
    b["max_tokens"] = json!(1);
    let started = std::time::Instant::now();
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["usage"]["input_tokens"].as_u64().unwrap(), n_full);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    h.stop().await;
}

#[tokio::test]
async fn item_36_images_base64_and_remote() {
    // A loopback image server: /a.png is a png, /x.txt is not an image.
    let app = axum::Router::new()
        .route(
            "/a.png",
            axum::routing::get(|| async {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(PNG_1X1)
                    .unwrap()
            }),
        )
        .route("/x.txt", axum::routing::get(|| async { "not an image" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let img_base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let h = Harness::start().await;
    let content = |source: Value| {
        json!({"model": MODEL, "max_tokens": 64, "messages": [{"role":"user","content":[
        {"type":"image","source": source}, {"type":"text","text":"#say seen"}]}]})
    };
    let (status, _, v) = h
        .json(
            "/v1/messages",
            &content(json!({"type":"base64","media_type":"image/png","data":PNG_1X1})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, _, v) = h
        .json(
            "/v1/messages",
            &content(json!({"type":"url","url": format!("{img_base}/a.png")})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let sent = h.upstream_chats().last().unwrap().body.clone().unwrap();
    assert!(
        sent.contains("\"images\""),
        "the fetched image went upstream: {sent}"
    );
    let (status, _, v) = h
        .json(
            "/v1/messages",
            &content(json!({"type":"url","url": format!("{img_base}/x.txt")})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert_error(&v, "invalid_request_error");
    h.stop().await;
    // Fetching disabled: 400, never 500.
    let h = Harness::with(&["a1"], "images:\n  fetch_remote: false\n").await;
    let (status, _, v) = h
        .json(
            "/v1/messages",
            &content(json!({"type":"url","url": format!("{img_base}/a.png")})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not supported")
    );
    h.stop().await;
}

#[tokio::test]
async fn item_38_models_list_and_retrieve() {
    let h = Harness::start().await;
    let v: Value = h
        .client
        .get(h.url("/v1/models?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = v["data"].as_array().unwrap();
    assert!(!data.is_empty());
    assert_eq!(v["object"], "list");
    assert_eq!(v["has_more"], false);
    assert_eq!(v["first_id"], data[0]["id"]);
    for m in data {
        assert!(m["id"].as_str().unwrap().starts_with("claude"), "{m}");
        assert_eq!(m["type"], "model");
        assert!(m["display_name"].is_string() && m["created_at"].is_string());
    }
    let id = data[0]["id"].as_str().unwrap();
    let r = h
        .client
        .get(h.url(&format!("/v1/models/{id}")))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["id"], id);
    let r = h
        .client
        .get(h.url("/v1/models/not-a-model"))
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_error(&r.json::<Value>().await.unwrap(), "not_found_error");
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
