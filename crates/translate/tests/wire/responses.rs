//! OpenAI Responses API golden tests (issue 18 "Must show"): request translation (a Codex CLI
//! 0.171.0-shaped body, a `previous_response_id` continuation, structured output) snapshotted as
//! upstream bodies, and whole SSE transcripts (text, reasoning + parallel function calls, output
//! limit, failure mid-stream, JSON schema) snapshotted byte for byte, checked against the event
//! grammar, and compared with the non-stream body built from the same events.

use crate::common;

use crate::common::{TestSeal, assert_snapshot, collect, exception, out_events, seal, text, tool};
use amazonq::events::StreamEvent;
use serde_json::{Value, json};
use translate::ir::{OutEvent, Part, Role, Thinking};
use translate::responses::{self, Turn, response_body};
use translate::sse::ResponsesSse;
use translate::tokens;

fn turn(body: &Value, prior: Vec<Value>) -> (responses::Envelope, Turn) {
    let env = responses::parse(body.to_string().as_bytes()).unwrap();
    let turn = env.build(prior, &TestSeal).unwrap();
    (env, turn)
}

fn check_upstream(name: &str, t: &Turn) {
    let n = common::normalize(&t.chat);
    let doc = json!({"rules": n.rules.names(), "dropped": t.dropped,
                     "body": serde_json::to_value(&n.request).unwrap()});
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    assert_snapshot(&format!("upstream/{name}.json"), &text);
}

/// What Codex CLI 0.171.0 sends (client doc Addendum), shortened.
fn codex_body() -> Value {
    json!({
        "model": "claude-sonnet-4.5", "stream": true, "store": false,
        "instructions": "You are Codex.",
        "tool_choice": "auto", "parallel_tool_calls": true,
        "reasoning": {"summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "0199-session",
        "client_metadata": {"x": "y"},
        "tools": [
            {"type": "function", "name": "exec_command", "description": "Runs a command.",
             "strict": false,
             "parameters": {"type": "object", "properties": {"cmd": {"type": "string"},
                            "justification": {"type": "string"}}, "required": ["cmd"]}},
            {"type": "namespace", "name": "multi_agent_v1",
             "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object"}}]},
            {"type": "web_search", "external_web_access": false},
            {"type": "local_shell"},
            {"type": "custom", "name": "apply_patch", "format": {"type": "grammar"}}
        ],
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<permissions>sandboxed</permissions>"}]},
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "<skills>none</skills>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>cwd=/tmp</environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run echo hi"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Run it."}],
             "encrypted_content": "test-seal:I should run echo."},
            {"type": "reasoning", "id": "rs_foreign", "summary": [],
             "encrypted_content": "gAAAAB-from-another-server"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": "exec_command",
             "arguments": "{\"cmd\":\"echo hi\"}"},
            {"type": "function_call", "id": "fc_2", "call_id": "call_b", "name": "exec_command",
             "arguments": "{\"cmd\":\"pwd\"}"},
            {"type": "function_call_output", "call_id": "call_a", "output": "hi\n"},
            {"type": "function_call_output", "call_id": "call_b",
             "output": [{"type": "input_text", "text": "/tmp"}]},
            {"type": "local_shell_call", "call_id": "ls_1", "action": {"type": "exec"}},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "It printed hi."}]},
            {"role": "user", "content": "Thanks. Now list files."}
        ]
    })
}

