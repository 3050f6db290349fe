//! Client request parsing: what is accepted, what is rejected, and that errors name the field
//! (client doc §1.2/§1.3, §2.2/§2.3; checklist 14–20, 23, 36, 37, 52–54, 58, 59).

use serde_json::{Value, json};
use translate::anthropic::{self, Endpoint};
use translate::ir::{Image, Part, ResponseFormat, Role, Thinking, ToolChoice};
use translate::{TranslateError, openai};

fn oa(body: &Value) -> Result<translate::ir::ChatRequest, TranslateError> {
    openai::parse(body.to_string().as_bytes())
}

fn an(body: &Value) -> Result<translate::ir::ChatRequest, TranslateError> {
    anthropic::parse(body.to_string().as_bytes(), Endpoint::Messages)
}

fn param(r: Result<translate::ir::ChatRequest, TranslateError>) -> String {
    r.unwrap_err().param().unwrap_or("<none>").to_owned()
}

#[test]
fn openai_accepts_every_message_form() {
    let req = oa(&json!({"model": "m", "temperature": 0.3, "top_p": 1, "seed": 1, "user": "u", "metadata": {"a": "b"},
        "store": false, "parallel_tool_calls": true, "logprobs": false, "service_tier": "auto", "prompt_cache_key": "k",
        "extra_thing": {"x": 1}, "n": 1,
        "messages": [
            {"role": "developer", "content": "dev"},
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "hi"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "res"}]},
            {"role": "system", "content": "late system"}
        ]}))
    .unwrap();
    assert_eq!(req.system, ["dev", "sys"]);
    assert_eq!(req.metadata.user.as_deref(), Some("u"));
    assert!(matches!(
        &req.messages[0].parts[1],
        Part::Image(Image::Base64 { .. })
    ));
    assert!(
        matches!(&req.messages[1].parts[0], Part::ToolUse { input, .. } if input == &json!({"a": 1}))
    );
    assert!(
        matches!(&req.messages[2].parts[0], Part::ToolResult { tool_use_id, .. } if tool_use_id == "call_1")
    );
    assert_eq!(req.messages[3].role, Role::System);
}

#[test]
fn openai_rejections_name_the_field() {
    let base = |extra: Value| {
        let mut b = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    assert_eq!(param(oa(&base(json!({"n": 2})))), "n");
    assert_eq!(
        param(oa(&base(json!({"modalities": ["text", "audio"]})))),
        "modalities"
    );
    assert_eq!(
        param(oa(&base(json!({"audio": {"voice": "alloy"}})))),
        "audio"
    );
    assert_eq!(
        param(oa(&base(json!({"web_search_options": {}})))),
        "web_search_options"
    );
    assert_eq!(param(oa(&base(json!({"temperature": 3})))), "temperature");
    assert_eq!(
        param(oa(&base(
            json!({"tools": [{"type": "custom", "custom": {"name": "g"}}]})
        ))),
        "tools[0].type"
    );
    assert_eq!(
        param(oa(&json!({"model": "m", "messages": []}))),
        "messages"
    );
    assert_eq!(
        param(oa(&json!({"messages": [{"role": "user", "content": "x"}]}))),
        "model"
    );
    assert_eq!(
        param(oa(
            &json!({"model": "m", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}]})
        )),
        "messages[1].tool_call_id"
    );
    assert_eq!(
        param(oa(&json!({"model": "m", "messages": [
            {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\":"}}]}]}))),
        "messages[0].tool_calls[0].function.arguments"
    );
    assert_eq!(
        param(oa(
            &json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]})
        )),
        "messages[0].content[0].type"
    );
    assert_eq!(
        param(oa(
            &json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/bmp;base64,Qk0="}}]}]})
        )),
        "messages[0].content[0].image_url.url"
    );
    assert!(matches!(
        openai::parse(b"{not json"),
        Err(TranslateError::InvalidRequest { param: None, .. })
    ));
}

