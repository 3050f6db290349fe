//! IR output events → the Responses API stream (issue 18 item 1; OpenAI API reference "Streaming
//! events").
//!
//! Grammar: `response.created`, `response.in_progress`; per output item `response.output_item.added`
//! … `response.output_item.done`, with in between — reasoning: `response.reasoning_summary_part
//! .added`, `response.reasoning_summary_text.delta`…, `.done`, `response.reasoning_summary_part
//! .done`; message: `response.content_part.added`, `response.output_text.delta`…,
//! `response.output_text.done`, `response.content_part.done`; function call:
//! `response.function_call_arguments.delta`…, `.done`. Items never interleave (the state machine
//! keeps blocks contiguous), `output_index` counts items from 0, every event carries a
//! `sequence_number` counting from 0 and `event:` equals `data.type`. The end is exactly one of
//! `response.completed`, `response.incomplete` (output limit, content filter) or `response.failed`
//! (an error after the stream started), each with the whole response object; no `[DONE]`. An item
//! still open when the stream fails is not closed: a cut-off function call must never look
//! complete (Codex runs calls as their `output_item.done` arrives).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::ir::{FinishReason, OutEvent};
use crate::responses::object::{
    ErrorObject, IncompleteDetails, OutputItem, OutputText, Response, ResponseUsage, SummaryText,
};
use crate::responses::{Head, Seal, item_id};
use crate::web_search::SearchHit;

/// `web_search_call` items and `url_citation` annotations.
mod search;
/// Message and reasoning items, whose text streams in deltas.
mod text;

use text::TextItem;

/// The output item being streamed.
enum Open {
    None,
    /// A message or a reasoning item and its text so far (`text`).
    Text {
        kind: TextItem,
        id: String,
        text: String,
    },
    Function {
        id: String,
        call_id: String,
        name: String,
        args: String,
    },
    /// A `web_search_call` between its call and its result (`search`).
    Search {
        id: String,
        query: String,
    },
}

super::encoder_surface!(ResponsesSse {
    /// The local prompt size, used in a context-overflow error message.
    with_input_tokens sets input_tokens;
}, web_search);

/// One encoder per response; it also builds the final [`Response`].
pub struct ResponsesSse {
    response: Response,
    seal: Arc<dyn Seal>,
    seq: u64,
    open: Open,
    thinking_tokens: u32,
    input_tokens: u32,
    done: bool,
    /// Search results so far, for `url_citation` annotations (`search`).
    sources: Vec<SearchHit>,
}