#[test]
fn codex_request_translates_and_drops_what_it_cannot_serve() {
    let (env, t) = turn(&codex_body(), Vec::new());
    assert!(env.stream() && !env.head.store);
    let c = &t.chat;
    assert_eq!(
        c.system,
        [
            "You are Codex.",
            "<permissions>sandboxed</permissions>",
            "<skills>none</skills>"
        ]
    );
    assert_eq!(c.tools.len(), 1, "only the function tool is served");
    assert_eq!(c.metadata.session_id.as_deref(), Some("0199-session"));
    assert!(c.thinking.is_none(), "summary alone does not pick a budget");
    // The sealed reasoning opened; the foreign one was dropped.
    let thinking: Vec<&Part> = c
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter(|p| matches!(p, Part::Thinking(_)))
        .collect();
    assert_eq!(thinking, [&Part::Thinking("I should run echo.".into())]);
    // Both calls in one assistant message, both results in one user message.
    let roles: Vec<Role> = c.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::User,
            Role::Assistant,
            Role::User,
            Role::Assistant,
            Role::User
        ]
    );
    assert_eq!(c.messages[2].parts.len(), 3);
    assert_eq!(c.messages[3].parts.len(), 2);
    assert_eq!(t.dropped.len(), 6, "{:?}", t.dropped);
    assert!(t.dropped.iter().any(|d| d.contains("namespace")));
    assert!(t.dropped.iter().any(|d| d.contains("encrypted_content")));
    assert_eq!(t.history.len(), 13);
    check_upstream("responses_codex", &t);
}

#[test]
fn previous_response_items_come_first() {
    let prior = vec![
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "What is 2+2?"}]}),
        json!({"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "4"}]}),
    ];
    let body = json!({"model": "claude-sonnet-4.5", "previous_response_id": "resp_prev",
                      "instructions": "Be brief.", "input": "And times 3?",
                      "max_output_tokens": 64, "reasoning": {"effort": "low"},
                      "metadata": {"ticket": "T-1"}});
    let (env, t) = turn(&body, prior);
    assert_eq!(env.head.previous_response_id.as_deref(), Some("resp_prev"));
    assert_eq!(env.head.metadata, json!({"ticket": "T-1"}));
    assert_eq!(t.chat.max_tokens, Some(64));
    assert_eq!(
        t.chat.thinking,
        Some(Thinking::Enabled {
            budget_tokens: 4_096
        })
    );
    assert_eq!(t.history.len(), 3);
    assert_eq!(t.chat.messages.len(), 3);
    check_upstream("responses_previous", &t);
}

#[test]
fn structured_output_uses_the_json_path() {
    let body = json!({"model": "claude-sonnet-4.5", "input": "A book.",
        "text": {"format": {"type": "json_schema", "name": "book", "strict": true,
                 "schema": {"type": "object", "properties": {"title": {"type": "string"}},
                            "required": ["title"], "additionalProperties": false}}}});
    let (env, t) = turn(&body, Vec::new());
    assert!(t.chat.response_format.is_json());
    assert_eq!(env.head.text["format"]["name"], "book");
    check_upstream("responses_json_schema", &t);
}

