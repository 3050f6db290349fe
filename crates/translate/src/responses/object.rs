//! The Responses API response object, its output items and usage (OpenAI API reference "The
//! response object"), and the non-stream body.
//!
//! Status: `completed`; `incomplete` with `incomplete_details.reason` `max_output_tokens` or
//! `content_filter`; `failed` with `error {code, message}` (an in-stream failure).

use amazonq::error::ErrorClass;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Head, Seal};
use crate::collect::{Block, Collected};
use crate::ir::{OutEvent, StreamError, StreamErrorKind, Usage};
use crate::sse::ResponsesSse;

/// The response object (`object: "response"`): its own members plus the request-derived [`Head`]
/// it echoes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: String,
    pub object: String,
    pub created_at: i64,
    pub status: String,
    pub background: bool,
    pub error: Option<ErrorObject>,
    pub incomplete_details: Option<IncompleteDetails>,
    pub output: Vec<OutputItem>,
    pub service_tier: String,
    pub truncation: String,
    pub usage: Option<ResponseUsage>,
    #[serde(flatten)]
    pub head: Head,
}

impl Response {
    /// A response in progress (no output yet) for `head`.
    pub fn new(id: &str, created_at: i64, head: &Head) -> Self {
        Self {
            id: id.to_owned(),
            object: "response".to_owned(),
            created_at,
            status: "in_progress".to_owned(),
            background: false,
            error: None,
            incomplete_details: None,
            output: Vec::new(),
            service_tier: "default".to_owned(),
            truncation: "disabled".to_owned(),
            usage: None,
            head: head.clone(),
        }
    }

    /// The output items as JSON values (what a stored response keeps after its input).
    pub fn output_values(&self) -> Vec<Value> {
        self.output
            .iter()
            .filter_map(|i| serde_json::to_value(i).ok())
            .collect()
    }
}

/// One output item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    Reasoning {
        id: String,
        summary: Vec<SummaryText>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    Message {
        id: String,
        status: String,
        role: String,
        content: Vec<OutputText>,
    },
    FunctionCall {
        id: String,
        status: String,
        arguments: String,
        call_id: String,
        name: String,
    },
    /// A search the gateway ran (`crate::web_search`): `action` is `{"type": "search", "query",
    /// "sources": [{"type": "url", "url"}]}`.
    WebSearchCall {
        id: String,
        status: String,
        action: Value,
    },
}

/// `{"type":"summary_text","text":…}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryText {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
}

impl SummaryText {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            kind: "summary_text".to_owned(),
            text: text.into(),
        }
    }
}

/// `{"type":"output_text","annotations":[],"logprobs":[],"text":…}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputText {
    #[serde(rename = "type")]
    pub kind: String,
    pub annotations: Vec<Value>,
    pub logprobs: Vec<Value>,
    pub text: String,
}

impl OutputText {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            kind: "output_text".to_owned(),
            annotations: Vec::new(),
            logprobs: Vec::new(),
            text: text.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseUsage {
    pub input_tokens: u32,
    pub input_tokens_details: InputDetails,
    pub output_tokens: u32,
    pub output_tokens_details: OutputDetails,
    pub total_tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDetails {
    pub cached_tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputDetails {
    pub reasoning_tokens: u32,
}

impl ResponseUsage {
    /// Cached input counts as input, as in the Chat Completions usage.
    pub fn new(u: Usage, reasoning_tokens: u32) -> Self {
        let input = u.prompt_tokens();
        Self {
            input_tokens: input,
            input_tokens_details: InputDetails {
                cached_tokens: u.cache_read_input_tokens,
            },
            output_tokens: u.output_tokens,
            output_tokens_details: OutputDetails {
                reasoning_tokens: reasoning_tokens.min(u.output_tokens),
            },
            total_tokens: input.saturating_add(u.output_tokens),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteDetails {
    pub reason: String,
}

/// `response.error` of a failed response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: String,
    pub message: String,
}

impl ErrorObject {
    /// The codes Codex and the SDK key on (`context_length_exceeded` ends a Codex turn with its
    /// "context window" message; `server_error` / `rate_limit_exceeded` are retried).
    pub fn from_stream(e: &StreamError, input_tokens: u32) -> Self {
        if e.kind == StreamErrorKind::Upstream(ErrorClass::ContextTooLong) {
            let window = crate::anthropic::response::DEFAULT_CONTEXT_WINDOW;
            return Self {
                code: "context_length_exceeded".to_owned(),
                message: crate::openai::response::context_length_message(
                    window,
                    input_tokens.max(window + 1),
                ),
            };
        }
        Self {
            code: e.face(crate::ir::Dialect::OpenAi).responses_code.to_owned(),
            message: e.message.clone(),
        }
    }
}

/// The non-stream body: the collected answer replayed through the stream encoder, so the body
/// equals the `response` of the stream's `response.completed` event.
pub fn response_body(
    c: &Collected,
    id: &str,
    created_at: i64,
    head: &Head,
    seal: std::sync::Arc<dyn Seal>,
) -> Response {
    let mut enc = ResponsesSse::new(id, created_at, head, seal);
    let mut sink = Vec::new();
    let mut index = 0;
    for b in &c.blocks {
        let evs = match b {
            Block::Thinking(t) => vec![OutEvent::Thinking(t.clone())],
            Block::Text(t) => vec![OutEvent::Text(t.clone())],
            Block::ToolUse { id, name, json } => {
                index += 1;
                vec![
                    OutEvent::ToolStart {
                        index: index - 1,
                        id: id.clone(),
                        name: name.clone(),
                    },
                    OutEvent::ToolArgs {
                        index: index - 1,
                        json: json.clone(),
                    },
                    OutEvent::ToolEnd { index: index - 1 },
                ]
            }
        };
        for e in &evs {
            enc.encode_into(e, &mut sink);
        }
    }
    enc.encode_into(
        &OutEvent::Finish {
            reason: c.reason,
            stop_sequence: c.stop_sequence.clone(),
            usage: c.usage,
        },
        &mut sink,
    );
    enc.into_response()
}
