//! IR output events → Anthropic Messages SSE (client doc §2.5, checklist items 4–11, 28, 31).
//!
//! Grammar: `message_start ping (content_block_start content_block_delta* content_block_stop)*
//! message_delta message_stop`, every event as `event: <type>\ndata: <json>\n\n`. Block indices
//! are 0,1,2… without gaps and never interleaved; tool input travels only as `input_json_delta` (the
//! start block carries `input: {}`); a thinking block gets a `signature_delta` before its stop; an empty
//! answer still gets one (empty) text block; errors after the start are `event: error`.

use serde::Serialize;
use serde_json::Value;

use crate::anthropic::response::{
    ServerToolUsage, UsageBody, stop_reason, stream_error, thinking_signature,
};
use crate::ir::{OutEvent, Usage};
use crate::web_search::SearchHit;

/// Web-search blocks and citations (`server_tool_use`, `web_search_tool_result`, `citations_delta`).
mod search;

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    MessageStart {
        message: StartMessage<'a>,
    },
    ContentBlockStart {
        index: usize,
        content_block: BlockStart<'a>,
    },
    Ping,
    ContentBlockDelta {
        index: usize,
        delta: Delta<'a>,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDeltaBody<'a>,
        usage: UsageBody,
    },
    MessageStop,
    Error {
        error: ErrorBody<'a>,
    },
}

impl Event<'_> {
    fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::Ping => "ping",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
            Self::Error { .. } => "error",
        }
    }
}