#[test]
fn bad_requests_name_the_field() {
    let cases = [
        (json!({"input": "x"}), "model"),
        (json!({"model": "m"}), "input"),
        (json!({"model": "m", "input": 3}), "input"),
        (
            json!({"model": "m", "input": "x", "background": true}),
            "background",
        ),
        (
            json!({"model": "m", "input": "x", "reasoning": {"effort": "huge"}}),
            "reasoning.effort",
        ),
        (
            json!({"model": "m", "input": "x", "tool_choice": {"type": "function", "name": "nope"}}),
            "tool_choice",
        ),
        (
            json!({"model": "m", "input": "x", "text": {"format": {"type": "yaml"}}}),
            "text.format.type",
        ),
        (
            json!({"model": "m", "input": "x", "metadata": {"n": 1}}),
            "metadata",
        ),
    ];
    for (body, param) in cases {
        let e = responses::parse(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.param(), Some(param), "{body}: {e}");
    }
    let built = |input: Value| {
        let env =
            responses::parse(json!({"model": "m", "input": input}).to_string().as_bytes()).unwrap();
        env.build(Vec::new(), &TestSeal).unwrap_err()
    };
    let e =
        built(json!([{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]));
    assert_eq!(e.param(), Some("input[0].arguments"));
    let e = built(json!([{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]));
    assert_eq!(e.param(), Some("input[0].content[0].type"));
    let e = built(json!([{"role": "critic", "content": "x"}]));
    assert_eq!(e.param(), Some("input[0].role"));
    let e = built(json!([]));
    assert_eq!(e.param(), Some("input"));
}

// ---------------------------------------------------------------------------------------------
// Stream transcripts
// ---------------------------------------------------------------------------------------------

const CREATED: i64 = 1_764_120_000;

fn stream_turn(extra: &Value) -> (responses::Envelope, Turn) {
    let mut body = json!({"model": "claude-sonnet-4.5", "stream": true,
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}],
        "input": "Weather in Paris and Rome?"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    turn(&body, Vec::new())
}

/// Grammar: `event:` = `data.type`; sequence numbers 0, 1, …; created, in_progress first; items
/// opened and closed in order and never interleaved; exactly one terminal event, last.
fn check_grammar(wire: &str) -> Vec<Value> {
    let events = common::named_events(wire);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence_number"], i, "{wire}");
    }
    assert_eq!(events[0]["type"], "response.created");
    assert_eq!(events[0]["response"]["status"], "in_progress");
    assert_eq!(events[1]["type"], "response.in_progress");
    let mut open: Option<(u64, String)> = None;
    let mut next_index = 0;
    for e in &events[2..events.len() - 1] {
        let t = e["type"].as_str().unwrap();
        match t {
            "response.output_item.added" => {
                assert!(open.is_none(), "items must not interleave");
                assert_eq!(e["output_index"], next_index);
                open = Some((next_index, e["item"]["id"].as_str().unwrap().to_owned()));
            }
            "response.output_item.done" => {
                let (i, id) = open.take().expect("done without added");
                assert_eq!(e["output_index"], i);
                assert_eq!(e["item"]["id"], id.as_str());
                next_index += 1;
            }
            _ => {
                let (i, id) = open.as_ref().expect("item event outside an item");
                assert_eq!(e["output_index"], *i, "{e}");
                assert_eq!(e["item_id"], id.as_str(), "{e}");
            }
        }
        assert!(!matches!(
            t,
            "response.completed" | "response.failed" | "response.incomplete"
        ));
    }
    let last = events.last().unwrap();
    assert!(
        open.is_none() || last["type"] == "response.failed",
        "an item was left open"
    );
    assert!(matches!(
        last["type"].as_str().unwrap(),
        "response.completed" | "response.failed" | "response.incomplete"
    ));
    assert_eq!(
        last["response"]["output"].as_array().unwrap().len(),
        next_index as usize
    );
    events
}

/// Runs `events` through the machine and the encoder; snapshots the wire and (unless it failed)
/// the non-stream body, which must equal the terminal event's response.
fn case(name: &str, extra: &Value, events: &[StreamEvent]) -> Vec<Value> {
    let (env, t) = stream_turn(extra);
    let out = out_events(&t.chat, events);
    let input_tokens = tokens::count_request(&t.chat);
    let mut enc =
        ResponsesSse::new("resp_test", CREATED, &env.head, seal()).with_input_tokens(input_tokens);
    let mut wire = enc.start();
    for e in &out {
        wire.push_str(&enc.encode(e));
    }
    assert!(enc.is_done());
    assert_snapshot(&format!("sse/{name}.responses.txt"), &wire);
    let evs = check_grammar(&wire);
    let last: responses::Response =
        serde_json::from_value(evs.last().unwrap()["response"].clone()).unwrap();
    assert_eq!(&last, enc.response(), "the response object reads back");
    if !out.iter().any(|e| matches!(e, OutEvent::Error(_))) {
        let body = response_body(&collect(&out), "resp_test", CREATED, &env.head, seal());
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            &v,
            &evs.last().unwrap()["response"],
            "stream and body must agree"
        );
        assert_eq!(&body, enc.response());
        let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
        assert_snapshot(&format!("sse/{name}.responses.json"), &text);
    }
    evs
}

