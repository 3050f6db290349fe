//! OpenAI `/v1/chat/completions` against the simulator: client-api-conformance.md §4 items 39–66.
//! Each test is named after the checklist item(s) it covers.

use crate::common::openai::{MODEL, assert_error, body};
use crate::common::server::get_json;
use crate::common::sse::Sse;
use crate::common::v1::{Harness, PNG_1X1, label};
use serde_json::{Value, json};
use translate::testing::check_openai_chunks;

/// Items 41, 42, 44, 45 on any stream; returns the chunks.
fn check_chunks(s: &Sse) -> Vec<Value> {
    s.assert_event_stream();
    assert_eq!(
        s.events.last().map(|e| e.data.as_str()),
        Some("[DONE]"),
        "{}",
        s.raw
    );
    let chunks = s.openai_chunks();
    check_openai_chunks(&chunks);
    let first = &chunks[0];
    assert_eq!(first["model"], MODEL);
    assert!(first["id"].as_str().unwrap().starts_with("chatcmpl-"));
    chunks
}

#[tokio::test]
async fn item_39_40_43_nonstream_shape_and_same_text_as_stream() {
    let h = Harness::start().await;
    let prompt = "#split word\n#say Paris is the capital of France.";
    let (status, headers, v) = h.json("/v1/chat/completions", &body(prompt, false)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert!(v["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert!(v["created"].is_i64());
    assert_eq!(v["model"], MODEL);
    let c = &v["choices"][0];
    assert_eq!(c["index"], 0);
    assert_eq!(c["message"]["role"], "assistant");
    assert_eq!(c["finish_reason"], "stop");
    assert!(c["message"].get("tool_calls").is_none());
    let u = &v["usage"];
    assert_eq!(
        u["total_tokens"].as_u64().unwrap(),
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap()
    );
    assert!(headers.contains_key("x-request-id"));
    assert_eq!(headers["x-claude-api-account"], label("a1").as_str());
    let s = h.sse("/v1/chat/completions", &body(prompt, true)).await;
    check_chunks(&s);
    assert_eq!(s.openai_text(), c["message"]["content"].as_str().unwrap());
    h.stop().await;
}

#[tokio::test]
async fn item_41_42_44_45_46_stream_chunks_and_usage_chunk() {
    let h = Harness::start().await;
    let mut b = body("#split word\n#say one two three", true);
    b["stream_options"] = json!({"include_usage": true});
    let s = h.sse("/v1/chat/completions", &b).await;
    let chunks = check_chunks(&s);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert!(last["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    for c in &chunks[..chunks.len() - 1] {
        assert!(
            c.get("usage").is_some_and(Value::is_null),
            "usage:null before the last: {c}"
        );
    }
    // Without include_usage: no usage chunk and no usage keys.
    let s = h.sse("/v1/chat/completions", &body("#say one", true)).await;
    let chunks = check_chunks(&s);
    assert!(
        chunks
            .iter()
            .all(|c| c.get("usage").is_none() && c["choices"] != json!([])),
        "{}",
        s.raw
    );
    h.stop().await;
}

#[tokio::test]
async fn item_47_48_49_50_51_tool_calls() {
    let h = Harness::start().await;
    let prompt = "#say Checking.\n#tool id=c1 fragments=3 get_weather {\"city\":\"Paris\"}\n#tool id=c2 fragments=2 get_time {\"tz\":\"CET\"}";
    let tools = json!([{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},
                       {"type":"function","function":{"name":"get_time"}}]);
    let mut b = body(prompt, false);
    b["tools"] = tools.clone();
    let v = h.answered("/v1/chat/completions", &b).await;
    let c = &v["choices"][0];
    assert_eq!(c["finish_reason"], "tool_calls");
    let calls = c["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["type"], "function");
    assert!(!calls[0]["id"].as_str().unwrap().is_empty());
    let args: Value =
        serde_json::from_str(calls[0]["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "Paris"}));
    b["stream"] = json!(true);
    let s = h.sse("/v1/chat/completions", &b).await;
    let chunks = check_chunks(&s);
    let mut seen: Vec<(u64, String, String, String)> = Vec::new(); // index, id, name, args
    for ch in &chunks {
        let Some(tcs) = ch["choices"][0]["delta"]["tool_calls"].as_array() else {
            continue;
        };
        for tc in tcs {
            let index = tc["index"].as_u64().expect("48: index on every tool delta");
            let frag = tc["function"]["arguments"].as_str().unwrap_or_default();
            match seen.iter_mut().find(|s| s.0 == index) {
                None => {
                    // 48: the first delta has id, type and name.
                    assert_eq!(tc["type"], "function");
                    seen.push((
                        index,
                        tc["id"].as_str().unwrap().to_owned(),
                        tc["function"]["name"].as_str().unwrap().to_owned(),
                        frag.to_owned(),
                    ));
                }
                Some(entry) => {
                    // 49: later deltas carry only index + arguments (no repeated id/name).
                    assert!(
                        tc.get("id").is_none() && tc["function"].get("name").is_none(),
                        "{tc}"
                    );
                    entry.3.push_str(frag);
                }
            }
        }
    }
    // 50: indices 0, 1 regardless of the text before.
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1]);
    assert_eq!(seen[0].2, "get_weather");
    assert_eq!(
        serde_json::from_str::<Value>(&seen[1].3).unwrap(),
        json!({"tz": "CET"})
    );
    assert!(
        !seen[0].1.is_empty() && seen[0].1 != seen[1].1,
        "distinct ids"
    );
    // 51: finish_reason tool_calls in the stream.
    let fin = chunks
        .iter()
        .find_map(|c| c["choices"][0]["finish_reason"].as_str().map(str::to_owned))
        .unwrap();
    assert_eq!(fin, "tool_calls");
    h.stop().await;
}

#[tokio::test]
async fn item_52_53_message_shapes() {
    let h = Harness::start().await;
    let messages = json!([
        {"role":"developer","content":"Be brief."},
        {"role":"system","content":"System text."},
        {"role":"user","content":[{"type":"text","text":"what is this"},
                                   {"type":"image_url","image_url":{"url": format!("data:image/png;base64,{PNG_1X1}"),"detail":"low"}}]},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"look","arguments":"{\"x\":1}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"a cat"},
        {"role":"user","content":"#say It is a cat."}
    ]);
    let b = json!({"model": MODEL, "messages": messages,
                   "tools":[{"type":"function","function":{"name":"look","parameters":{"type":"object"}}}]});
    let v = h.answered("/v1/chat/completions", &b).await;
    assert_eq!(v["choices"][0]["message"]["content"], "It is a cat.");
    // 53: a tool message without tool_call_id.
    let b = json!({"model": MODEL, "messages": [
        {"role":"user","content":"hi"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"look","arguments":"{}"}}]},
        {"role":"tool","content":"a cat"}]});
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 400, "{v}");
    assert_error(&v, Some("invalid_request_error"), None);
    h.stop().await;
}

#[tokio::test]
async fn item_54_55_tool_choice_and_json_output() {
    let h = Harness::start().await;
    let tools = json!([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]);
    for choice in [
        json!("auto"),
        json!("none"),
        json!("required"),
        json!({"type":"function","function":{"name":"f"}}),
    ] {
        let mut b = body("#say fine", false);
        b["tools"] = tools.clone();
        b["tool_choice"] = choice.clone();
        let (status, _, v) = h.json("/v1/chat/completions", &b).await;
        assert_eq!(status, 200, "{choice}: {v}");
        if choice == "none" {
            assert!(v["choices"][0]["message"].get("tool_calls").is_none());
        }
    }
    let mut b = body("#say ```json\\n{\"a\": 1}\\n```", false);
    b["response_format"] = json!({"type": "json_object"});
    let v = h.answered("/v1/chat/completions", &b).await;
    let content: Value =
        serde_json::from_str(v["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content, json!({"a": 1}));
    b["response_format"] = json!({"type":"json_schema","json_schema":{"name":"A","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}});
    let v = h.answered("/v1/chat/completions", &b).await;
    assert!(
        serde_json::from_str::<Value>(v["choices"][0]["message"]["content"].as_str().unwrap())
            .is_ok()
    );
    h.stop().await;
}

#[tokio::test]
async fn item_56_57_58_limits_stop_and_ignored_fields() {
    let h = Harness::start().await;
    for key in ["max_completion_tokens", "max_tokens"] {
        let mut b = body("#text 300", false);
        b[key] = json!(8);
        let v = h.answered("/v1/chat/completions", &b).await;
        assert_eq!(v["choices"][0]["finish_reason"], "length", "{key}");
    }
    let mut b = body("#split char\n#say keep this STOP not this", false);
    b["stop"] = json!(["STOP"]);
    let (_, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(v["choices"][0]["message"]["content"], "keep this ");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let mut b = body("#say ok", false);
    for (k, val) in [
        ("temperature", json!(0.3)),
        ("top_p", json!(0.9)),
        ("seed", json!(7)),
        ("user", json!("u")),
        ("metadata", json!({"a":"b"})),
        ("store", json!(false)),
        ("parallel_tool_calls", json!(true)),
        ("reasoning_effort", json!("low")),
        ("logprobs", json!(false)),
        ("service_tier", json!("auto")),
        ("prompt_cache_key", json!("k")),
        ("some_vendor_extra", json!({"x": 1})),
    ] {
        b[k] = val;
    }
    h.answered("/v1/chat/completions", &b).await;
    h.stop().await;
}

#[tokio::test]
async fn item_59_60_unsupported_and_unknown_model() {
    let h = Harness::start().await;
    let mut b = body("#say hi", false);
    b["n"] = json!(2);
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["param"], "n");
    let mut b = body("#say hi", false);
    b["modalities"] = json!(["audio"]);
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 400, "{v}");
    let mut b = body("#say hi", false);
    b["model"] = json!("gpt-4o");
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 404, "{v}");
    assert_error(&v, Some("invalid_request_error"), Some("model_not_found"));
    assert_eq!(v["error"]["param"], "model");
    h.stop().await;
}

#[tokio::test]
async fn item_62_63_upstream_errors_map_to_statuses() {
    let h = Harness::start().await;
    h.fault_chats("throttled", 10);
    let (status, headers, v) = h
        .json("/v1/chat/completions", &body("#say hi", false))
        .await;
    assert_eq!(status, 429, "{v}");
    assert!(headers.contains_key("retry-after"));
    assert_error(&v, Some("rate_limit_exceeded"), Some("rate_limit_exceeded"));
    let h2 = Harness::start().await;
    h2.sim.fault_next_chat(None, "input-too-long").unwrap();
    let (status, _, v) = h2
        .json("/v1/chat/completions", &body("#say hi", false))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_error(
        &v,
        Some("invalid_request_error"),
        Some("context_length_exceeded"),
    );
    // Upstream down (every attempt a 5xx) → 503.
    h2.fault_chats("unavailable", 10);
    let (status, _, v) = h2
        .json("/v1/chat/completions", &body("#say hi", false))
        .await;
    assert_eq!(status, 503, "{v}");
    assert_error(&v, Some("server_error"), Some("service_unavailable"));
    h.stop().await;
    h2.stop().await;
}

#[tokio::test]
async fn item_64_error_after_stream_start_is_a_data_error_chunk() {
    let h = Harness::start().await;
    let s = h
        .sse(
            "/v1/chat/completions",
            &body(
                "#split word\n#say one two three four five\n#fault exception:4",
                true,
            ),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.raw);
    let last = s.events.last().unwrap().json();
    assert!(
        last["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        s.raw
    );
    assert!(!s.raw.contains("[DONE]"));
    assert!(!s.openai_text().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn item_65_66_models_and_paths_without_v1() {
    let h = Harness::start().await;
    for path in ["/v1/models", "/models"] {
        let v: Value = get_json(&h.client, &h.url(path)).await;
        for m in v["data"].as_array().unwrap() {
            assert_eq!(m["object"], "model");
            assert!(m["created"].is_i64() && m["owned_by"].is_string() && m["id"].is_string());
        }
    }
    let r = h
        .client
        .get(h.url("/models/claude-sonnet-4-5"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = h.client.get(h.url("/v1/models/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_error(
        &r.json::<Value>().await.unwrap(),
        Some("invalid_request_error"),
        Some("model_not_found"),
    );
    let v = h
        .answered("/chat/completions", &body("#say via short path", false))
        .await;
    assert_eq!(v["choices"][0]["message"]["content"], "via short path");
    h.stop().await;
}

#[tokio::test]
async fn keepalive_comments_during_upstream_silence() {
    let h = Harness::start().await;
    let s = h
        .sse(
            "/v1/chat/completions",
            &body("#say a\n#sleep 700\n#say b", true),
        )
        .await;
    check_chunks(&s);
    assert!(s.comments >= 2, "{}", s.raw);
    assert_eq!(s.openai_text(), "ab");
    h.stop().await;
}

#[tokio::test]
async fn reasoning_effort_gives_reasoning_content() {
    let h = Harness::start().await;
    let mut b = body("#thinking Weighing the options.\n#say Go left.", false);
    b["reasoning_effort"] = json!("high");
    let v = h.answered("/v1/chat/completions", &b).await;
    let m = &v["choices"][0]["message"];
    assert!(
        m["reasoning_content"]
            .as_str()
            .unwrap()
            .contains("Weighing the options."),
        "{v}"
    );
    assert_eq!(m["content"].as_str().unwrap().trim(), "Go left.");
    b["stream"] = json!(true);
    let s = h.sse("/v1/chat/completions", &b).await;
    let chunks = check_chunks(&s);
    let reasoning: String = chunks
        .iter()
        .filter_map(|c| {
            c["choices"][0]["delta"]["reasoning_content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(reasoning.contains("Weighing the options."), "{}", s.raw);
    assert_eq!(s.openai_text().trim(), "Go left.");
    h.stop().await;
}
