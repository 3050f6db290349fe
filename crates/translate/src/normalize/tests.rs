//! One test per normalization rule: the rule fires on the input that needs it, and the body it
//! produces has the shape the rule promises.

use amazonq::types::{
    ChatMessage, Tool, ToolResult, ToolResultContent, ToolResultStatus, ToolSpecification,
    UserInputMessage,
};
use serde_json::{Value, json};

use super::*;
use crate::anthropic::{self, Endpoint};
use crate::models::ModelTable;

fn run_opts(body: &Value, opts: &UpstreamOptions) -> Normalized {
    let req = anthropic::parse_value(body.as_object().unwrap(), Endpoint::Messages).unwrap();
    let model = ModelTable::default().resolve(&req.model).unwrap();
    normalize(&req, &model, opts).unwrap()
}

fn run(messages: &Value) -> Normalized {
    run_opts(
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": messages}),
        &UpstreamOptions::default(),
    )
}

fn history(n: &Normalized) -> &[ChatMessage] {
    &n.request.conversation_state.history
}

fn current(n: &Normalized) -> &UserInputMessage {
    n.request
        .conversation_state
        .current_message
        .as_user()
        .unwrap()
}

/// The current message's tool specs, `None` for a cache point.
fn current_specs(n: &Normalized) -> Vec<Option<&ToolSpecification>> {
    let context = current(n).user_input_message_context.as_ref().unwrap();
    let tools = context.tools.as_ref().unwrap();
    tools
        .iter()
        .map(|t| match t {
            Tool::ToolSpecification(s) => Some(s),
            Tool::CachePoint(_) => None,
        })
        .collect()
}

/// The tool results the current message carries.
fn current_results(n: &Normalized) -> &[ToolResult] {
    let context = current(n).user_input_message_context.as_ref().unwrap();
    context.tool_results.as_deref().unwrap()
}

fn tool_use(id: &str, name: &str) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": {"a": 1}})
}

fn tool_result(id: &str, text: &str) -> Value {
    json!({"type": "tool_result", "tool_use_id": id, "content": text})
}

#[test]
fn plain_request_fires_nothing() {
    let n = run(&json!([{"role": "user", "content": "hi"}]));
    assert!(n.rules.as_slice().is_empty(), "{:?}", n.rules);
    assert_eq!(current(&n).content, "hi");
    assert_eq!(current(&n).model_id.as_deref(), Some("claude-sonnet-4.5"));
    assert!(history(&n).is_empty());
}

#[test]
fn r1_trailing_assistant_becomes_history_plus_continue() {
    let n =
        run(&json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hel"}]));
    assert!(n.rules.contains(Rule::R1TrailingAssistant));
    assert_eq!(history(&n).len(), 2);
    assert_eq!(history(&n)[1].as_assistant().unwrap().content, "Hel");
    assert_eq!(current(&n).content, turns::CONTINUE);
}

#[test]
fn r2_leading_assistant_gets_user_placeholder() {
    let n = run(
        &json!([{"role": "assistant", "content": "I am here"}, {"role": "user", "content": "ok"}]),
    );
    assert!(n.rules.contains(Rule::R2FirstTurnUser));
    assert_eq!(history(&n)[0].as_user().unwrap().content, turns::EMPTY);
}

#[test]
fn r3_same_role_turns_merge() {
    let n = run(&json!([
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
        {"role": "assistant", "content": "c"}, {"role": "user", "content": "d"}, {"role": "user", "content": "e"}
    ]));
    assert!(n.rules.contains(Rule::R3MergeSameRole));
    assert_eq!(history(&n).len(), 2);
    assert_eq!(history(&n)[1].as_assistant().unwrap().content, "b\n\nc");
    assert_eq!(current(&n).content, "d\n\ne");
}

#[test]
fn r5_orphan_tool_result_is_flattened() {
    let n = run(&json!([
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
        {"role": "user", "content": [tool_result("ghost", "out"), {"type": "text", "text": "next"}]}
    ]));
    assert!(n.rules.contains(Rule::R5OrphanToolResult));
    let cur = current(&n);
    assert!(cur.user_input_message_context.is_none());
    assert!(
        cur.content.starts_with("[Tool result for ghost]\nout"),
        "{}",
        cur.content
    );
    assert!(cur.content.ends_with("next"));
}

#[test]
fn r6_unanswered_tool_use_gets_cancelled_result() {
    let n = run(&json!([
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [tool_use("t1", "Read"), tool_use("t2", "Read")]},
        {"role": "user", "content": [tool_result("t1", "ok")]}
    ]));
    assert!(n.rules.contains(Rule::R6OrphanToolUse));
    let results = current_results(&n);
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].tool_use_id, "t2");
    assert_eq!(results[1].status, ToolResultStatus::Error);
    assert_eq!(
        results[1].content,
        vec![ToolResultContent::Text(turns::CANCELLED.into())]
    );
}

