//! Web search (issue 18 item 2) against the simulator: the Anthropic server tool and the Responses
//! `web_search` tool, streaming and not. The simulated model searches on `#search <query>` (or
//! Claude Code's "Perform a web search for the query:" wording) when a `web_search` tool is
//! offered, and answers a search result by citing its first hit; the simulator's `/mcp` runs the
//! search. Covered: the blocks / items each client expects, citations, usage, the follow-up on the
//! same account, errors as tool results (not entitled, throttled), `max_uses`, the domain lists,
//! a mixed turn, Codex's cached mode, and the request log.

use crate::common::anthropic::{MODEL, check_grammar};
use crate::common::faults;
use crate::common::sse::Sse;
use crate::common::v1::Harness;
use serde_json::{Value, json};

fn messages(prompt: &str, stream: bool, tool: &Value) -> Value {
    json!({"model": MODEL, "max_tokens": 1024, "stream": stream, "tools": [tool],
           "messages": [{"role": "user", "content": prompt}]})
}

fn search_tool() -> Value {
    json!({"type": "web_search_20250305", "name": "web_search"})
}

/// The queries the simulator's `/mcp` was asked, oldest first.
fn searched(h: &Harness) -> Vec<String> {
    h.sim
        .all_requests()
        .into_iter()
        .filter(|e| e.decision.operation == "mcp")
        .filter_map(|e| {
            e.json?
                .pointer("/params/arguments/query")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// The content blocks of an Anthropic stream, rebuilt from its events (as the SDK does).
fn blocks(s: &Sse) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut partial = String::new();
    for e in &s.events {
        let d = e.json();
        match d["type"].as_str().unwrap_or("") {
            "content_block_start" => {
                out.push(d["content_block"].clone());
                partial.clear();
            }
            "content_block_delta" => {
                let b = out.last_mut().unwrap();
                let delta = &d["delta"];
                match delta["type"].as_str().unwrap() {
                    "text_delta" => {
                        let t = format!(
                            "{}{}",
                            b["text"].as_str().unwrap(),
                            delta["text"].as_str().unwrap()
                        );
                        b["text"] = json!(t);
                    }
                    "input_json_delta" => partial.push_str(delta["partial_json"].as_str().unwrap()),
                    "citations_delta" => {
                        if b.get("citations").is_none() {
                            b["citations"] = json!([]);
                        }
                        b["citations"]
                            .as_array_mut()
                            .unwrap()
                            .push(delta["citation"].clone());
                    }
                    _ => {}
                }
            }
            "content_block_stop" if !partial.is_empty() => {
                out.last_mut().unwrap()["input"] = serde_json::from_str(&partial).unwrap();
                partial.clear();
            }
            _ => {}
        }
    }
    out
}

fn kinds(blocks: &[Value]) -> Vec<&str> {
    blocks.iter().map(|b| b["type"].as_str().unwrap()).collect()
}

/// The blocks of a well-formed Anthropic stream that searched once and answered: the search
/// call, its result, the answer's text.
fn searched_once(s: &Sse) -> Vec<Value> {
    check_grammar(s);
    let b = blocks(s);
    assert_eq!(
        kinds(&b),
        ["server_tool_use", "web_search_tool_result", "text"],
        "{}",
        s.raw
    );
    b
}

fn message_delta(s: &Sse) -> Value {
    s.named("message_delta").pop().unwrap()
}

#[tokio::test]
async fn anthropic_stream_searches_and_cites() {
    let h = Harness::start().await;
    let s = h
        .sse(
            "/v1/messages",
            &messages(
                "What is new?\n#search rust 1.95 release",
                true,
                &search_tool(),
            ),
        )
        .await;
    let b = searched_once(&s);
    let id = b[0]["id"].as_str().unwrap();
    assert!(id.starts_with("srvtoolu_"));
    assert_eq!(b[0]["name"], "web_search");
    assert_eq!(b[0]["input"], json!({"query": "rust 1.95 release"}));
    assert_eq!(b[1]["tool_use_id"], id);
    let results = b[1]["content"].as_array().unwrap();
    assert!(results.len() >= 3, "{}", b[1]);
    for r in results {
        assert_eq!(r["type"], "web_search_result");
        assert!(r["url"].as_str().unwrap().starts_with("https://"));
        assert!(
            r["encrypted_content"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        );
    }
    // The model's answer cites the first result; the citation names it.
    let first_url = results[0]["url"].as_str().unwrap();
    assert!(
        b[2]["text"].as_str().unwrap().contains(first_url),
        "{}",
        b[2]
    );
    let cites = b[2]["citations"].as_array().unwrap();
    assert_eq!(cites[0]["type"], "web_search_result_location");
    assert_eq!(cites[0]["url"], first_url);
    let md = message_delta(&s);
    assert_eq!(md["delta"]["stop_reason"], "end_turn");
    assert_eq!(md["usage"]["server_tool_use"]["web_search_requests"], 1);
    // One search on /mcp; two chat calls, the second carrying the results as a tool result.
    assert_eq!(searched(&h), ["rust 1.95 release"]);
    let chats = h.upstream_chats();
    assert_eq!(chats.len(), 2);
    assert_eq!(
        chats[0].decision.account, chats[1].decision.account,
        "the follow-up stays on the account"
    );
    let follow = chats[1].body.clone().unwrap();
    assert!(
        follow.contains("toolResults") && follow.contains(first_url),
        "{follow}"
    );
    // The request log shows the search.
    let logs = h.logs(1).await;
    let rules = logs[0]["rules_fired"].as_array().unwrap();
    assert!(rules.contains(&json!("web_search")), "{}", logs[0]);
    h.stop().await;
}

#[tokio::test]
async fn anthropic_non_stream_and_claude_code_wording() {
    let h = Harness::start().await;
    // Claude Code's WebSearch tool: its own request with only the server tool and this wording.
    let body = messages(
        "Perform a web search for the query: tokio 2 release",
        false,
        &search_tool(),
    );
    let v = h.answered("/v1/messages", &body).await;
    let content = v["content"].as_array().unwrap();
    assert_eq!(
        kinds(content),
        ["server_tool_use", "web_search_tool_result", "text"],
        "{v}"
    );
    assert_eq!(content[0]["input"]["query"], "tokio 2 release");
    assert!(
        content[2]["citations"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{v}"
    );
    assert_eq!(v["usage"]["server_tool_use"]["web_search_requests"], 1);
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(searched(&h), ["tokio 2 release"]);
    // Without a search call the answer is plain, with a zero count.
    let (_, _, v) = h
        .json("/v1/messages", &messages("#say hi", false, &search_tool()))
        .await;
    assert_eq!(kinds(v["content"].as_array().unwrap()), ["text"]);
    assert_eq!(v["usage"]["server_tool_use"]["web_search_requests"], 0);
    h.stop().await;
}

#[tokio::test]
async fn failed_searches_are_tool_errors_and_the_model_answers() {
    let h = Harness::start().await;
    for (fault, code) in [
        ("mcp-not-entitled", "unavailable"),
        ("mcp-throttled", "too_many_requests"),
        ("mcp-error", "unavailable"),
    ] {
        faults::queue(&h.sim, "mcp", fault, 1);
        let s = h
            .sse(
                "/v1/messages",
                &messages("#search rust news", true, &search_tool()),
            )
            .await;
        let b = searched_once(&s);
        assert_eq!(
            b[1]["content"],
            json!({"type": "web_search_tool_result_error", "error_code": code}),
            "{fault}"
        );
        assert!(
            b[2]["text"].as_str().unwrap().contains("failed"),
            "{}",
            b[2]
        );
        let md = message_delta(&s);
        assert_eq!(md["delta"]["stop_reason"], "end_turn");
        assert_eq!(md["usage"]["server_tool_use"]["web_search_requests"], 0);
    }
    let logs = h.logs(3).await;
    assert!(logs.iter().all(|l| l["status"] == 200));
    assert!(
        logs[0]["rules_fired"]
            .as_array()
            .unwrap()
            .contains(&json!("web_search_failed"))
    );
    h.stop().await;
}

#[tokio::test]
async fn max_uses_bounds_the_searches() {
    let h = Harness::start().await;
    let tool = json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 1});
    let v = h
        .answered(
            "/v1/messages",
            &messages("#search first topic\n#search second topic", false, &tool),
        )
        .await;
    let content = v["content"].as_array().unwrap();
    assert_eq!(
        kinds(content),
        [
            "server_tool_use",
            "web_search_tool_result",
            "server_tool_use",
            "web_search_tool_result",
            "text"
        ],
        "{v}"
    );
    assert!(content[1]["content"].is_array());
    assert_eq!(content[3]["content"]["error_code"], "max_uses_exceeded");
    assert_eq!(v["usage"]["server_tool_use"]["web_search_requests"], 1);
    assert_eq!(searched(&h), ["first topic"]);
    // The turn after the limit is offered no tools, so it answers.
    let chats = h.upstream_chats();
    assert_eq!(chats.len(), 2);
    // (History still names `web_search`, so it is declared with the placeholder description.)
    let last = chats[1].json.clone().unwrap();
    let offered = translate::web_search::tool_def().description;
    let tools = last
        .pointer("/conversationState/currentMessage/userInputMessage/userInputMessageContext/tools")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        tools
            .iter()
            .all(|t| t["toolSpecification"]["description"] != json!(offered)),
        "{last}"
    );
    h.stop().await;
}

#[tokio::test]
async fn domain_lists_filter_the_results() {
    let h = Harness::start().await;
    // Each list on its own: every result is inside the allowed domain / outside the blocked one.
    for (list, inside) in [("allowed_domains", true), ("blocked_domains", false)] {
        let tool =
            json!({"type": "web_search_20250305", "name": "web_search", list: ["example.org"]});
        let (_, _, v) = h
            .json(
                "/v1/messages",
                &messages("#search weather in paris", false, &tool),
            )
            .await;
        let results = v["content"][1]["content"].as_array().unwrap();
        assert!(!results.is_empty(), "{list}: {v}");
        assert!(
            results
                .iter()
                .all(|r| r["url"].as_str().unwrap().contains("example.org/") == inside),
            "{list}: {v}"
        );
    }
    // Both lists: a 400 naming the tool, nothing sent upstream.
    let both = json!({"type": "web_search_20250305", "name": "web_search", "allowed_domains": ["a.com"], "blocked_domains": ["b.com"]});
    let (status, _, v) = h
        .json("/v1/messages", &messages("#search x", false, &both))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["type"], "invalid_request_error");
    // Two searching requests, two turns each; nothing for the refused one.
    assert_eq!(h.upstream_chats().len(), 4);
    h.stop().await;
}