#[derive(Serialize)]
struct StartMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: [(); 0],
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'static str>,
    usage: UsageBody,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockStart<'a> {
    Text {
        text: &'static str,
    },
    Thinking {
        thinking: &'static str,
        signature: &'static str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Value,
    },
    ServerToolUse {
        id: &'a str,
        name: &'static str,
        input: Value,
    },
    WebSearchToolResult {
        tool_use_id: &'a str,
        content: Value,
    },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[expect(
    clippy::enum_variant_names,
    reason = "the wire names are `text_delta`, `thinking_delta`, …"
)]
enum Delta<'a> {
    TextDelta { text: &'a str },
    ThinkingDelta { thinking: &'a str },
    SignatureDelta { signature: &'a str },
    InputJsonDelta { partial_json: &'a str },
    CitationsDelta { citation: Value },
}

#[derive(Serialize)]
struct MessageDeltaBody<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Tool,
}

/// One encoder per response. Methods return the SSE text to write (possibly several events).
#[derive(Debug)]
pub struct AnthropicSse {
    id: String,
    model: String,
    input_tokens: u32,
    /// The model's prompt limit, the M of an in-stream "prompt is too long" error.
    input_limit: u32,
    next_index: usize,
    open: Option<Open>,
    done: bool,
    /// `Some(searches run)` when the request has the web-search tool (usage then reports it).
    searches: Option<u32>,
    /// Results so far, and the open text block's text, for citations (`search`).
    sources: Vec<SearchHit>,
    text: String,
}

fn frame(ev: &Event<'_>, out: &mut Vec<u8>) {
    super::frame::event_into(ev.name(), ev, out);
}

/// `content_block_start` of the block at `index`.
fn block_start(index: usize, content_block: BlockStart<'_>, out: &mut Vec<u8>) {
    frame(
        &Event::ContentBlockStart {
            index,
            content_block,
        },
        out,
    );
}

/// One `content_block_delta` of the block at `index`.
fn block_delta(index: usize, delta: Delta<'_>, out: &mut Vec<u8>) {
    frame(&Event::ContentBlockDelta { index, delta }, out);
}

super::encoder_surface!(AnthropicSse {
    /// The model's prompt limit (catalog `maxInputTokens`) for an in-stream context-overflow
    /// error; 200 000 when not given.
    with_input_limit sets input_limit;
}, web_search);

impl AnthropicSse {
    /// `id` is the `msg_…` id, `model` the client's model name, `input_tokens` the local count.
    pub fn new(id: impl Into<String>, model: impl Into<String>, input_tokens: u32) -> Self {
        Self {
            id: id.into(),
            model: model.into(),
            input_tokens,
            input_limit: crate::anthropic::response::DEFAULT_CONTEXT_WINDOW,
            next_index: 0,
            open: None,
            done: false,
            searches: None,
            sources: Vec::new(),
            text: String::new(),
        }
    }

    /// `message_start` (with the real prompt size) followed by a `ping`.
    pub fn start_into(&mut self, out: &mut Vec<u8>) {
        let usage = UsageBody {
            input_tokens: self.input_tokens.max(1),
            output_tokens: 1,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            server_tool_use: self.searches.map(|_| ServerToolUsage::default()),
        };
        let message = StartMessage {
            id: &self.id,
            kind: "message",
            role: "assistant",
            model: &self.model,
            content: [],
            stop_reason: None,
            stop_sequence: None,
            usage,
        };
        frame(&Event::MessageStart { message }, out);
        frame(&Event::Ping, out);
    }

    /// A keep-alive `ping` event (send during upstream silences).
    pub fn ping() -> String {
        super::frame::text(Self::ping_into)
    }

    /// [`Self::ping`], appended to `out`.
    pub fn ping_into(out: &mut Vec<u8>) {
        frame(&Event::Ping, out);
    }

    /// One IR event as its SSE events, appended to `out` (the stream reuses one buffer for all
    /// events); nothing once [`Self::is_done`] (`message_stop` or `error` was written).
    pub fn encode_into(&mut self, ev: &OutEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match ev {
            OutEvent::Text(t) => {
                let index = self.ensure(Open::Text, out);
                if !self.sources.is_empty() {
                    self.text.push_str(t);
                }
                block_delta(index, Delta::TextDelta { text: t }, out);
            }
            OutEvent::Thinking(t) => {
                let index = self.ensure(Open::Thinking, out);
                block_delta(index, Delta::ThinkingDelta { thinking: t }, out);
            }
            OutEvent::ToolStart { id, name, .. } => {
                self.close(out);
                let block = BlockStart::ToolUse {
                    id,
                    name,
                    input: Value::Object(serde_json::Map::new()),
                };
                block_start(self.next_index, block, out);
                self.open = Some(Open::Tool);
            }
            OutEvent::ToolArgs { json, .. } => {
                if self.open == Some(Open::Tool) {
                    let delta = Delta::InputJsonDelta { partial_json: json };
                    block_delta(self.next_index, delta, out);
                }
            }
            OutEvent::ToolEnd { .. } => self.close(out),
            OutEvent::Finish {
                reason,
                stop_sequence,
                usage,
            } => {
                self.close(out);
                if self.next_index == 0 {
                    self.ensure(Open::Text, out);
                    self.close(out);
                }
                let body = MessageDeltaBody {
                    stop_reason: stop_reason(*reason),
                    stop_sequence: stop_sequence.as_deref(),
                };
                frame(
                    &Event::MessageDelta {
                        delta: body,
                        usage: self.final_usage(*usage),
                    },
                    out,
                );
                frame(&Event::MessageStop, out);
                self.done = true;
            }
            OutEvent::Error(e) => {
                let (kind, message) = stream_error(e, self.input_tokens, self.input_limit);
                frame(
                    &Event::Error {
                        error: ErrorBody {
                            kind,
                            message: &message,
                        },
                    },
                    out,
                );
                self.done = true;
            }
        }
    }

    /// Output tokens are cumulative and never below `message_start`'s 1 (checklist 9).
    fn final_usage(&self, u: Usage) -> UsageBody {
        let mut body = UsageBody::from(u);
        body.server_tool_use = self.searches.map(|n| ServerToolUsage {
            web_search_requests: n,
        });
        body.output_tokens = body.output_tokens.max(1);
        body.input_tokens = body.input_tokens.max(1);
        body
    }

    /// Opens a block of `kind` unless one is open; returns its index.
    fn ensure(&mut self, kind: Open, out: &mut Vec<u8>) -> usize {
        if self.open != Some(kind) {
            self.close(out);
            let block = match kind {
                Open::Text => BlockStart::Text { text: "" },
                Open::Thinking => BlockStart::Thinking {
                    thinking: "",
                    signature: "",
                },
                Open::Tool => BlockStart::ToolUse {
                    id: "",
                    name: "",
                    input: Value::Object(serde_json::Map::new()),
                },
            };
            block_start(self.next_index, block, out);
            self.open = Some(kind);
        }
        self.next_index
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        let Some(kind) = self.open.take() else {
            return;
        };
        let index = self.next_index;
        if kind == Open::Text {
            self.cite(index, out);
        }
        if kind == Open::Thinking {
            let sig = thinking_signature(&self.id);
            block_delta(index, Delta::SignatureDelta { signature: &sig }, out);
        }
        frame(&Event::ContentBlockStop { index }, out);
        self.next_index += 1;
    }
}
