//! IR output events → OpenAI `chat.completion.chunk` SSE (client doc §1.5, checklist items 41–51, 64).
//!
//! Every chunk carries the same `id`/`created`/`model` and `system_fingerprint`; `role` only in the
//! first delta; a tool call's `id`/`type`/`name` only in its first delta, with `index` numbering tool
//! calls from 0; exactly one finish chunk (empty delta); with `include_usage` every earlier chunk has
//! `"usage": null` and a usage chunk with `choices: []` follows the finish chunk; then `data: [DONE]`.
//! Thinking goes out as `delta.reasoning_content`. Errors after the start: `data: {"error":…}`, no
//! `[DONE]`.

use serde::Serialize;

use crate::ir::OutEvent;
use crate::openai::response::{UsageBody, finish_reason, stream_error};
use crate::tokens;

/// A field that is either absent (`None` + `skip_serializing_if`), `null`, or a value.
#[derive(Serialize)]
#[serde(untagged)]
enum Nullable<T> {
    Null,
    Value(T),
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    system_fingerprint: Option<&'static str>,
    choices: Vec<ChunkChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Nullable<UsageBody>>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<Nullable<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<[ToolCallDelta<'a>; 1]>,
}

#[derive(Serialize)]
struct ToolCallDelta<'a> {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: FunctionDelta<'a>,
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

/// One encoder per response.
#[derive(Debug)]
pub struct OpenAiSse {
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
    input_tokens: u32,
    thinking_tokens: u32,
    done: bool,
}

impl OpenAiSse {
    /// `id` is the `chatcmpl-…` id, `created` unix seconds, `model` the client's model name.
    pub fn new(
        id: impl Into<String>,
        created: i64,
        model: impl Into<String>,
        include_usage: bool,
    ) -> Self {
        Self {
            id: id.into(),
            created,
            model: model.into(),
            include_usage,
            input_tokens: 0,
            thinking_tokens: 0,
            done: false,
        }
    }

    /// The local prompt size, used in a context-overflow error message.
    #[must_use]
    pub fn with_input_tokens(mut self, input_tokens: u32) -> Self {
        self.input_tokens = input_tokens;
        self
    }

    /// The first chunk: `role:"assistant"`, `content:""`, `refusal:null`.
    pub fn start(&mut self) -> String {
        let delta = Delta {
            role: Some("assistant"),
            content: Some(""),
            refusal: Some(Nullable::Null),
            ..Delta::default()
        };
        self.chunk(delta, None)
    }

    /// SSE comment used as keep-alive (the SDKs skip `:` lines).
    pub fn keep_alive() -> String {
        ": keep-alive\n\n".to_owned()
    }

    /// Whether `[DONE]` or an error was written.
    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn encode(&mut self, ev: &OutEvent) -> String {
        if self.done {
            return String::new();
        }
        match ev {
            OutEvent::Text(t) => self.chunk(
                Delta {
                    content: Some(t),
                    ..Delta::default()
                },
                None,
            ),
            OutEvent::Thinking(t) => {
                self.thinking_tokens = self.thinking_tokens.saturating_add(tokens::count_text(t));
                self.chunk(
                    Delta {
                        reasoning_content: Some(t),
                        ..Delta::default()
                    },
                    None,
                )
            }
            OutEvent::ToolStart { index, id, name } => {
                let call = ToolCallDelta {
                    index: *index,
                    id: Some(id),
                    kind: Some("function"),
                    function: FunctionDelta {
                        name: Some(name),
                        arguments: "",
                    },
                };
                self.chunk(
                    Delta {
                        tool_calls: Some([call]),
                        ..Delta::default()
                    },
                    None,
                )
            }
            OutEvent::ToolArgs { index, json } => {
                let call = ToolCallDelta {
                    index: *index,
                    id: None,
                    kind: None,
                    function: FunctionDelta {
                        name: None,
                        arguments: json,
                    },
                };
                self.chunk(
                    Delta {
                        tool_calls: Some([call]),
                        ..Delta::default()
                    },
                    None,
                )
            }
            OutEvent::ToolEnd { .. } => String::new(),
            OutEvent::Finish { reason, usage, .. } => {
                let mut out = self.chunk(Delta::default(), Some(finish_reason(*reason)));
                if self.include_usage {
                    let chunk = Chunk {
                        id: &self.id,
                        object: "chat.completion.chunk",
                        created: self.created,
                        model: &self.model,
                        system_fingerprint: None,
                        choices: Vec::new(),
                        usage: Some(Nullable::Value(UsageBody::new(
                            *usage,
                            self.thinking_tokens,
                        ))),
                    };
                    out.push_str(&data(&chunk));
                }
                out.push_str("data: [DONE]\n\n");
                self.done = true;
                out
            }
            OutEvent::Error(e) => {
                self.done = true;
                data(&stream_error(e, self.input_tokens))
            }
        }
    }

    fn chunk(&self, delta: Delta<'_>, finish: Option<&'static str>) -> String {
        let chunk = Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            system_fingerprint: None,
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                logprobs: None,
                finish_reason: finish,
            }],
            usage: self.include_usage.then_some(Nullable::Null),
        };
        data(&chunk)
    }
}

fn data<T: Serialize>(v: &T) -> String {
    format!(
        "data: {}\n\n",
        serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
    )
}