#[tokio::test]
async fn mixed_turn_returns_the_client_tool_call() {
    let h = Harness::start().await;
    let mut body = messages(
        "#tool get_weather {\"city\":\"Paris\"}\n#search paris events",
        false,
        &search_tool(),
    );
    body["tools"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "get_weather",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}));
    let v = h.answered("/v1/messages", &body).await;
    assert_eq!(v["stop_reason"], "tool_use", "{v}");
    let content = v["content"].as_array().unwrap();
    assert_eq!(
        kinds(content),
        ["tool_use", "server_tool_use", "web_search_tool_result"],
        "{v}"
    );
    assert_eq!(content[0]["name"], "get_weather");
    assert_eq!(searched(&h), ["paris events"]);
    assert_eq!(
        h.upstream_chats().len(),
        1,
        "the client runs its tool before the next call"
    );
    h.stop().await;
}

#[tokio::test]
async fn responses_web_search_call_items_and_url_citations() {
    let h = Harness::start().await;
    let body = json!({"model": crate::common::openai::MODEL, "stream": true, "input": "#search rust 1.95 release",
                      "tools": [{"type": "web_search"}]});
    let s = h.sse("/v1/responses", &body).await;
    let r = s.responses_completed();
    let names: Vec<&str> = s
        .events
        .iter()
        .map(|e| e.name.as_deref().unwrap())
        .collect();
    let at = names
        .iter()
        .position(|n| *n == "response.web_search_call.in_progress")
        .unwrap();
    assert_eq!(names[at - 1], "response.output_item.added");
    assert_eq!(names[at + 1], "response.web_search_call.searching");
    assert_eq!(names[at + 2], "response.web_search_call.completed");
    assert_eq!(names[at + 3], "response.output_item.done");
    assert!(names.contains(&"response.output_text.annotation.added"));
    let out = r["output"].as_array().unwrap();
    assert_eq!(out[0]["type"], "web_search_call");
    assert_eq!(out[0]["status"], "completed");
    assert_eq!(out[0]["action"]["query"], "rust 1.95 release");
    let msg = &out[1];
    assert_eq!(msg["type"], "message");
    let part = &msg["content"][0];
    let ann = &part["annotations"][0];
    assert_eq!(ann["type"], "url_citation");
    let text: Vec<char> = part["text"].as_str().unwrap().chars().collect();
    let (start, end) = (
        ann["start_index"].as_u64().unwrap() as usize,
        ann["end_index"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        text[start..end].iter().collect::<String>(),
        ann["url"].as_str().unwrap()
    );
    assert_eq!(r["tools"][0]["type"], "web_search");
    assert_eq!(searched(&h), ["rust 1.95 release"]);

    // Not streamed, and a failed search: the item is `failed` and the answer goes on.
    faults::queue(&h.sim, "mcp", "mcp-not-entitled", 1);
    let body = json!({"model": crate::common::openai::MODEL, "input": "#search rust news",
                      "tools": [{"type": "web_search_preview"}]});
    let v = h.answered("/v1/responses", &body).await;
    assert_eq!(v["status"], "completed");
    assert_eq!(v["output"][0]["type"], "web_search_call");
    assert_eq!(v["output"][0]["status"], "failed");
    assert_eq!(v["output"][1]["type"], "message");
    h.stop().await;
}

#[tokio::test]
async fn codex_cached_mode_offers_no_search() {
    let h = Harness::start().await;
    let body = json!({"model": crate::common::openai::MODEL, "input": "#search rust news",
                      "tools": [{"type": "web_search", "external_web_access": false}]});
    let v = h.answered("/v1/responses", &body).await;
    assert_eq!(v["output"][0]["type"], "message", "{v}");
    assert!(searched(&h).is_empty());
    let chat = h.upstream_chats()[0].body.clone().unwrap();
    assert!(!chat.contains("\"web_search\""), "{chat}");
    h.stop().await;
}
