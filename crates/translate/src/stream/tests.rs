//! State-machine behaviour on scripted upstream event sequences.

use amazonq::error::ErrorClass;
use amazonq::events::{StreamEvent, TokenUsage};

use super::*;
use crate::ir::Dialect;
use crate::ir::{FinishReason, OutEvent, StreamErrorKind};
use crate::normalize::ToolNameMap;

fn cfg() -> StreamConfig {
    StreamConfig {
        dialect: Dialect::Anthropic,
        thinking: false,
        stop: Vec::new(),
        max_tokens: None,
        json_mode: false,
        input_tokens: 42,
        tool_names: ToolNameMap::default(),
        context_window: Some(200_000),
    }
}

fn text(s: &str) -> StreamEvent {
    StreamEvent::AssistantResponse {
        content: s.to_owned(),
    }
}

fn tool(id: &str, name: &str, input: Option<&str>, stop: bool) -> StreamEvent {
    StreamEvent::ToolUse {
        tool_use_id: id.into(),
        name: name.into(),
        input: input.map(str::to_owned),
        stop,
    }
}

fn run(cfg: StreamConfig, events: &[StreamEvent]) -> Vec<OutEvent> {
    let mut m = StreamMachine::new(cfg);
    let mut out = Vec::new();
    for e in events {
        out.extend(m.push(e));
    }
    out.extend(m.finish());
    out
}

fn finish_of(out: &[OutEvent]) -> (FinishReason, Option<String>) {
    match out.last() {
        Some(OutEvent::Finish {
            reason,
            stop_sequence,
            ..
        }) => (*reason, stop_sequence.clone()),
        other => panic!("no finish: {other:?}"),
    }
}

#[test]
fn text_then_end_turn_with_usage() {
    let out = run(cfg(), &[text("Hello"), text(" world")]);
    assert_eq!(out[0], OutEvent::Text("Hello".into()));
    assert_eq!(out[1], OutEvent::Text(" world".into()));
    let OutEvent::Finish { reason, usage, .. } = &out[2] else {
        panic!()
    };
    assert_eq!(*reason, FinishReason::EndTurn);
    assert_eq!(usage.input_tokens, 42);
    assert!(usage.output_tokens >= 2);
}

#[test]
fn parallel_tools_are_contiguous_and_indexed() {
    let out = run(
        cfg(),
        &[
            text("Let me check."),
            tool("tooluse_a", "get", None, false),
            tool("tooluse_a", "get", Some("{\"c\":"), false),
            tool("tooluse_a", "get", Some("\"Paris\"}"), true),
            tool("tooluse_b", "get", Some("{\"c\":\"Rome\"}"), true),
        ],
    );
    assert_eq!(
        out[1],
        OutEvent::ToolStart {
            index: 0,
            id: "toolu_a".into(),
            name: "get".into()
        }
    );
    assert_eq!(
        out[2],
        OutEvent::ToolArgs {
            index: 0,
            json: "{\"c\":\"Paris\"}".into()
        }
    );
    assert_eq!(out[3], OutEvent::ToolEnd { index: 0 });
    assert_eq!(
        out[4],
        OutEvent::ToolStart {
            index: 1,
            id: "toolu_b".into(),
            name: "get".into()
        }
    );
    assert_eq!(finish_of(&out).0, FinishReason::ToolUse);
}

#[test]
fn truncated_tool_json_becomes_notice_and_max_tokens() {
    let out = run(
        cfg(),
        &[
            tool("t1", "Write", Some("{\"content\": \"abc"), true),
            text("more"),
        ],
    );
    assert!(!out.iter().any(|e| matches!(e, OutEvent::ToolStart { .. })));
    assert!(matches!(&out[0], OutEvent::Text(t) if t.contains("`Write` was cut off")));
    assert_eq!(finish_of(&out).0, FinishReason::MaxTokens);
    assert_eq!(out.len(), 2, "nothing after the finish: {out:?}");
}

#[test]
fn tool_without_stop_at_eof_is_checked() {
    let out = run(cfg(), &[tool("t1", "Read", Some("{\"p\":1}"), false)]);
    assert!(matches!(&out[0], OutEvent::ToolStart { .. }));
    let out = run(cfg(), &[tool("t1", "Read", Some("{\"p\":"), false)]);
    assert_eq!(finish_of(&out).0, FinishReason::MaxTokens);
}