#[test]
fn r7_first_turn_results_are_flattened() {
    let n = run(&json!([{"role": "user", "content": [tool_result("t0", "early")]}]));
    assert!(n.rules.contains(Rule::R7FirstTurnToolResults));
    assert!(current(&n).content.contains("early"));
}

#[test]
fn r8_history_tools_get_placeholder_specs_case_insensitively() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
    "tools": [{"name": "read", "description": "r", "input_schema": {"type": "object", "properties": {}}}],
    "messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [tool_use("t1", "Read"), tool_use("t2", "Bash")]},
        {"role": "user", "content": [tool_result("t1", "x"), tool_result("t2", "y")]}
    ]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::R8HistoryToolSpecs));
    let names: Vec<&str> = current_specs(&n)
        .iter()
        .map(|s| s.map_or("", |s| s.name.as_str()))
        .collect();
    assert_eq!(
        names,
        ["read", "Bash"],
        "Read is satisfied by the declared `read`"
    );
    // R9: history user messages carry no tools.
    assert!(
        history(&n)
            .iter()
            .filter_map(ChatMessage::as_user)
            .all(|u| u
                .user_input_message_context
                .as_ref()
                .is_none_or(|c| c.tools.is_none()))
    );
}

#[test]
fn r10_long_names_are_shortened_everywhere_and_restored() {
    let long = format!("mcp__server__{}", "x".repeat(70));
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
    "tools": [{"name": long, "description": "d", "input_schema": {"type": "object"}}],
    "messages": [
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [tool_use("t1", &long)]},
        {"role": "user", "content": [tool_result("t1", "x")]}
    ]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::R10ToolNameShortened));
    let spec_name = current_specs(&n)[0].map_or_else(String::new, |s| s.name.clone());
    assert!(spec_name.len() <= 63, "{spec_name}");
    let used = &history(&n)[1]
        .as_assistant()
        .unwrap()
        .tool_uses
        .as_ref()
        .unwrap()[0]
        .name;
    assert_eq!(used, &spec_name);
    assert_eq!(n.tool_names.restore(&spec_name), long);
    assert_eq!(n.tool_names.restore(&spec_name.to_uppercase()), long);
}

#[test]
fn r11_descriptions_are_filled_and_truncated() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
        "tools": [{"name": "a", "input_schema": {"type": "object"}},
                  {"name": "b", "description": "y".repeat(20_000), "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "q"}]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::R11ToolDescription));
    let descs: Vec<usize> = current_specs(&n)
        .iter()
        .map(|s| s.map_or(0, |s| s.description.chars().count()))
        .collect();
    assert!(descs[0] > 0);
    assert_eq!(descs[1], 10_000);
}

#[test]
fn r12_schema_nulls_are_repaired() {
    let mut s = json!({"type": null, "properties": {"a": {"type": "string", "description": null}}, "required": null});
    assert!(tools::normalize_schema(&mut s, true));
    assert_eq!(
        s,
        json!({"type": "object", "properties": {"a": {"type": "string"}}})
    );
    let mut s = json!({"type": "object", "properties": null, "required": ["a", 3]});
    assert!(tools::normalize_schema(&mut s, true));
    assert_eq!(
        s,
        json!({"type": "object", "properties": {}, "required": ["a"]})
    );
    let mut ok =
        json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]});
    assert!(!tools::normalize_schema(&mut ok, true));
}

