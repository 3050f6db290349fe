//! Web-search golden tests (issue 18 "Must show": the web-search block sequences in both
//! dialects): the request side (the server tool becomes the upstream `web_search` tool), and whole
//! answers — the model's events plus the gateway's search steps — rendered as Anthropic and
//! Responses SSE transcripts and non-stream bodies, snapshotted byte for byte under
//! `tests/snapshots/web_search/`, with the grammar checked and each body compared with what its
//! stream says.

use crate::common::{TestSeal, assert_snapshot, seal};
use serde_json::{Value, json};
use translate::ir::{FinishReason, OutEvent, Usage};
use translate::responses;
use translate::sse::{AnthropicSse, ResponsesSse};
use translate::web_search::body::{anthropic_body, responses_body};
use translate::web_search::{SearchError, SearchEvent, SearchHit, Step};
use translate::{anthropic, web_search};

const CREATED: i64 = 1_764_120_000;

fn hits() -> Vec<SearchHit> {
    vec![
        SearchHit {
            title: "Rust 1.95 released".into(),
            url: "https://blog.rust-lang.org/2026/11/27/Rust-1.95/".into(),
            snippet: Some("The Rust team is happy to announce Rust 1.95.".into()),
            published_date: Some("2026-11-27".into()),
        },
        SearchHit {
            title: "Rust (programming language)".into(),
            url: "https://en.wikipedia.org/wiki/Rust_(programming_language)".into(),
            snippet: None,
            published_date: None,
        },
    ]
}

fn call(id: &str, query: &str) -> Step {
    Step::Search(SearchEvent::Call {
        id: id.into(),
        query: query.into(),
    })
}

fn result(id: &str, outcome: Result<Vec<SearchHit>, SearchError>) -> Step {
    Step::Search(SearchEvent::Result {
        id: id.into(),
        outcome,
    })
}

fn text(t: &str) -> Step {
    Step::Out(OutEvent::Text(t.into()))
}

fn finish(reason: FinishReason) -> Step {
    Step::Out(OutEvent::Finish {
        reason,
        stop_sequence: None,
        usage: Usage {
            input_tokens: 420,
            output_tokens: 37,
            ..Usage::default()
        },
    })
}

/// A search, then an answer citing one result.
fn cited() -> Vec<Step> {
    vec![
        text("I'll search for that."),
        call("srvtoolu_01", "latest rust release"),
        result("srvtoolu_01", Ok(hits())),
        text("Rust 1.95 is the latest release (https://blog.rust-lang.org/2026/11/27/Rust-1.95/)."),
        finish(FinishReason::EndTurn),
    ]
}

/// The account cannot search: an error result, and the model answers anyway.
fn unavailable() -> Vec<Step> {
    vec![
        call("srvtoolu_01", "latest rust release"),
        result("srvtoolu_01", Err(SearchError::Unavailable)),
        text("I could not search the web right now."),
        finish(FinishReason::EndTurn),
    ]
}

/// Two searches in one turn with `max_uses: 1`.
fn max_uses() -> Vec<Step> {
    vec![
        call("srvtoolu_01", "rust release"),
        result("srvtoolu_01", Ok(hits()[..1].to_vec())),
        call("srvtoolu_02", "rust release date"),
        result("srvtoolu_02", Err(SearchError::MaxUsesExceeded)),
        text("See https://blog.rust-lang.org/2026/11/27/Rust-1.95/ for details."),
        finish(FinishReason::EndTurn),
    ]
}

/// A client tool call and a search in the same turn: the search runs, the turn ends with the
/// client's call.
fn mixed() -> Vec<Step> {
    vec![
        Step::Out(OutEvent::ToolStart {
            index: 0,
            id: "tooluse_client".into(),
            name: "get_weather".into(),
        }),
        Step::Out(OutEvent::ToolArgs {
            index: 0,
            json: r#"{"city":"Paris"}"#.into(),
        }),
        Step::Out(OutEvent::ToolEnd { index: 0 }),
        call("srvtoolu_01", "paris events"),
        result("srvtoolu_01", Ok(Vec::new())),
        finish(FinishReason::ToolUse),
    ]
}

fn anthropic_wire(steps: &[Step]) -> String {
    let mut enc = AnthropicSse::new("msg_test", "claude-sonnet-4-5", 420).with_web_search();
    let mut wire = enc.start();
    wire.extend(steps.iter().map(|s| enc.encode_step(s)));
    assert!(enc.is_done());
    wire
}