#[test]
fn openai_tool_choice_response_format_and_limits() {
    let req = oa(&json!({"model": "m", "max_tokens": 10, "max_completion_tokens": 20, "stop": "END",
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_object"}, "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "x"}]}))
    .unwrap();
    assert_eq!(req.max_tokens, Some(20));
    assert_eq!(req.stop, ["END"]);
    assert_eq!(req.tool_choice, ToolChoice::Named("f".into()));
    assert_eq!(
        req.tools[0].input_schema,
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(req.response_format, ResponseFormat::JsonObject);
    assert!(req.stream && req.include_usage);
    for (v, want) in [
        (json!("none"), ToolChoice::None),
        (json!("required"), ToolChoice::Required),
        (json!("auto"), ToolChoice::Auto),
    ] {
        let r = oa(&json!({"model": "m", "tool_choice": v, "messages": [{"role": "user", "content": "x"}]})).unwrap();
        assert_eq!(r.tool_choice, want);
    }
    // Legacy functions / function_call.
    let r = oa(&json!({"model": "m", "functions": [{"name": "g", "parameters": {"type": "object"}}], "function_call": {"name": "g"},
        "messages": [{"role": "user", "content": "x"},
                     {"role": "assistant", "function_call": {"name": "g", "arguments": "{}"}},
                     {"role": "function", "name": "g", "content": "out"}]}))
    .unwrap();
    assert_eq!(r.tools[0].name, "g");
    assert_eq!(r.tool_choice, ToolChoice::Named("g".into()));
    assert!(matches!(&r.messages[2].parts[0], Part::ToolResult { .. }));
}

#[test]
fn anthropic_accepts_claude_code_requests() {
    let req = an(&json!({"model": "claude-opus-4-8", "max_tokens": 64000, "stream": true,
        "system": [{"type": "text", "text": "billing"}, {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "medium"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": "user_abc_account_x_session_1234"}, "service_tier": "auto", "speed": "fast", "foo": 1,
        "tools": [{"name": "Read", "description": "r", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}},
                  {"name": "Deferred", "description": "d", "input_schema": {"type": "object"}, "defer_loading": true}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "s"},
                {"type": "redacted_thinking", "data": "x"}, {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "/a"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "body", "is_error": false, "cache_control": {"type": "ephemeral"}},
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc text"}, "title": "T"}]},
            {"role": "system", "content": "reminder"}
        ]}))
    .unwrap();
    assert_eq!(req.system.len(), 2);
    assert_eq!(req.tools.len(), 1, "deferred tool dropped");
    assert!(matches!(req.thinking, Some(Thinking::Adaptive { .. })));
    assert_eq!(req.metadata.session_id.as_deref(), Some("1234"));
    assert_eq!(req.messages[3].role, Role::System);
    assert!(matches!(&req.messages[2].parts[1], Part::Text(t) if t == "T\n\ndoc text"));
    for t in [
        json!({"type": "enabled", "budget_tokens": 31999}),
        json!({"type": "disabled"}),
    ] {
        assert!(an(&json!({"model": "m", "max_tokens": 1, "thinking": t, "messages": [{"role": "user", "content": "x"}]})).is_ok());
    }
}

#[test]
fn anthropic_tool_results_in_every_shape() {
    let req = an(&json!({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "a", "name": "f", "input": {}},
                                          {"type": "tool_use", "id": "b", "name": "f", "input": {}},
                                          {"type": "tool_use", "id": "c", "name": "f", "input": {}},
                                          {"type": "tool_use", "id": "d", "name": "f", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "a", "content": "s"},
            {"type": "tool_result", "tool_use_id": "b", "content": [{"type": "text", "text": "t"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
            {"type": "tool_result", "tool_use_id": "c", "is_error": true, "content": "bad"},
            {"type": "tool_result", "tool_use_id": "d"}]}
    ]}))
    .unwrap();
    assert_eq!(req.messages[2].parts.len(), 4);
}

