//! Snapshot tests of translated upstream bodies (issue 10 "Must show": system prompt, images,
//! parallel tool calls, trailing assistant, orphan tool results, long tool names and descriptions,
//! schemas with nulls). Each file under `tests/snapshots/upstream/` holds the rules that fired and
//! the exact upstream JSON body.

use crate::common;
use crate::common::{PNG, assert_snapshot};
use serde_json::{Value, json};
use translate::ir::ChatRequest;
use translate::{anthropic, openai};

fn anthropic_req(body: &Value) -> ChatRequest {
    anthropic::parse(body.to_string().as_bytes(), anthropic::Endpoint::Messages).unwrap()
}

fn openai_req(body: &Value) -> ChatRequest {
    openai::parse(body.to_string().as_bytes()).unwrap()
}

fn check(name: &str, req: &ChatRequest) {
    let n = common::normalize(req);
    let doc = json!({"rules": n.rules.names(), "body": serde_json::to_value(&n.request).unwrap()});
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    assert_snapshot(&format!("upstream/{name}.json"), &text);
}

#[test]
fn openai_system_and_developer_prompt() {
    check(
        "openai_system_prompt",
        &openai_req(&json!({"model": "claude-sonnet-4.5", "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
            {"role": "user", "content": "Hi"}
        ]})),
    );
}

#[test]
fn anthropic_claude_code_shape() {
    // Claude Code: system blocks with cache_control, thinking enabled, a system message as last element.
    check(
        "anthropic_claude_code",
        &anthropic_req(
            &json!({"model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": true,
            "thinking": {"type": "enabled", "budget_tokens": 31999},
            "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197;"},
                       {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
            "metadata": {"user_id": "{\"session_id\":\"s-1\"}"},
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "read hello.txt", "cache_control": {"type": "ephemeral"}}]},
                {"role": "system", "content": "Today is Thursday."}
            ]}),
        ),
    );
}

#[test]
fn images_from_data_url_and_base64() {
    check(
        "openai_image_data_url",
        &openai_req(&json!({"model": "claude-sonnet-4.5", "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{PNG}"), "detail": "high"}}
            ]}
        ]})),
    );
    check(
        "anthropic_image_in_tool_result",
        &anthropic_req(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
        "tools": [{"name": "screenshot", "description": "Take a screenshot", "input_schema": {"type": "object", "properties": {}}}],
        "messages": [
            {"role": "user", "content": "Take a screenshot"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "screenshot", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]}]}
        ]})),
    );
}

#[test]
fn parallel_tool_calls() {
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    check(
        "openai_parallel_tool_calls",
        &openai_req(
            &json!({"model": "claude-sonnet-4.5", "tools": tools, "messages": [
                {"role": "user", "content": "Weather in Paris and Rome?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_2", "content": "sunny"},
                {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
                {"role": "user", "content": "Thanks. Summarize."}
            ]}),
        ),
    );
    check(
        "anthropic_parallel_results_split",
        &anthropic_req(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
        "tools": [{"name": "Read", "description": "Read a file", "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}],
        "messages": [
            {"role": "user", "content": "Read a and b"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Reading both."},
                {"type": "tool_use", "id": "toolu_a", "name": "Read", "input": {"file_path": "a"}},
                {"type": "tool_use", "id": "toolu_b", "name": "Read", "input": {"file_path": "b"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_a", "content": "A"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_b", "is_error": true, "content": "no such file"}]}
        ]})),
    );
}

#[test]
fn trailing_assistant_prefill() {
    check(
        "anthropic_trailing_assistant",
        &anthropic_req(
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [
                {"role": "user", "content": "Write a haiku"},
                {"role": "assistant", "content": "Autumn"}
            ]}),
        ),
    );
}

#[test]
fn orphan_tool_results_and_uses() {
    check(
        "anthropic_orphans",
        &anthropic_req(
            &json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_gone", "content": "stale"}, {"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_x", "name": "Bash", "input": {"command": "ls"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_other", "content": ""}, {"type": "text", "text": "never mind"}]}
            ]}),
        ),
    );
}

#[test]
fn long_tool_names_and_descriptions() {
    let long_name = "mcp__some_very_long_server_name__and_an_even_longer_tool_name_that_exceeds";
    check(
        "anthropic_long_tool_names",
        &anthropic_req(&json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
        "tools": [
            {"name": long_name, "description": "d".repeat(10_050), "input_schema": {"type": "object", "properties": {}}},
            {"name": "no_description", "input_schema": {"type": "object", "properties": {}}}
        ],
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": long_name, "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "done"}]}
        ]})),
    );
}

#[test]
fn schemas_with_nulls() {
    check(
        "openai_schema_nulls",
        &openai_req(&json!({"model": "claude-sonnet-4.5", "tools": [
            {"type": "function", "function": {"name": "mcp_tool", "description": "An MCP tool",
                "parameters": {"type": "object", "properties": null, "required": null, "additionalProperties": null}}},
            {"type": "function", "function": {"name": "nested", "description": "Nested",
                "parameters": {"type": null, "properties": {"opts": {"type": "object", "properties": null, "required": [1, "a"]},
                               "tags": {"type": "array", "items": {"type": null, "enum": null}}}}}},
            {"type": "function", "function": {"name": "no_params", "description": "No parameters"}}
        ], "messages": [{"role": "user", "content": "use tools"}]})),
    );
}

#[test]
fn reasoning_effort_and_json_schema() {
    check(
        "openai_reasoning_json_schema",
        &openai_req(
            &json!({"model": "claude-sonnet-4.5", "reasoning_effort": "high", "max_completion_tokens": 500,
            "response_format": {"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object",
                "properties": {"name": {"type": "string"}}, "required": ["name"]}}},
            "messages": [{"role": "user", "content": "A city in France?"}]}),
        ),
    );
}
