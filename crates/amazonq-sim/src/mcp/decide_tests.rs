//! Tests of the search decision (pure: request JSON in, script out).

use serde_json::{Value, json};

use super::*;

fn request(content: &str, tools: &[&str], history: Value, results: Value) -> Value {
    let tools: Vec<Value> = tools
        .iter()
        .map(|n| {
            json!({"toolSpecification": {"name": n, "description": "d",
            "inputSchema": {"json": {"type": "object"}}}})
        })
        .collect();
    let mut v = json!({"conversationState": {
        "conversationId": "c", "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": content,
            "userInputMessageContext": {"tools": tools}}}}});
    v["conversationState"]["history"] = history;
    v["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"]["toolResults"] =
        results;
    v
}

fn search_history(id: &str, query: &str) -> Value {
    json!([
        {"userInputMessage": {"content": "q"}},
        {"assistantResponseMessage": {"content": "", "toolUses": [
            {"toolUseId": id, "name": "web_search", "input": {"query": query}}]}}
    ])
}

#[test]
fn the_search_directive_becomes_a_tool_use_only_when_the_tool_is_offered() {
    let mut script = crate::script::directives::parse("#search rust 2026")
        .unwrap()
        .unwrap();
    assert_eq!(
        script.steps,
        vec![Step::WebSearch {
            query: "rust 2026".into()
        }]
    );
    let mut without = script.clone();
    resolve(
        &mut script,
        &request("", &["fs_read", "web_search"], json!([]), json!([])),
    );
    match &script.steps[0] {
        Step::ToolUse { name, input, .. } => {
            assert_eq!(name, "web_search");
            assert_eq!(
                serde_json::from_str::<Value>(input).unwrap(),
                json!({"query": "rust 2026"})
            );
        }
        other => panic!("{other:?}"),
    }
    resolve(
        &mut without,
        &request("", &["fs_read"], json!([]), json!([])),
    );
    assert_eq!(
        without.steps,
        vec![Step::Text {
            content: "I cannot search the web for \"rust 2026\": no web_search tool was offered."
                .into(),
            split: None
        }]
    );
    assert!(crate::script::directives::parse("#search   ").is_err());
}

#[test]
fn claude_code_wording_decides_a_search_when_the_tool_is_offered() {
    let text = "You are an assistant.\nPerform a web search for the query: kiro cli release notes";
    assert_eq!(
        claude_code_query(text).as_deref(),
        Some("kiro cli release notes")
    );
    let script = implicit(&request(text, &["web_search"], json!([]), json!([]))).unwrap();
    assert_eq!(
        script.steps,
        vec![Step::WebSearch {
            query: "kiro cli release notes".into()
        }]
    );
    assert_eq!(implicit(&request(text, &[], json!([]), json!([]))), None);
    assert_eq!(
        implicit(&request("hello", &["web_search"], json!([]), json!([]))),
        None
    );
}

fn answer(results: Value) -> String {
    let script = implicit(&request(
        "",
        &["web_search"],
        search_history("tu-1", "rust 2026"),
        results,
    ))
    .unwrap();
    match &script.steps[0] {
        Step::Text { content, .. } => content.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_search_result_is_answered_with_a_citation_of_its_first_source() {
    let payload = json!({"results": [
        {"title": "First", "url": "https://example.com/a"},
        {"title": "Second", "url": "https://example.org/b"}]});
    let expected =
        "According to First (https://example.com/a), here is what I found about \"rust 2026\".";
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "content": [{"json": payload}], "status": "success"}])),
        expected
    );
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "content": [{"text": payload.to_string()}]}])),
        expected
    );
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "content": [
            {"text": "Search results:\n1. Title: First\n   URL: https://example.com/a\n"}]}])),
        expected
    );
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "content": [
            {"text": "1. First - https://example.com/a."}]}])),
        expected
    );
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "content": [{"json": {"results": []}}]}])),
        "The web search for \"rust 2026\" returned no results."
    );
    assert_eq!(
        answer(json!([{"toolUseId": "tu-1", "status": "error",
            "content": [{"text": "Web search is not available for this account."}]}])),
        "The web search for \"rust 2026\" failed: Web search is not available for this account."
    );
}

#[test]
fn results_of_other_tools_do_not_trigger_the_citation() {
    let req = request(
        "",
        &["web_search"],
        search_history("tu-1", "rust"),
        json!([{"toolUseId": "other", "content": [{"text": "x"}]}]),
    );
    assert_eq!(implicit(&req), None);
}
