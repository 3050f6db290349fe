//! IR output events → OpenAI `chat.completion.chunk` SSE (client doc §1.5, checklist items 41–51, 64).
//!
//! Every chunk carries the same `id`/`created`/`model` and `system_fingerprint`; `role` only in the
//! first delta; a tool call's `id`/`type`/`name` only in its first delta, with `index` numbering tool
//! calls from 0; exactly one finish chunk (empty delta); with `include_usage` every earlier chunk has
//! `"usage": null` and a usage chunk with `choices: []` follows the finish chunk; then `data: [DONE]`.
//! Thinking goes out as `delta.reasoning_content`. Errors after the start: `data: {"error":…}`, no
//! `[DONE]`.

use serde::Serialize;

use super::frame::{data_into, json_into};
use crate::ir::OutEvent;
use crate::openai::response::{UsageBody, finish_reason, stream_error};

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

impl<'a> ToolCallDelta<'a> {
    /// A call's first delta: its `id`, `type` and `name`, no arguments yet.
    fn first(index: usize, id: &'a str, name: &'a str) -> Self {
        Self {
            index,
            id: Some(id),
            kind: Some("function"),
            function: FunctionDelta {
                name: Some(name),
                arguments: "",
            },
        }
    }

    /// A later delta: only a piece of the arguments.
    fn arguments(index: usize, json: &'a str) -> Self {
        Self {
            index,
            id: None,
            kind: None,
            function: FunctionDelta {
                name: None,
                arguments: json,
            },
        }
    }
}

#[derive(Serialize)]
struct FunctionDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

super::encoder_surface!(OpenAiSse {
    /// The model's prompt limit (catalog `maxInputTokens`) for an in-stream context-overflow
    /// error; 200 000 when not given.
    with_input_limit sets input_limit;
    /// The local prompt size, used in a context-overflow error message.
    with_input_tokens sets input_tokens;
});

/// One encoder per response.
#[derive(Debug)]
pub struct OpenAiSse {
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
    /// `data: {"id":…,"object":…,"created":…,"model":…,"system_fingerprint":null,"choices":[`:
    /// the same for every chunk, so serialized once (issue 11 S2: escaping id and model per frame
    /// was a visible share of a streamed frame's cost). `chunk_into` adds the choice and the tail.
    prefix: Vec<u8>,
    input_tokens: u32,
    /// The model's prompt limit, for an in-stream context-overflow error.
    input_limit: u32,
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
        let id = id.into();
        let model = model.into();
        let mut prefix = b"data: {\"id\":".to_vec();
        json_into(&id, &mut prefix);
        prefix.extend_from_slice(b",\"object\":\"chat.completion.chunk\",\"created\":");
        json_into(&created, &mut prefix);
        prefix.extend_from_slice(b",\"model\":");
        json_into(&model, &mut prefix);
        prefix.extend_from_slice(b",\"system_fingerprint\":null,\"choices\":[");
        Self {
            id,
            created,
            model,
            include_usage,
            prefix,
            input_tokens: 0,
            input_limit: crate::anthropic::response::DEFAULT_CONTEXT_WINDOW,
            thinking_tokens: 0,
            done: false,
        }
    }

    /// The first chunk: `role:"assistant"`, `content:""`, `refusal:null`.
    pub fn start_into(&mut self, out: &mut Vec<u8>) {
        let delta = Delta {
            role: Some("assistant"),
            content: Some(""),
            refusal: Some(Nullable::Null),
            ..Delta::default()
        };
        self.chunk_into(delta, None, out);
    }

    /// SSE comment used as keep-alive (the SDKs skip `:` lines).
    pub fn keep_alive() -> String {
        KEEP_ALIVE.to_owned()
    }

    /// [`Self::keep_alive`], appended to `out`.
    pub fn keep_alive_into(out: &mut Vec<u8>) {
        out.extend_from_slice(KEEP_ALIVE.as_bytes());
    }

    /// One IR event as its chunks, appended to `out` (the stream reuses one buffer for all
    /// events); nothing once [`Self::is_done`] (`[DONE]` or an error was written).
    pub fn encode_into(&mut self, ev: &OutEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match ev {
            OutEvent::Text(t) => self.chunk_into(
                Delta {
                    content: Some(t),
                    ..Delta::default()
                },
                None,
                out,
            ),
            OutEvent::Thinking(t) => {
                self.thinking_tokens = self
                    .thinking_tokens
                    .saturating_add(crate::tokens::count_text(t));
                self.chunk_into(
                    Delta {
                        reasoning_content: Some(t),
                        ..Delta::default()
                    },
                    None,
                    out,
                );
            }
            OutEvent::ToolStart { index, id, name } => {
                self.tool_call_into(ToolCallDelta::first(*index, id, name), out);
            }
            OutEvent::ToolArgs { index, json } => {
                self.tool_call_into(ToolCallDelta::arguments(*index, json), out);
            }
            OutEvent::ToolEnd { .. } => {}
            OutEvent::Finish { reason, usage, .. } => {
                self.chunk_into(Delta::default(), Some(finish_reason(*reason)), out);
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
                    data_into(&chunk, out);
                }
                out.extend_from_slice(b"data: [DONE]\n\n");
                self.done = true;
            }
            OutEvent::Error(e) => {
                self.done = true;
                data_into(&stream_error(e, self.input_tokens, self.input_limit), out);
            }
        }
    }

    /// A chunk whose delta is one tool call's piece.
    fn tool_call_into(&self, call: ToolCallDelta<'_>, out: &mut Vec<u8>) {
        let delta = Delta {
            tool_calls: Some([call]),
            ..Delta::default()
        };
        self.chunk_into(delta, None, out);
    }

    /// One chunk with one choice: the same bytes as serializing [`Chunk`], from the prefix.
    fn chunk_into(&self, delta: Delta<'_>, finish: Option<&'static str>, out: &mut Vec<u8>) {
        let choice = ChunkChoice {
            index: 0,
            delta,
            logprobs: None,
            finish_reason: finish,
        };
        out.extend_from_slice(&self.prefix);
        json_into(&choice, out);
        let tail: &[u8] = if self.include_usage {
            b"],\"usage\":null}\n\n"
        } else {
            b"]}\n\n"
        };
        out.extend_from_slice(tail);
    }
}

const KEEP_ALIVE: &str = ": keep-alive\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefix shortcut writes exactly what serializing the whole [`Chunk`] would.
    #[test]
    fn chunk_bytes_equal_the_serialized_struct() {
        for include_usage in [false, true] {
            let enc = OpenAiSse::new("chatcmpl-\"x\\", -3, "m\u{e9}\u{1}", include_usage);
            let delta = || Delta {
                content: Some("a\"\n\u{2028}"),
                ..Delta::default()
            };
            let mut fast = Vec::new();
            enc.chunk_into(delta(), Some("stop"), &mut fast);
            let chunk = Chunk {
                id: &enc.id,
                object: "chat.completion.chunk",
                created: enc.created,
                model: &enc.model,
                system_fingerprint: None,
                choices: vec![ChunkChoice {
                    index: 0,
                    delta: delta(),
                    logprobs: None,
                    finish_reason: Some("stop"),
                }],
                usage: include_usage.then_some(Nullable::Null),
            };
            let slow = format!("data: {}\n\n", serde_json::to_string(&chunk).unwrap());
            assert_eq!(String::from_utf8(fast).unwrap(), slow);
        }
    }
}
