//! The upstream's `metadataEvent.stopReason` (kiro-2026-endpoints.md §8) → the IR's
//! [`FinishReason`], which each dialect encoder renders (Anthropic `end_turn` / `max_tokens` /
//! `model_context_window_exceeded` / `refusal` / `tool_use`; OpenAI `stop` / `length` /
//! `content_filter` / `tool_calls`).
//!
//! `MALFORMED_*` (the model produced output the service could not parse) ends like a cut answer,
//! `max_tokens`, the same way a truncated tool call does: Claude Code then continues the turn
//! instead of taking a broken answer as final. Values this table does not know end the turn as
//! `end_turn` and go through [`unknown_stop_reason`], the one place a drift counter hooks in.

use crate::ir::FinishReason;

/// The upstream's "model temporarily unavailable" marker (a stop reason or an event of its own).
pub const MODEL_TEMPORARILY_UNAVAILABLE: &str = "MODEL_TEMPORARILY_UNAVAILABLE";

/// What a `stopReason` value means for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamStop {
    /// The turn ended this way.
    Finish(FinishReason),
    /// `MODEL_TEMPORARILY_UNAVAILABLE`: the turn failed; the client gets the overloaded error.
    Unavailable,
    /// A value this table does not know (the caller ends with [`unknown_stop_reason`]).
    Unknown,
}

/// Maps one `stopReason` value (case-insensitive).
pub fn map_stop_reason(raw: &str) -> UpstreamStop {
    let upper = raw.trim().to_ascii_uppercase();
    UpstreamStop::Finish(match upper.as_str() {
        "END_TURN" | "STOP_SEQUENCE" => FinishReason::EndTurn,
        "MAX_TOKENS" => FinishReason::MaxTokens,
        "MODEL_CONTEXT_WINDOW_EXCEEDED" => FinishReason::ContextWindowExceeded,
        "CONTENT_FILTERED" | "GUARDRAIL_INTERVENED" => FinishReason::ContentFilter,
        "TOOL_USE" => FinishReason::ToolUse,
        "MODEL_TEMPORARILY_UNAVAILABLE" => return UpstreamStop::Unavailable,
        s if s.starts_with("MALFORMED_") => FinishReason::MaxTokens,
        _ => return UpstreamStop::Unknown,
    })
}

