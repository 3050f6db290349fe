//! Anthropic response shapes: the non-stream message body (client doc §2.4), the SSE event payloads
//! (§2.5), the error body (§2.6) and `count_tokens` (§2.7). Field order follows the official examples
//! (serde keeps declaration order; `type` comes first).

use amazonq::error::ErrorClass;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::collect::{Block, Collected};
use crate::ir::{FinishReason, StreamError, StreamErrorKind, Usage};

/// Opaque signature for thinking blocks. Claude Code echoes it back and the gateway strips thinking
/// before the upstream, so it is never verified (client doc §2.5 "Thinking blocks").
pub fn thinking_signature(message_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("claude-api:thinking:{message_id}"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageResponse {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub role: String,
    pub model: String,
    pub content: Vec<ContentBlock>,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    pub usage: UsageBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Thinking {
        thinking: String,
        signature: String,
    },
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageBody {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cache_creation_input_tokens: u32,
    pub cache_read_input_tokens: u32,
    /// Present when the request had the web-search server tool (`web_search`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUsage>,
}

/// `usage.server_tool_use`: searches the gateway ran for this answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerToolUsage {
    pub web_search_requests: u32,
}

impl From<Usage> for UsageBody {
    fn from(u: Usage) -> Self {
        Self {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            server_tool_use: None,
        }
    }
}

/// `stop_reason` for a finish reason (§2.4: only the first four plus `refusal`).
pub fn stop_reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::EndTurn => "end_turn",
        FinishReason::MaxTokens => "max_tokens",
        FinishReason::StopSequence => "stop_sequence",
        FinishReason::ToolUse => "tool_use",
        FinishReason::ContentFilter => "refusal",
        FinishReason::ContextWindowExceeded => "model_context_window_exceeded",
    }
}

/// The non-stream body. `model` is the client's name; an empty answer gets one empty text block
/// (§2.4: content must not be empty for `end_turn`).
pub fn message_body(c: &Collected, id: &str, model: &str) -> MessageResponse {
    let mut content: Vec<ContentBlock> = c
        .blocks
        .iter()
        .map(|b| match b {
            Block::Thinking(t) => ContentBlock::Thinking {
                thinking: t.clone(),
                signature: thinking_signature(id),
            },
            Block::Text(t) => ContentBlock::Text { text: t.clone() },
            Block::ToolUse { id, name, json } => ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: serde_json::from_str(json)
                    .unwrap_or_else(|_| Value::Object(serde_json::Map::new())),
            },
        })
        .collect();
    if !content
        .iter()
        .any(|b| !matches!(b, ContentBlock::Thinking { .. }))
    {
        content.push(ContentBlock::Text {
            text: String::new(),
        });
    }
    let mut usage = UsageBody::from(c.usage);
    usage.output_tokens = usage.output_tokens.max(1);
    MessageResponse {
        id: id.to_owned(),
        kind: "message".to_owned(),
        role: "assistant".to_owned(),
        model: model.to_owned(),
        content,
        stop_reason: Some(stop_reason(c.reason).to_owned()),
        stop_sequence: c.stop_sequence.clone(),
        usage,
    }
}

/// `{"input_tokens": N}` for `/v1/messages/count_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountTokensResponse {
    pub input_tokens: u32,
}

/// The Anthropic error body `{"type":"error","error":{"type","message"},"request_id"}` (§2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(rename = "type")]
    pub kind: String,
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

impl ErrorResponse {
    pub fn new(error_type: &str, message: impl Into<String>, request_id: Option<String>) -> Self {
        Self {
            kind: "error".to_owned(),
            error: ErrorDetail {
                kind: error_type.to_owned(),
                message: message.into(),
            },
            request_id,
        }
    }
}

impl ErrorResponse {
    /// The body for a translation error (status: 400 `invalid_request_error`, 404 `not_found_error`).
    pub fn from_translate(e: &crate::TranslateError, request_id: Option<String>) -> Self {
        match e {
            crate::TranslateError::InvalidRequest { message, .. } => {
                Self::new("invalid_request_error", message.clone(), request_id)
            }
            crate::TranslateError::ModelNotFound { model } => {
                Self::new("not_found_error", format!("model: {model}"), request_id)
            }
        }
    }
}

/// Context window used in the overflow message when the upstream does not say.
pub const DEFAULT_CONTEXT_WINDOW: u32 = 200_000;

/// `prompt is too long: N tokens > M maximum` — the exact text Claude Code parses (§2.6).
pub fn prompt_too_long(input_tokens: u32, window: u32) -> String {
    format!("prompt is too long: {input_tokens} tokens > {window} maximum")
}

/// Error type and message for an in-stream error (`event: error`). For a context overflow the
/// upstream has already said the prompt is too long, so N is at least M+1 even when the local
/// estimate is lower (Claude Code parses both numbers); M is the model's `limit`.
pub fn stream_error(e: &StreamError, input_tokens: u32, limit: u32) -> (&'static str, String) {
    if e.kind == StreamErrorKind::Upstream(ErrorClass::ContextTooLong) {
        return (
            "invalid_request_error",
            prompt_too_long(input_tokens.max(limit.saturating_add(1)), limit),
        );
    }
    (
        e.face(crate::ir::Dialect::Anthropic).anthropic_type,
        e.message.clone(),
    )
}