#[test]
fn exception_mid_stream_is_an_error_not_end_turn() {
    let ex = StreamEvent::Exception {
        exception_type: "error".into(),
        message: Some("boom".into()),
        reason: None,
    };
    let mut m = StreamMachine::new(cfg());
    let mut out = m.push(&text("partial"));
    out.extend(m.push(&ex));
    out.extend(m.finish());
    assert_eq!(out[0], OutEvent::Text("partial".into()));
    assert!(
        matches!(&out[1], OutEvent::Error(e) if e.kind == StreamErrorKind::Upstream(ErrorClass::Transient) && e.message == "boom")
    );
    assert_eq!(out.len(), 2);
    assert!(m.is_finished());
}

#[test]
fn exception_classes() {
    let too_long = StreamEvent::Exception {
        exception_type: "ValidationException".into(),
        message: Some("Input is too long.".into()),
        reason: Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD".into()),
    };
    assert!(
        matches!(&run(cfg(), &[too_long])[0], OutEvent::Error(e) if e.kind == StreamErrorKind::Upstream(ErrorClass::ContextTooLong))
    );
    let out_len = StreamEvent::Exception {
        exception_type: "ContentLengthExceededException".into(),
        message: None,
        reason: None,
    };
    assert_eq!(
        finish_of(&run(cfg(), &[text("x"), out_len])).0,
        FinishReason::MaxTokens
    );
    let err = StreamEvent::Error {
        code: "ThrottlingException".into(),
        message: "slow down".into(),
    };
    assert!(
        matches!(&run(cfg(), &[err])[0], OutEvent::Error(e) if e.kind == StreamErrorKind::Upstream(ErrorClass::Throttled { retry_after: None }))
    );
}

#[test]
fn transport_failure_keeps_text_and_drops_open_tool() {
    let mut m = StreamMachine::new(cfg());
    let mut out = m.push(&text("a"));
    out.extend(m.push(&tool("t", "X", Some("{\"k\":1}"), false)));
    out.extend(m.fail(StreamError {
        kind: StreamErrorKind::Interrupted,
        message: "eof".into(),
    }));
    assert_eq!(out.len(), 2);
    assert!(matches!(out[1], OutEvent::Error(_)));
}

#[test]
fn stop_sequence_cuts_and_finishes() {
    let c = StreamConfig {
        stop: vec!["STOP".into()],
        ..cfg()
    };
    let out = run(c, &[text("Hello ST"), text("OP and more")]);
    assert_eq!(out[0], OutEvent::Text("Hello ".into()));
    assert_eq!(
        finish_of(&out),
        (FinishReason::StopSequence, Some("STOP".into()))
    );
}

#[test]
fn max_tokens_truncates_and_blocks_tools() {
    let c = StreamConfig {
        max_tokens: Some(5),
        ..cfg()
    };
    let out = run(
        c,
        &[
            text("one two three four five six seven eight nine ten"),
            tool("t", "X", Some("{}"), true),
        ],
    );
    let OutEvent::Text(t) = &out[0] else {
        panic!("{out:?}")
    };
    assert!(t.len() < 40 && !t.is_empty(), "{t}");
    let OutEvent::Finish { reason, usage, .. } = out.last().unwrap() else {
        panic!()
    };
    assert_eq!(*reason, FinishReason::MaxTokens);
    assert_eq!(usage.output_tokens, 5);
    assert!(!out.iter().any(|e| matches!(e, OutEvent::ToolStart { .. })));
}

#[test]
fn thinking_split_and_reasoning_events() {
    let c = StreamConfig {
        thinking: true,
        ..cfg()
    };
    let out = run(
        c,
        &[
            text("<think"),
            text("ing>\nabc\n</thin"),
            text("king>\n\nAnswer"),
        ],
    );
    assert_eq!(out[0], OutEvent::Thinking("abc".into()));
    assert_eq!(out[1], OutEvent::Text("Answer".into()));
    let c = StreamConfig {
        thinking: true,
        ..cfg()
    };
    let r = StreamEvent::Reasoning {
        text: Some("deep".into()),
        redacted_content: None,
        signature: None,
    };
    assert_eq!(
        run(c, &[r.clone(), text("A")])[0],
        OutEvent::Thinking("deep".into())
    );
    assert_eq!(
        run(cfg(), &[r, text("A")])[0],
        OutEvent::Text("A".into()),
        "not requested → not shown"
    );
}