impl std::fmt::Debug for ResponsesSse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponsesSse")
            .field("id", &self.response.id)
            .field("seq", &self.seq)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl ResponsesSse {
    /// `id` is the `resp_…` id, `created_at` unix seconds; `seal` seals reasoning.
    pub fn new(id: &str, created_at: i64, head: &Head, seal: Arc<dyn Seal>) -> Self {
        Self {
            response: Response::new(id, created_at, head),
            seal,
            seq: 0,
            open: Open::None,
            thinking_tokens: 0,
            input_tokens: 0,
            done: false,
            sources: Vec::new(),
        }
    }

    /// The response as built so far (complete once [`Self::is_done`]).
    pub fn response(&self) -> &Response {
        &self.response
    }

    pub fn into_response(self) -> Response {
        self.response
    }

    /// `response.created` and `response.in_progress`.
    pub fn start_into(&mut self, out: &mut Vec<u8>) {
        let r = serde_json::to_value(&self.response).unwrap_or(Value::Null);
        self.event("response.created", json!({"response": r}), out);
        self.event("response.in_progress", json!({"response": r}), out);
    }

    /// SSE comment used as keep-alive (SSE parsers skip `:` lines).
    pub fn keep_alive_into(out: &mut Vec<u8>) {
        out.extend_from_slice(b": keep-alive\n\n");
    }

    /// One IR event as its stream events, appended to `out`; nothing once [`Self::is_done`] (the
    /// final event was written).
    pub fn encode_into(&mut self, ev: &OutEvent, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match ev {
            OutEvent::Text(t) => self.text_delta(TextItem::Message, t, out),
            OutEvent::Thinking(t) => self.text_delta(TextItem::Reasoning, t, out),
            OutEvent::ToolStart { id, name, .. } => {
                self.close(out);
                let item = item_id("fc", &self.response.id, self.index());
                let added = OutputItem::FunctionCall {
                    id: item.clone(),
                    status: "in_progress".to_owned(),
                    arguments: String::new(),
                    call_id: id.clone(),
                    name: name.clone(),
                };
                self.item_event("response.output_item.added", &added, out);
                self.open = Open::Function {
                    id: item,
                    call_id: id.clone(),
                    name: name.clone(),
                    args: String::new(),
                };
            }
            OutEvent::ToolArgs { json, .. } => {
                let (item_id, idx) = (self.open_id(), self.index());
                if let Open::Function { args, .. } = &mut self.open {
                    args.push_str(json);
                    self.event(
                        "response.function_call_arguments.delta",
                        json!({"item_id": item_id, "output_index": idx, "delta": json}),
                        out,
                    );
                }
            }
            OutEvent::ToolEnd { .. } => self.close(out),
            OutEvent::Finish { reason, usage, .. } => {
                self.close(out);
                self.response.usage = Some(ResponseUsage::new(*usage, self.thinking_tokens));
                let incomplete = match reason {
                    // The window ran out mid-answer: the Responses grammar has only these two reasons.
                    FinishReason::MaxTokens | FinishReason::ContextWindowExceeded => {
                        Some("max_output_tokens")
                    }
                    FinishReason::ContentFilter => Some("content_filter"),
                    FinishReason::EndTurn | FinishReason::StopSequence | FinishReason::ToolUse => {
                        None
                    }
                };
                let kind = if let Some(reason) = incomplete {
                    "incomplete".clone_into(&mut self.response.status);
                    self.response.incomplete_details = Some(IncompleteDetails {
                        reason: reason.to_owned(),
                    });
                    "response.incomplete"
                } else {
                    "completed".clone_into(&mut self.response.status);
                    "response.completed"
                };
                self.finish(kind, out);
            }
            OutEvent::Error(e) => {
                "failed".clone_into(&mut self.response.status);
                self.response.error = Some(ErrorObject::from_stream(e, self.input_tokens));
                self.finish("response.failed", out);
            }
        }
    }

    fn finish(&mut self, kind: &str, out: &mut Vec<u8>) {
        let r = serde_json::to_value(&self.response).unwrap_or(Value::Null);
        self.event(kind, json!({"response": r}), out);
        self.done = true;
    }

    /// `output_index` of the open item (items are appended to `output` when they close).
    fn index(&self) -> usize {
        self.response.output.len()
    }

    fn open_id(&self) -> String {
        match &self.open {
            Open::None => String::new(),
            Open::Text { id, .. } | Open::Function { id, .. } | Open::Search { id, .. } => {
                id.clone()
            }
        }
    }

    /// Ends the open item (its `.done` events and `response.output_item.done`).
    fn close(&mut self, out: &mut Vec<u8>) {
        let idx = self.index();
        let item = match std::mem::replace(&mut self.open, Open::None) {
            Open::None => return,
            Open::Text {
                kind: TextItem::Message,
                id,
                text,
            } => {
                let annotations = self.annotate(&id, idx, &text, out);
                self.event(
                    "response.output_text.done",
                    json!({"item_id": id, "output_index": idx, "content_index": 0,
                           "text": text, "logprobs": []}),
                    out,
                );
                let mut part = OutputText::new(text);
                part.annotations = annotations;
                self.event(
                    "response.content_part.done",
                    json!({"item_id": id, "output_index": idx, "content_index": 0,
                           "part": part}),
                    out,
                );
                OutputItem::Message {
                    id,
                    status: "completed".to_owned(),
                    role: "assistant".to_owned(),
                    content: vec![part],
                }
            }
            // A search that never got its result (the stream ended first) is not left open.
            Open::Search { id, query } => search::item(id, "failed", &query, &[]),
            Open::Text {
                kind: TextItem::Reasoning,
                id,
                text,
            } => {
                // Counted whole, as the non-stream body does (per-fragment counts differ slightly).
                self.thinking_tokens = self
                    .thinking_tokens
                    .saturating_add(crate::tokens::count_text(&text));
                self.event(
                    "response.reasoning_summary_text.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0,
                           "text": text}),
                    out,
                );
                self.event(
                    "response.reasoning_summary_part.done",
                    json!({"item_id": id, "output_index": idx, "summary_index": 0,
                           "part": SummaryText::new(text.clone())}),
                    out,
                );
                OutputItem::Reasoning {
                    id,
                    encrypted_content: self.seal.seal(&text),
                    summary: vec![SummaryText::new(text)],
                }
            }
            Open::Function {
                id,
                call_id,
                name,
                args,
            } => {
                self.event(
                    "response.function_call_arguments.done",
                    json!({"item_id": id, "output_index": idx, "name": name,
                           "arguments": args}),
                    out,
                );
                OutputItem::FunctionCall {
                    id,
                    status: "completed".to_owned(),
                    arguments: args,
                    call_id,
                    name,
                }
            }
        };
        self.item_event("response.output_item.done", &item, out);
        self.response.output.push(item);
    }

    fn item_event(&mut self, kind: &str, item: &OutputItem, out: &mut Vec<u8>) {
        let item = serde_json::to_value(item).unwrap_or(Value::Null);
        self.event(
            kind,
            json!({"output_index": self.index(), "item": item}),
            out,
        );
    }

    /// `event: <kind>` + `data:` with `type` and the next `sequence_number` added to `data`.
    fn event(&mut self, kind: &str, mut data: Value, out: &mut Vec<u8>) {
        if let Value::Object(m) = &mut data {
            m.insert("type".to_owned(), Value::from(kind));
            m.insert("sequence_number".to_owned(), Value::from(self.seq));
        }
        self.seq += 1;
        super::frame::event_into(kind, &data, out);
    }
}