/// The hook for stop reasons this build does not know: they end the turn safely as `end_turn`.
/// (The place to count upstream drift; the stream machine also keeps the raw value, see
/// [`super::StreamMachine::unknown_stop_reason`].)
pub fn unknown_stop_reason(_raw: &str) -> FinishReason {
    FinishReason::EndTurn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_value_maps() {
        use FinishReason as F;
        let f = |s| map_stop_reason(s);
        for (raw, want) in [
            ("END_TURN", F::EndTurn),
            ("MAX_TOKENS", F::MaxTokens),
            ("MODEL_CONTEXT_WINDOW_EXCEEDED", F::ContextWindowExceeded),
            ("CONTENT_FILTERED", F::ContentFilter),
            ("GUARDRAIL_INTERVENED", F::ContentFilter),
            ("TOOL_USE", F::ToolUse),
            ("MALFORMED_MODEL_OUTPUT", F::MaxTokens),
            ("MALFORMED_TOOL_USE", F::MaxTokens),
        ] {
            assert_eq!(f(raw), UpstreamStop::Finish(want), "{raw}");
        }
        assert_eq!(
            f("model_temporarily_unavailable"),
            UpstreamStop::Unavailable
        );
        assert_eq!(f("SOMETHING_NEW"), UpstreamStop::Unknown);
        assert_eq!(unknown_stop_reason("SOMETHING_NEW"), FinishReason::EndTurn);
    }

    fn machine(dialect: crate::ir::Dialect) -> super::super::StreamMachine {
        super::super::StreamMachine::new(super::super::StreamConfig {
            dialect,
            thinking: false,
            stop: Vec::new(),
            max_tokens: None,
            json_mode: false,
            input_tokens: 1,
            tool_names: crate::normalize::ToolNameMap::default(),
            context_window: None,
        })
    }

    fn meta(stop: &str) -> amazonq::events::StreamEvent {
        amazonq::events::StreamEvent::Metadata {
            token_usage: amazonq::events::TokenUsage::default(),
            stop_reason: Some(stop.to_owned()),
        }
    }

    fn text(s: &str) -> amazonq::events::StreamEvent {
        amazonq::events::StreamEvent::AssistantResponse {
            content: s.to_owned(),
        }
    }

    /// The finish reason after "Hi" and a metadata event with `stop`.
    fn finish_after(stop: &str) -> (FinishReason, Option<String>) {
        let mut m = machine(crate::ir::Dialect::Anthropic);
        let mut out = m.push(&text("Hi"));
        out.extend(m.push(&meta(stop)));
        out.extend(m.finish());
        match out.last() {
            Some(crate::ir::OutEvent::Finish { reason, .. }) => {
                (*reason, m.unknown_stop_reason().map(str::to_owned))
            }
            other => panic!("no finish: {other:?}"),
        }
    }

    #[test]
    fn the_machine_ends_with_the_upstream_stop_reason() {
        assert_eq!(finish_after("END_TURN"), (FinishReason::EndTurn, None));
        assert_eq!(finish_after("MAX_TOKENS"), (FinishReason::MaxTokens, None));
        assert_eq!(
            finish_after("MODEL_CONTEXT_WINDOW_EXCEEDED"),
            (FinishReason::ContextWindowExceeded, None)
        );
        assert_eq!(
            finish_after("GUARDRAIL_INTERVENED"),
            (FinishReason::ContentFilter, None)
        );
        // No tool block was emitted, so no `tool_use`.
        assert_eq!(finish_after("TOOL_USE"), (FinishReason::EndTurn, None));
        assert_eq!(
            finish_after("BRAND_NEW_REASON"),
            (FinishReason::EndTurn, Some("BRAND_NEW_REASON".to_owned()))
        );
    }

    #[test]
    fn emitted_tools_keep_tool_use() {
        let mut m = machine(crate::ir::Dialect::OpenAi);
        let mut out = m.push(&amazonq::events::StreamEvent::ToolUse {
            tool_use_id: "t1".into(),
            name: "read".into(),
            input: Some("{}".into()),
            stop: true,
        });
        out.extend(m.push(&meta("MAX_TOKENS")));
        out.extend(m.finish());
        assert!(matches!(
            out.last(),
            Some(crate::ir::OutEvent::Finish {
                reason: FinishReason::ToolUse,
                ..
            })
        ));
    }

    #[test]
    fn model_temporarily_unavailable_is_the_model_unavailable_class() {
        use crate::ir::{OutEvent, StreamErrorKind};
        let overloaded = |out: &[OutEvent]| matches!(out.last(), Some(OutEvent::Error(e)) if e.kind == StreamErrorKind::Upstream(amazonq::error::ErrorClass::ModelUnavailable));
        let mut m = machine(crate::ir::Dialect::Anthropic);
        let mut out = m.push(&text("partial"));
        out.extend(m.push(&meta("MODEL_TEMPORARILY_UNAVAILABLE")));
        out.extend(m.finish());
        assert_eq!(out[0], OutEvent::Text("partial".into()));
        assert!(overloaded(&out), "{out:?}");
        // As an exception frame and as an event of its own.
        let mut m = machine(crate::ir::Dialect::OpenAi);
        let out = m.push(&amazonq::events::StreamEvent::Exception {
            exception_type: "ServiceUnavailableException".into(),
            message: Some("busy".into()),
            reason: Some(MODEL_TEMPORARILY_UNAVAILABLE.into()),
        });
        assert!(overloaded(&out), "{out:?}");
        let mut m = machine(crate::ir::Dialect::OpenAi);
        let out = m.push(&amazonq::events::StreamEvent::Unknown {
            event_type: MODEL_TEMPORARILY_UNAVAILABLE.into(),
            payload: Vec::<u8>::new().into(),
        });
        assert!(overloaded(&out), "{out:?}");
    }

    #[test]
    fn dialects_render_the_new_reasons() {
        use crate::{anthropic, openai};
        // (reason, Anthropic `stop_reason`, OpenAI `finish_reason`)
        let cases = [
            (
                FinishReason::ContextWindowExceeded,
                "model_context_window_exceeded",
                "length",
            ),
            (FinishReason::ContentFilter, "refusal", "content_filter"),
            (FinishReason::MaxTokens, "max_tokens", "length"),
            (FinishReason::ToolUse, "tool_use", "tool_calls"),
        ];
        for (reason, anthropic_name, openai_name) in cases {
            assert_eq!(anthropic::response::stop_reason(reason), anthropic_name);
            assert_eq!(openai::response::finish_reason(reason), openai_name);
        }
        // An in-stream context overflow names the model's own limit.
        let e = crate::ir::StreamError {
            kind: crate::ir::StreamErrorKind::Upstream(amazonq::error::ErrorClass::ContextTooLong),
            message: "Input is too long".into(),
        };
        assert_eq!(
            anthropic::response::stream_error(&e, 5, 1_000_000).1,
            "prompt is too long: 1000001 tokens > 1000000 maximum"
        );
        assert!(
            openai::response::stream_error(&e, 5, 1_000)
                .error
                .message
                .starts_with("This model's maximum context length is 1000 tokens.")
        );
    }
}