#[test]
fn json_mode_strips_fences() {
    let c = StreamConfig {
        json_mode: true,
        ..cfg()
    };
    let out = run(c, &[text("```json\n{\"title\":"), text(" \"Hi\"}\n```")]);
    assert_eq!(out[0], OutEvent::Text("{\"title\": \"Hi\"}".into()));
}

#[test]
fn metadata_usage_wins_and_leading_whitespace_is_not_a_block() {
    let meta = StreamEvent::Metadata {
        token_usage: TokenUsage {
            uncached_input_tokens: 100,
            output_tokens: 7,
            total_tokens: 107,
            ..TokenUsage::default()
        },
        stop_reason: None,
    };
    let out = run(cfg(), &[text("\n"), tool("t", "X", None, true), meta]);
    assert!(matches!(out[0], OutEvent::ToolStart { .. }), "{out:?}");
    let OutEvent::Finish { usage, .. } = out.last().unwrap() else {
        panic!()
    };
    assert_eq!((usage.input_tokens, usage.output_tokens), (100, 7));
}

#[test]
fn restores_shortened_and_case_folded_names_and_openai_ids() {
    let c = StreamConfig {
        dialect: Dialect::OpenAi,
        ..cfg()
    };
    let out = run(c, &[tool("tooluse_Z9", "read", Some("{}"), true)]);
    assert_eq!(
        out[0],
        OutEvent::ToolStart {
            index: 0,
            id: "call_Z9".into(),
            name: "read".into()
        }
    );
}

#[test]
fn context_usage_refines_input_tokens_unless_metadata_is_exact() {
    let pct = StreamEvent::ContextUsage { percentage: 1.5 };
    let OutEvent::Finish { usage, .. } = run(cfg(), &[text("a"), pct.clone()]).pop().unwrap()
    else {
        panic!()
    };
    assert_eq!(usage.input_tokens, 3_000);
    let meta = StreamEvent::Metadata {
        token_usage: TokenUsage {
            uncached_input_tokens: 77,
            ..TokenUsage::default()
        },
        stop_reason: None,
    };
    let OutEvent::Finish { usage, .. } = run(cfg(), &[text("a"), pct, meta]).pop().unwrap() else {
        panic!()
    };
    assert_eq!(usage.input_tokens, 77);
}

#[test]
fn text_held_for_a_stop_sequence_is_flushed_before_a_tool() {
    let c = StreamConfig {
        stop: vec!["STOP".into()],
        ..cfg()
    };
    let out = run(c, &[text("Checking ST"), tool("t", "X", Some("{}"), true)]);
    assert_eq!(out[0], OutEvent::Text("Checking ".into()));
    assert_eq!(out[1], OutEvent::Text("ST".into()));
    assert!(matches!(out[2], OutEvent::ToolStart { .. }));
}

#[test]
fn max_tokens_cut_is_exact_across_many_small_deltas() {
    let c = StreamConfig {
        max_tokens: Some(30),
        ..cfg()
    };
    let events: Vec<StreamEvent> = (0..100).map(|i| text(&format!("w{i} "))).collect();
    let out = run(c, &events);
    let OutEvent::Finish { reason, usage, .. } = out.last().unwrap() else {
        panic!()
    };
    assert_eq!(*reason, FinishReason::MaxTokens);
    assert_eq!(usage.output_tokens, 30);
    // Each delta is charged its own count; what was sent fits the budget and fills most of it.
    let charged: u32 = out
        .iter()
        .filter_map(|e| match e {
            OutEvent::Text(t) => Some(crate::tokens::count_text(t)),
            _ => None,
        })
        .sum();
    assert!((25..=30).contains(&charged), "{charged} {out:?}");
}