#[test]
fn r13_empty_content_gets_placeholders() {
    let n = run(&json!([
        {"role": "user", "content": ""},
        {"role": "assistant", "content": [tool_use("t1", "Read")]},
        {"role": "user", "content": [tool_result("t1", "")]}
    ]));
    assert!(n.rules.contains(Rule::R13EmptyContent));
    assert_eq!(history(&n)[0].as_user().unwrap().content, turns::EMPTY);
    assert_eq!(
        history(&n)[1].as_assistant().unwrap().content,
        turns::TOOL_USES_ONLY
    );
    assert_eq!(current(&n).content, turns::TOOL_RESULTS_ONLY);
}

#[test]
fn r14_r21_duplicate_results_dropped_and_reordered() {
    let n = run(&json!([
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [tool_use("t1", "A"), tool_use("t2", "B")]},
        {"role": "user", "content": [tool_result("t2", "2"), tool_result("t1", "1"), tool_result("t1", "1 again")]}
    ]));
    assert!(n.rules.contains(Rule::R14DuplicateToolResult));
    assert!(n.rules.contains(Rule::R21ToolResultOrder));
    let ids: Vec<&str> = current_results(&n)
        .iter()
        .map(|r| r.tool_use_id.as_str())
        .collect();
    assert_eq!(ids, ["t1", "t2"]);
}

#[test]
fn r15_empty_input_keys_removed() {
    let n = run(&json!([
        {"role": "user", "content": "a"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "A", "input": {"": 1, "k": 2}}]},
        {"role": "user", "content": [tool_result("t1", "x")]}
    ]));
    assert!(n.rules.contains(Rule::R15EmptyInputKey));
    assert_eq!(
        history(&n)[1]
            .as_assistant()
            .unwrap()
            .tool_uses
            .as_ref()
            .unwrap()[0]
            .input,
        json!({"k": 2})
    );
}

#[test]
fn r18_old_images_replaced_by_note() {
    let img = json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}});
    let mut msgs = Vec::new();
    for i in 0..7 {
        msgs.push(json!({"role": "user", "content": [img.clone(), {"type": "text", "text": format!("u{i}")}]}));
        msgs.push(json!({"role": "assistant", "content": "ok"}));
    }
    msgs.push(json!({"role": "user", "content": [img.clone(), img.clone(), img.clone()]}));
    let n = run(&Value::Array(msgs));
    assert!(n.rules.contains(Rule::R18ImageLimit));
    assert_eq!(current(&n).images.as_ref().unwrap().len(), 3);
    let kept: usize = history(&n)
        .iter()
        .filter_map(ChatMessage::as_user)
        .map(|u| u.images.as_ref().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        kept, 4,
        "5 most recent user turns keep images: current (3) + 4 older"
    );
    assert!(
        history(&n)[0]
            .as_user()
            .unwrap()
            .content
            .contains("omitted")
    );
}

#[test]
fn system_prompt_is_a_leading_pair_and_inline_system_is_a_reminder() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "Note this."}]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::SystemPrompt));
    assert!(n.rules.contains(Rule::SystemMessageInline));
    assert_eq!(history(&n)[0].as_user().unwrap().content, "Be brief.");
    assert_eq!(
        history(&n)[1].as_assistant().unwrap().content,
        turns::SYSTEM_ACK
    );
    assert_eq!(
        current(&n).content,
        "q\n\n<system-reminder>\nNote this.\n</system-reminder>"
    );
}

#[test]
fn thinking_dropped_from_history_and_prompt_tags_added() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "thinking": {"type": "enabled", "budget_tokens": 31999},
        "messages": [{"role": "user", "content": "q"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                               {"type": "redacted_thinking", "data": "x"}, {"type": "text", "text": "A"}]},
            {"role": "user", "content": "q2"}]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::ThinkingDropped));
    assert!(n.rules.contains(Rule::ThinkingPrompt));
    assert_eq!(
        history(&n)[0].as_user().unwrap().content,
        "<thinking_mode>enabled</thinking_mode><max_thinking_length>24576</max_thinking_length>"
    );
    assert_eq!(history(&n)[3].as_assistant().unwrap().content, "A");
    assert!(n.thinking.is_on());
}