#[test]
fn anthropic_rejections_name_the_field() {
    let msgs = json!([{"role": "user", "content": "x"}]);
    assert_eq!(
        param(an(&json!({"model": "m", "messages": msgs}))),
        "max_tokens"
    );
    assert_eq!(
        param(an(&json!({"model": "m", "max_tokens": 1}))),
        "messages"
    );
    let e = an(&json!({"model": "m", "max_tokens": 1, "messages": msgs, "tools": [{"type": "code_execution_20250522", "name": "code_execution"}]}))
        .unwrap_err();
    assert_eq!(e.param(), Some("tools[0].type"));
    assert!(e.to_string().contains("code_execution"));
    // Web search is the server tool the gateway runs: it becomes the upstream `web_search` tool.
    let req = an(&json!({"model": "m", "max_tokens": 1, "messages": msgs, "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]}))
        .unwrap();
    assert_eq!(req.tools, vec![translate::web_search::tool_def()]);
    assert_eq!(
        param(an(
            &json!({"model": "m", "max_tokens": 1, "messages": msgs, "mcp_servers": [{"url": "x"}]})
        )),
        "mcp_servers"
    );
    assert_eq!(
        param(an(
            &json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "file", "file_id": "f"}}]}]})
        )),
        "messages[0].content[0].source.type"
    );
    assert_eq!(
        param(an(
            &json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}]}]})
        )),
        "messages[0].content[0].source.type"
    );
    // count_tokens takes the body without max_tokens.
    assert!(
        anthropic::parse(
            json!({"model": "m", "messages": msgs})
                .to_string()
                .as_bytes(),
            Endpoint::CountTokens
        )
        .is_ok()
    );
}

#[test]
fn anthropic_url_images_are_left_for_the_gateway() {
    let req = an(
        &json!({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.invalid/cat.png"}}]}]}),
    )
    .unwrap();
    assert!(
        matches!(&req.messages[0].parts[0], Part::Image(Image::Url(u)) if u == "https://example.invalid/cat.png")
    );
}

#[test]
fn count_tokens_and_messages_count_the_same_request() {
    let body = json!({"model": "claude-sonnet-4-5", "system": "Be brief.",
        "tools": [{"name": "Read", "description": "Read a file", "input_schema": {"type": "object", "properties": {"p": {"type": "string"}}}}],
        "messages": [{"role": "user", "content": "Summarize the file please."}]});
    let count = anthropic::parse(body.to_string().as_bytes(), Endpoint::CountTokens).unwrap();
    let mut with_limits = body.clone();
    with_limits["max_tokens"] = json!(1024);
    with_limits["stream"] = json!(true);
    let msg = an(&with_limits).unwrap();
    let n = translate::tokens::count_request(&count);
    assert_eq!(n, translate::tokens::count_request(&msg));
    assert!(n > 20, "{n}");
}

#[test]
fn errors_render_in_both_dialects() {
    let e = TranslateError::ModelNotFound {
        model: "gpt-9".into(),
    };
    let o = serde_json::to_value(translate::openai::response::ErrorResponse::from_translate(
        &e,
    ))
    .unwrap();
    assert_eq!(o["error"]["code"], "model_not_found");
    assert_eq!(o["error"]["param"], "model");
    let a = serde_json::to_value(
        translate::anthropic::response::ErrorResponse::from_translate(&e, Some("req_1".into())),
    )
    .unwrap();
    assert_eq!(
        a,
        json!({"type": "error", "error": {"type": "not_found_error", "message": "model: gpt-9"}, "request_id": "req_1"})
    );
    let e = oa(&json!({"model": "m", "n": 3, "messages": [{"role": "user", "content": "x"}]}))
        .unwrap_err();
    let o = serde_json::to_value(translate::openai::response::ErrorResponse::from_translate(
        &e,
    ))
    .unwrap();
    assert_eq!(o["error"]["param"], "n");
    assert_eq!(o["error"]["type"], "invalid_request_error");
}
