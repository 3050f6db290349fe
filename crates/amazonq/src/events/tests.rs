//! Event decoding from the documented payloads, and `to_frame` round trips.

use super::*;
use crate::eventstream::{Frame, decode_all, encode_frame};

fn ev(event_type: &str, json: &str) -> StreamEvent {
    StreamEvent::from_frame(&Frame::event(event_type, json.as_bytes().to_vec())).unwrap()
}

/// The answer's own events: text and tool calls.
#[test]
fn documented_answer_payloads_decode() {
    assert_eq!(
        ev(
            "assistantResponseEvent",
            r#"{"modelId":"m","content":"Hi"}"#
        ),
        StreamEvent::AssistantResponse {
            content: "Hi".into()
        }
    );
    assert_eq!(
        ev("toolUseEvent", r#"{"toolUseId":"T1","name":"fs_read"}"#),
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "fs_read".into(),
            input: None,
            stop: false
        }
    );
    assert_eq!(
        ev(
            "toolUseEvent",
            r#"{"toolUseId":"T1","name":"fs_read","input":"{\"pa","stop":true}"#
        ),
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "fs_read".into(),
            input: Some("{\"pa".into()),
            stop: true
        }
    );
    // Defensive: an object input is re-serialized as text.
    assert_eq!(
        ev(
            "toolUseEvent",
            r#"{"toolUseId":"T1","name":"x","input":{"a":1}}"#
        ),
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "x".into(),
            input: Some(r#"{"a":1}"#.into()),
            stop: false
        }
    );
}