/// Block indices 0.. in order, never interleaved; server blocks have their shapes; the usage
/// counts the searches that returned results.
fn check_anthropic(wire: &str, searches: u64) -> Vec<Value> {
    let events = crate::common::named_events(wire);
    let mut next = 0;
    let mut open = None;
    for e in &events {
        match e["type"].as_str().unwrap() {
            "content_block_start" => {
                assert!(open.is_none(), "blocks interleave");
                assert_eq!(e["index"], next);
                let b = &e["content_block"];
                match b["type"].as_str().unwrap() {
                    "server_tool_use" => {
                        assert!(b["id"].as_str().unwrap().starts_with("srvtoolu_"));
                        assert_eq!(b["name"], "web_search");
                    }
                    "web_search_tool_result" => {
                        assert!(b["tool_use_id"].as_str().unwrap().starts_with("srvtoolu_"));
                        let c = &b["content"];
                        assert!(
                            c.is_array() || c["type"] == "web_search_tool_result_error",
                            "{c}"
                        );
                    }
                    "text" | "tool_use" | "thinking" => {}
                    other => panic!("unexpected block {other}"),
                }
                open = Some(next);
            }
            "content_block_delta" => assert_eq!(Some(e["index"].clone()), open.map(Value::from)),
            "content_block_stop" => {
                assert_eq!(Some(e["index"].clone()), open.map(Value::from));
                open = None;
                next += 1;
            }
            "message_delta" => assert_eq!(
                e["usage"]["server_tool_use"]["web_search_requests"],
                searches
            ),
            _ => {}
        }
    }
    events
}

fn head() -> responses::Head {
    let body = json!({"model": "claude-sonnet-4.5", "stream": true, "input": "What is new in Rust?",
        "tools": [{"type": "web_search"}]});
    responses::parse(body.to_string().as_bytes()).unwrap().head
}

fn responses_wire(steps: &[Step]) -> (String, ResponsesSse) {
    let mut enc = ResponsesSse::new("resp_test", CREATED, &head(), seal());
    let mut wire = enc.start();
    wire.extend(steps.iter().map(|s| enc.encode_step(s)));
    assert!(enc.is_done());
    (wire, enc)
}

/// Sequence numbers count from 0; each `web_search_call` runs added → in_progress → searching →
/// (completed) → done with the same item id and output index.
fn check_responses(wire: &str) -> Vec<Value> {
    let events = crate::common::named_events(wire);
    let mut search: Option<(String, u64)> = None;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence_number"], i);
        let kind = e["type"].as_str().unwrap();
        if kind == "response.output_item.added" && e["item"]["type"] == "web_search_call" {
            assert!(search.is_none());
            let id = e["item"]["id"].as_str().unwrap();
            assert!(id.starts_with("ws_"));
            search = Some((id.to_owned(), e["output_index"].as_u64().unwrap()));
            assert_eq!(
                events[i + 1]["type"],
                "response.web_search_call.in_progress"
            );
            assert_eq!(events[i + 2]["type"], "response.web_search_call.searching");
        }
        if kind.starts_with("response.web_search_call.") {
            let (id, idx) = search.clone().unwrap();
            assert_eq!(e["item_id"], id);
            assert_eq!(e["output_index"], idx);
        }
        if kind == "response.output_item.done" && e["item"]["type"] == "web_search_call" {
            let (id, _) = search.take().unwrap();
            assert_eq!(e["item"]["id"], id);
            let status = e["item"]["status"].as_str().unwrap();
            assert!(status == "completed" || status == "failed");
            assert_eq!(
                events[i - 1]["type"] == "response.web_search_call.completed",
                status == "completed"
            );
        }
    }
    assert!(search.is_none());
    events
}

/// Both dialects, stream and body, snapshotted.
fn case(name: &str, steps: &[Step], searches: u64) -> (Vec<Value>, Vec<Value>) {
    let wire = anthropic_wire(steps);
    assert_snapshot(&format!("web_search/{name}.anthropic.txt"), &wire);
    let a = check_anthropic(&wire, searches);
    let body = anthropic_body(steps, "msg_test", "claude-sonnet-4-5", 420);
    assert_eq!(body["content"].as_array().unwrap().len(), {
        a.iter()
            .filter(|e| e["type"] == "content_block_start")
            .count()
    });
    assert_eq!(
        body["usage"],
        a.iter()
            .rev()
            .find(|e| e["type"] == "message_delta")
            .unwrap()["usage"]
    );
    let pretty = serde_json::to_string_pretty(&body).unwrap() + "\n";
    assert_snapshot(&format!("web_search/{name}.anthropic.json"), &pretty);

    let (wire, enc) = responses_wire(steps);
    assert_snapshot(&format!("web_search/{name}.responses.txt"), &wire);
    let r = check_responses(&wire);
    let body = responses_body(steps, "resp_test", CREATED, &head(), seal());
    assert_eq!(&body, enc.response(), "stream and body must agree");
    let v = serde_json::to_value(&body).unwrap();
    assert_eq!(v, r.last().unwrap()["response"]);
    let pretty = serde_json::to_string_pretty(&v).unwrap() + "\n";
    assert_snapshot(&format!("web_search/{name}.responses.json"), &pretty);
    (a, r)
}