#[test]
fn tool_choice_and_response_format_instructions() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
        "tools": [{"name": "a", "description": "A", "input_schema": {"type": "object"}},
                  {"name": "b", "description": "B", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "tool", "name": "b"},
        "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}},
        "messages": [{"role": "user", "content": "q"}]});
    let n = run_opts(&body, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::ToolChoiceInstruction));
    assert!(n.rules.contains(Rule::ResponseFormatInstruction));
    let cur = current(&n);
    assert!(cur.content.contains("You must call the tool `b`"));
    assert_eq!(current_specs(&n).len(), 1);

    let none = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "tool_choice": {"type": "none"},
        "tools": [{"name": "a", "description": "A", "input_schema": {"type": "object"}}],
        "messages": [{"role": "user", "content": "q"}]});
    let n = run_opts(&none, &UpstreamOptions::default());
    assert!(n.rules.contains(Rule::ToolChoiceNone));
    assert!(current(&n).user_input_message_context.is_none());
}

#[test]
fn kiro_dialect_extras() {
    let opts = UpstreamOptions {
        dialect: UpstreamDialect::Kiro,
        conversation_id: "conv".into(),
        origin: Some("AI_EDITOR".into()),
        profile_arn: Some("arn:p".into()),
        ..UpstreamOptions::default()
    };
    let n = run_opts(
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [
            {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}),
        &opts,
    );
    let cs = &n.request.conversation_state;
    assert_eq!(cs.agent_continuation_id.as_deref(), Some("conv"));
    assert!(cs.agent_task_type.is_some());
    assert_eq!(
        cs.history[0].as_user().unwrap().model_id.as_deref(),
        Some("claude-sonnet-4.5")
    );
    assert_eq!(
        cs.history[0].as_user().unwrap().origin.as_deref(),
        Some("AI_EDITOR")
    );
    assert_eq!(n.request.profile_arn.as_deref(), Some("arn:p"));
}

#[test]
fn url_images_must_be_resolved_first() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.invalid/a.png"}}]}]});
    let req = anthropic::parse_value(body.as_object().unwrap(), Endpoint::Messages).unwrap();
    let model = ModelTable::default().resolve(&req.model).unwrap();
    let err = normalize(&req, &model, &UpstreamOptions::default()).unwrap_err();
    assert_eq!(err.param(), Some("messages[0].content[0]"));
}

#[test]
fn rule_names_are_unique_and_all_listed() {
    let mut names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Rule::ALL.len());
}

#[test]
fn fetched_url_images_normalize() {
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.invalid/a.png"}}]}]});
    let mut req = anthropic::parse_value(body.as_object().unwrap(), Endpoint::Messages).unwrap();
    let urls = req.url_images_mut();
    assert_eq!(urls.len(), 1);
    *urls.into_iter().next().unwrap() = crate::ir::Image::Bytes {
        format: crate::ir::ImageFormat::Png,
        bytes: b"\x89PNG\r\n\x1a\n".to_vec(),
    };
    let model = ModelTable::default().resolve(&req.model).unwrap();
    let n = normalize(&req, &model, &UpstreamOptions::default()).unwrap();
    let img = &current(&n).images.as_ref().unwrap()[0];
    assert_eq!(
        img.source,
        amazonq::types::ImageSource::Bytes("iVBORw0KGgo=".into())
    );
}

#[test]
fn identity_prompt_comes_first() {
    let opts = UpstreamOptions {
        identity_prompt: Some("You are Claude.".into()),
        ..UpstreamOptions::default()
    };
    let n = run_opts(
        &json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "system": "Be brief.",
                "messages": [{"role": "user", "content": "q"}]}),
        &opts,
    );
    assert_eq!(
        history(&n)[0].as_user().unwrap().content,
        "You are Claude.\n\nBe brief."
    );
}