#[test]
fn plain_text() {
    let evs = case("text", &json!({}), &[text("Hello"), text(", world.")]);
    let last = evs.last().unwrap();
    assert_eq!(last["type"], "response.completed");
    assert_eq!(
        last["response"]["output"][0]["content"][0]["text"],
        "Hello, world."
    );
    assert!(
        last["response"]["id"]
            .as_str()
            .unwrap()
            .starts_with("resp_")
    );
    assert!(
        last["response"]["output"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("msg_")
    );
    let u = &last["response"]["usage"];
    assert_eq!(
        u["total_tokens"],
        u["input_tokens"].as_u64().unwrap() + u["output_tokens"].as_u64().unwrap()
    );
}

#[test]
fn reasoning_then_parallel_function_calls() {
    let events = [
        text("<thinking>\nThe user wants "),
        text("weather.\n</thinking>\n\n"),
        text("Checking both."),
        tool("tooluse_p1", "get_weather", Some("{\"city\": \"Par"), false),
        tool("tooluse_p1", "get_weather", Some("is\"}"), true),
        tool(
            "tooluse_p2",
            "get_weather",
            Some("{\"city\": \"Rome\"}"),
            true,
        ),
    ];
    let evs = case(
        "reasoning_tools",
        &json!({"reasoning": {"effort": "low", "summary": "auto"}}),
        &events,
    );
    let r = &evs.last().unwrap()["response"];
    assert_eq!(
        common::kinds(&r["output"]),
        ["reasoning", "message", "function_call", "function_call"]
    );
    assert_eq!(
        r["output"][0]["summary"][0]["text"],
        "The user wants weather."
    );
    assert_eq!(
        r["output"][0]["encrypted_content"],
        "test-seal:The user wants weather."
    );
    assert!(r["output"][0]["id"].as_str().unwrap().starts_with("rs_"));
    assert_eq!(r["output"][2]["call_id"], "call_p1");
    assert_eq!(r["output"][2]["arguments"], "{\"city\": \"Paris\"}");
    assert!(r["output"][2]["id"].as_str().unwrap().starts_with("fc_"));
    assert_eq!(r["output"][3]["call_id"], "call_p2");
    assert!(
        r["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    let done: Vec<&Value> = evs
        .iter()
        .filter(|e| e["type"] == "response.function_call_arguments.done")
        .collect();
    assert_eq!(done.len(), 2);
    assert_eq!(done[1]["arguments"], "{\"city\": \"Rome\"}");
}

#[test]
fn output_limit_is_incomplete() {
    let evs = case(
        "max_tokens",
        &json!({"max_output_tokens": 4}),
        &[
            text("one two three four five six seven eight"),
            text(" nine ten"),
        ],
    );
    let last = evs.last().unwrap();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "max_output_tokens"
    );
    assert_eq!(last["response"]["usage"]["output_tokens"], 4);
}

#[test]
fn exception_mid_stream_fails_the_response() {
    let evs = case(
        "exception",
        &json!({}),
        &[text("Par"), exception("Internal failure")],
    );
    let last = evs.last().unwrap();
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["status"], "failed");
    assert_eq!(last["response"]["error"]["code"], "server_error");
}

#[test]
fn json_schema_answer_is_clean_json() {
    let fmt = json!({"format": {"type": "json_schema", "name": "book",
        "schema": {"type": "object", "properties": {"title": {"type": "string"}}}}});
    let evs = case(
        "json_schema",
        &json!({"text": fmt}),
        &[text("```json\n{\"title\": "), text("\"Dune\"}\n```")],
    );
    let r = &evs.last().unwrap()["response"];
    let answer = r["output"][0]["content"][0]["text"].as_str().unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(answer).unwrap(),
        json!({"title": "Dune"})
    );
    assert_eq!(r["text"]["format"]["name"], "book");
}