#[test]
fn search_then_cited_answer() {
    let (a, r) = case("cited", &cited(), 1);
    let body = anthropic_body(&cited(), "msg_test", "claude-sonnet-4-5", 420);
    assert_eq!(
        crate::common::kinds(&body["content"]),
        ["text", "server_tool_use", "web_search_tool_result", "text"]
    );
    let content = body["content"].as_array().unwrap();
    assert_eq!(content[1]["input"], json!({"query": "latest rust release"}));
    assert_eq!(content[2]["content"][0]["type"], "web_search_result");
    assert_eq!(content[2]["content"][0]["page_age"], "2026-11-27");
    assert!(content[2]["content"][0]["encrypted_content"].is_string());
    // Only the answer after the search cites, and only the result it mentions.
    assert!(content[0].get("citations").is_none());
    let cites = content[3]["citations"].as_array().unwrap();
    assert_eq!(cites.len(), 1);
    assert_eq!(cites[0]["type"], "web_search_result_location");
    assert_eq!(
        cites[0]["url"],
        "https://blog.rust-lang.org/2026/11/27/Rust-1.95/"
    );
    assert_eq!(body["usage"]["server_tool_use"]["web_search_requests"], 1);
    assert!(a.iter().any(|e| e["delta"]["type"] == "citations_delta"));

    let done = &r.last().unwrap()["response"];
    assert_eq!(done["status"], "completed");
    let out = done["output"].as_array().unwrap();
    assert_eq!(out[1]["type"], "web_search_call");
    assert_eq!(out[1]["action"]["query"], "latest rust release");
    assert_eq!(out[1]["action"]["sources"].as_array().unwrap().len(), 2);
    let part = &out[2]["content"][0];
    let ann = &part["annotations"][0];
    assert_eq!(ann["type"], "url_citation");
    let t: String = part["text"]
        .as_str()
        .unwrap()
        .chars()
        .skip(ann["start_index"].as_u64().unwrap() as usize)
        .take((ann["end_index"].as_u64().unwrap() - ann["start_index"].as_u64().unwrap()) as usize)
        .collect();
    assert_eq!(t, ann["url"].as_str().unwrap());
    assert!(
        r.iter()
            .any(|e| e["type"] == "response.output_text.annotation.added")
    );
}

#[test]
fn unavailable_search_is_an_error_result_and_the_answer_goes_on() {
    let (a, r) = case("unavailable", &unavailable(), 0);
    let result = a
        .iter()
        .find(|e| e["content_block"]["type"] == "web_search_tool_result")
        .unwrap();
    assert_eq!(
        result["content_block"]["content"],
        json!({"type": "web_search_tool_result_error", "error_code": "unavailable"})
    );
    assert_eq!(a.last().unwrap()["type"], "message_stop");
    let done = &r.last().unwrap()["response"];
    assert_eq!(done["status"], "completed");
    assert_eq!(done["output"][0]["status"], "failed");
    assert!(
        !r.iter()
            .any(|e| e["type"] == "response.web_search_call.completed")
    );
}

#[test]
fn max_uses_exceeded() {
    let (a, _) = case("max_uses", &max_uses(), 1);
    let codes: Vec<&Value> = a
        .iter()
        .filter(|e| e["content_block"]["type"] == "web_search_tool_result")
        .map(|e| &e["content_block"]["content"])
        .collect();
    assert!(codes[0].is_array());
    assert_eq!(codes[1]["error_code"], "max_uses_exceeded");
}

#[test]
fn mixed_turn_ends_with_the_client_tool_call() {
    let (a, r) = case("mixed", &mixed(), 1);
    assert_eq!(
        a.iter().find(|e| e["type"] == "message_delta").unwrap()["delta"]["stop_reason"],
        "tool_use"
    );
    let out = &r.last().unwrap()["response"]["output"];
    assert_eq!(out[0]["type"], "function_call");
    assert_eq!(out[1]["type"], "web_search_call");
}

#[test]
fn requests_offer_the_upstream_web_search_tool() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 1024,
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 3,
                   "allowed_domains": ["rust-lang.org"],
                   "user_location": {"type": "approximate", "country": "US"}}],
        "messages": [{"role": "user", "content": "Perform a web search for the query: rust 1.95"}]});
    let bytes = body.to_string();
    let req = anthropic::parse(bytes.as_bytes(), anthropic::Endpoint::Messages).unwrap();
    let opts = web_search::anthropic_options(bytes.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(opts.max_uses, 3);
    assert_eq!(opts.allowed_domains, ["rust-lang.org"]);
    let n = crate::common::normalize(&req);
    let doc = json!({"rules": n.rules.names(), "body": serde_json::to_value(&n.request).unwrap()});
    assert_snapshot(
        "upstream/web_search_anthropic.json",
        &(serde_json::to_string_pretty(&doc).unwrap() + "\n"),
    );

    let body = json!({"model": "claude-sonnet-4.5", "input": "What is new in Rust?",
        "tools": [{"type": "web_search_preview", "search_context_size": "low"}]});
    let env = responses::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(env.head.tools[0]["type"], "web_search_preview");
    let t = env.build(Vec::new(), &TestSeal).unwrap();
    assert_eq!(t.chat.tools, vec![web_search::tool_def()]);
    assert!(t.dropped.is_empty());
}
