//! OpenAI response shapes: the non-stream `chat.completion` body (client doc §1.4), the stream chunk
//! payloads (§1.5) and the error body (§1.6). `model` always echoes the client's name.

use amazonq::error::ErrorClass;
use serde::{Deserialize, Serialize};

use crate::collect::Collected;
use crate::ir::{FinishReason, StreamError, StreamErrorKind, Usage};
use crate::tokens;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: UsageBody,
    pub service_tier: String,
    pub system_fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    pub logprobs: Option<serde_json::Value>,
    pub finish_reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    pub role: String,
    /// `null` when there is no text and there are tool calls.
    pub content: Option<String>,
    /// Thinking text (the de-facto `reasoning_content` extension), left out when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    pub refusal: Option<String>,
    pub annotations: Vec<serde_json::Value>,
    /// Left out (not `[]`) when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// Always a string holding a JSON object.
    pub arguments: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageBody {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub total_tokens: u32,
    pub prompt_tokens_details: PromptDetails,
    pub completion_tokens_details: CompletionDetails,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptDetails {
    pub cached_tokens: u32,
    pub audio_tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionDetails {
    pub reasoning_tokens: u32,
    pub audio_tokens: u32,
    pub accepted_prediction_tokens: u32,
    pub rejected_prediction_tokens: u32,
}

impl UsageBody {
    /// `total_tokens = prompt + completion`; cached input counts as prompt input.
    pub fn new(u: Usage, reasoning_tokens: u32) -> Self {
        let prompt = u.prompt_tokens();
        Self {
            prompt_tokens: prompt,
            completion_tokens: u.output_tokens,
            total_tokens: prompt.saturating_add(u.output_tokens),
            prompt_tokens_details: PromptDetails {
                cached_tokens: u.cache_read_input_tokens,
                audio_tokens: 0,
            },
            completion_tokens_details: CompletionDetails {
                reasoning_tokens: reasoning_tokens.min(u.output_tokens),
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
            },
        }
    }
}

/// `finish_reason` for a finish reason (§1.4 mapping; the SDK literal set).
pub fn finish_reason(r: FinishReason) -> &'static str {
    match r {
        FinishReason::EndTurn | FinishReason::StopSequence => "stop",
        FinishReason::MaxTokens | FinishReason::ContextWindowExceeded => "length",
        FinishReason::ToolUse => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
    }
}

/// The non-stream body.
pub fn completion_body(c: &Collected, id: &str, created: i64, model: &str) -> ChatCompletion {
    let text = c.text();
    let thinking = c.thinking();
    let tool_calls: Vec<ToolCall> = c
        .tool_calls()
        .map(|(id, name, json)| ToolCall {
            id: id.to_owned(),
            kind: "function".to_owned(),
            function: FunctionCall {
                name: name.to_owned(),
                arguments: json.to_owned(),
            },
        })
        .collect();
    let content = if text.is_empty() && !tool_calls.is_empty() {
        None
    } else {
        Some(text)
    };
    ChatCompletion {
        id: id.to_owned(),
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: "assistant".to_owned(),
                content,
                reasoning_content: (!thinking.is_empty()).then(|| thinking.clone()),
                refusal: None,
                annotations: Vec::new(),
                tool_calls,
            },
            logprobs: None,
            finish_reason: finish_reason(c.reason).to_owned(),
        }],
        usage: UsageBody::new(c.usage, tokens::count_text(&thinking)),
        service_tier: "default".to_owned(),
        system_fingerprint: None,
    }
}

/// `{"error": {"message", "type", "param", "code"}}` (§1.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub param: Option<String>,
    pub code: Option<String>,
}

impl ErrorResponse {
    pub fn new(
        message: impl Into<String>,
        kind: &str,
        param: Option<String>,
        code: Option<&str>,
    ) -> Self {
        Self {
            error: ErrorDetail {
                message: message.into(),
                kind: kind.to_owned(),
                param,
                code: code.map(str::to_owned),
            },
        }
    }
}

impl ErrorResponse {
    /// The body for a translation error (status: 400 for invalid requests, 404 for unknown models).
    pub fn from_translate(e: &crate::TranslateError) -> Self {
        match e {
            crate::TranslateError::InvalidRequest { param, message } => Self::new(
                message.clone(),
                "invalid_request_error",
                param.clone(),
                None,
            ),
            crate::TranslateError::ModelNotFound { model } => Self::new(
                format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                Some("model".to_owned()),
                Some("model_not_found"),
            ),
        }
    }
}

/// OpenAI's context-overflow text (Cline, Roo and LangChain key on it).
pub fn context_length_message(window: u32, input_tokens: u32) -> String {
    format!(
        "This model's maximum context length is {window} tokens. However, your messages resulted in {input_tokens} tokens."
    )
}

/// The error object of an in-stream `data: {"error":…}` chunk (`limit`: the model's prompt limit).
pub fn stream_error(e: &StreamError, input_tokens: u32, limit: u32) -> ErrorResponse {
    if e.kind == StreamErrorKind::Upstream(ErrorClass::ContextTooLong) {
        return ErrorResponse::new(
            context_length_message(limit, input_tokens.max(limit.saturating_add(1))),
            "invalid_request_error",
            Some("messages".to_owned()),
            Some("context_length_exceeded"),
        );
    }
    let face = e.face(crate::ir::Dialect::OpenAi);
    ErrorResponse::new(e.message.clone(), face.openai_type, None, face.code)
}