/// Usage, ids and the events around the answer.
#[test]
fn documented_bookkeeping_payloads_decode() {
    assert_eq!(
        ev("contextUsageEvent", r#"{"contextUsagePercentage":12.5}"#),
        StreamEvent::ContextUsage { percentage: 12.5 }
    );
    assert_eq!(
        ev("meteringEvent", r#"{"usage":0.37,"unit":"credit"}"#),
        StreamEvent::Metering {
            usage: 0.37,
            unit: Some("credit".into())
        }
    );
    let StreamEvent::Metadata { token_usage, .. } = ev(
        "metadataEvent",
        r#"{"tokenUsage":{"uncachedInputTokens":10,"outputTokens":5,"totalTokens":20,"cacheReadInputTokens":4,"cacheWriteInputTokens":1}}"#,
    ) else {
        panic!("expected metadata");
    };
    assert_eq!(token_usage.input_tokens(), 15);
    assert_eq!(
        ev(
            "metadataEvent",
            r#"{"tokenUsage":{"outputTokens":5},"stopReason":"MAX_TOKENS"}"#
        ),
        StreamEvent::Metadata {
            token_usage: TokenUsage {
                output_tokens: 5,
                ..TokenUsage::default()
            },
            stop_reason: Some("MAX_TOKENS".into()),
        }
    );
    assert_eq!(
        ev("initial-response", r#"{"conversationId":"c1"}"#),
        StreamEvent::InitialResponse {
            conversation_id: Some("c1".into())
        }
    );
    assert_eq!(
        ev("initial-response", ""),
        StreamEvent::InitialResponse {
            conversation_id: None
        }
    );
    assert_eq!(
        ev(
            "followupPromptEvent",
            r#"{"followupPrompt":{"content":"more?","userIntent":"SHOW_EXAMPLES"}}"#
        ),
        StreamEvent::FollowupPrompt {
            prompt: FollowupPrompt {
                content: "more?".into(),
                user_intent: Some("SHOW_EXAMPLES".into())
            }
        }
    );
    let StreamEvent::CodeReference { references } = ev(
        "codeReferenceEvent",
        r#"{"references":[{"licenseName":"MIT","recommendationContentSpan":{"start":0,"end":4}}]}"#,
    ) else {
        panic!("expected code reference");
    };
    assert_eq!(references[0].license_name.as_deref(), Some("MIT"));
    assert_eq!(
        ev(
            "invalidStateEvent",
            r#"{"reason":"INVALID_TASK_ASSIST_PLAN","message":"m"}"#
        ),
        StreamEvent::InvalidState {
            reason: Some("INVALID_TASK_ASSIST_PLAN".into()),
            message: Some("m".into())
        }
    );
}

#[test]
fn unknown_events_are_surfaced_not_fatal() {
    assert_eq!(
        ev("brandNewEvent", "not even json"),
        StreamEvent::Unknown {
            event_type: "brandNewEvent".into(),
            payload: Bytes::from_static(b"not even json")
        }
    );
}

#[test]
fn known_events_with_bad_payloads_are_errors() {
    let err =
        StreamEvent::from_frame(&Frame::event("assistantResponseEvent", &b"{}"[..])).unwrap_err();
    assert!(matches!(err, EventError::Payload { .. }));
    let no_type = Frame::new(vec![], Bytes::new());
    assert_eq!(
        StreamEvent::from_frame(&no_type),
        Err(EventError::MissingMessageType)
    );
}

#[test]
fn exceptions_and_errors_decode() {
    let frame = Frame::exception(
        "ContentLengthExceededException",
        &br#"{"message":"too long","reason":"X"}"#[..],
    );
    assert_eq!(
        StreamEvent::from_frame(&frame).unwrap(),
        StreamEvent::Exception {
            exception_type: "ContentLengthExceededException".into(),
            message: Some("too long".into()),
            reason: Some("X".into())
        }
    );
    // A non-JSON exception body still surfaces as an exception.
    let frame = Frame::exception("error", &b"plain text"[..]);
    assert!(matches!(
        StreamEvent::from_frame(&frame).unwrap(),
        StreamEvent::Exception { message: Some(m), .. } if m == "plain text"
    ));
    let e = StreamEvent::from_frame(&Frame::error(
        "InternalFailure",
        "An internal error occurred",
    ))
    .unwrap();
    assert!(e.is_terminal_error());
    assert_eq!(
        e,
        StreamEvent::Error {
            code: "InternalFailure".into(),
            message: "An internal error occurred".into()
        }
    );
}

#[test]
fn every_variant_round_trips_through_bytes() {
    let all = vec![
        StreamEvent::InitialResponse {
            conversation_id: Some("c".into()),
        },
        StreamEvent::MessageMetadata {
            conversation_id: Some("c".into()),
            utterance_id: Some("u".into()),
        },
        StreamEvent::AssistantResponse {
            content: "héllo \"quoted\" <thinking>".into(),
        },
        StreamEvent::ToolUse {
            tool_use_id: "t".into(),
            name: "n".into(),
            input: None,
            stop: false,
        },
        StreamEvent::ToolUse {
            tool_use_id: "t".into(),
            name: "n".into(),
            input: Some("{\"a".into()),
            stop: true,
        },
        StreamEvent::Reasoning {
            text: Some("r".into()),
            redacted_content: None,
            signature: Some("s".into()),
        },
        StreamEvent::Metering {
            usage: 1.5,
            unit: Some("credit".into()),
        },
        StreamEvent::ContextUsage { percentage: 99.5 },
        StreamEvent::Metadata {
            token_usage: TokenUsage {
                uncached_input_tokens: 1,
                output_tokens: 2,
                total_tokens: 3,
                ..Default::default()
            },
            stop_reason: Some("END_TURN".into()),
        },
        StreamEvent::CodeReference {
            references: vec![Reference {
                url: Some("u".into()),
                ..Default::default()
            }],
        },
        StreamEvent::FollowupPrompt {
            prompt: FollowupPrompt {
                content: "f".into(),
                user_intent: None,
            },
        },
        StreamEvent::WebLinks {
            links: vec![SupplementaryWebLink {
                url: "u".into(),
                title: "t".into(),
                snippet: None,
            }],
        },
        StreamEvent::InvalidState {
            reason: Some("r".into()),
            message: None,
        },
        StreamEvent::Exception {
            exception_type: "error".into(),
            message: Some("boom".into()),
            reason: None,
        },
        StreamEvent::Error {
            code: "c".into(),
            message: "m".into(),
        },
        StreamEvent::Unknown {
            event_type: "x".into(),
            payload: Bytes::from_static(b"{}"),
        },
    ];
    for event in all {
        let bytes = encode_frame(&event.to_frame()).unwrap();
        let frames = decode_all(&bytes).unwrap();
        assert_eq!(StreamEvent::from_frame(&frames[0]).unwrap(), event);
        // The in-place path decodes the same event.
        let mut d = crate::eventstream::FrameDecoder::new();
        d.feed(&bytes);
        let raw = d.next_raw().unwrap().unwrap();
        assert_eq!(StreamEvent::from_raw(&raw).unwrap(), event);
    }
}

#[test]
fn to_frame_matches_appendix_a() {
    let frame = StreamEvent::AssistantResponse {
        content: "Hi".into(),
    }
    .to_frame();
    assert_eq!(&frame.payload[..], br#"{"content":"Hi"}"#);
    assert_eq!(
        frame,
        Frame::event("assistantResponseEvent", &br#"{"content":"Hi"}"#[..])
    );
    let frame = StreamEvent::Exception {
        exception_type: "error".into(),
        message: Some("boom".into()),
        reason: None,
    }
    .to_frame();
    assert_eq!(&frame.payload[..], br#"{"message":"boom"}"#);
}
