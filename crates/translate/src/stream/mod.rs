//! The one stream state machine: upstream [`StreamEvent`]s → IR [`OutEvent`]s (protocol doc §5.3–§5.8,
//! client doc §3). Both dialect encoders and both non-stream aggregators consume its output.
//!
//! Stages for answer text: `<thinking>` splitter → JSON-mode buffer (response_format emulation) →
//! stop-sequence matcher → output-token budget (`max_tokens` emulation). Tool calls are assembled from
//! fragments and only emitted once complete and valid, so a truncated tool call never reaches a client
//! as a broken `tool_use`: it becomes a short explanatory text and the turn ends with `max_tokens`
//! (client doc §3 consequence (a)). In-stream exceptions become [`OutEvent::Error`], never a silent
//! `end_turn` (Addendum "peer weaknesses").
//!
//! After [`StreamMachine::is_finished`] turns true (stop sequence, output limit, error) the gateway
//! should cancel the upstream request; further input is ignored.

mod config;
mod json_mode;
mod names;
mod stop;
pub mod stop_reason;
mod thinking;
mod tools;

use amazonq::events::StreamEvent;

use crate::ir::{FinishReason, OutEvent, StreamError, StreamErrorKind, Usage};
use crate::tokens;
pub use config::StreamConfig;
pub use json_mode::clean_json;
pub use names::{client_tool_id, truncated_tool_notice};
use stop::StopMatcher;
use stop_reason::UpstreamStop;
use thinking::{Piece, Splitter};
use tools::{Assembled, ToolAssembler};

/// Per-answer state. Create one per upstream call.
#[derive(Debug)]
pub struct StreamMachine {
    cfg: StreamConfig,
    splitter: Splitter,
    stop: StopMatcher,
    tools: ToolAssembler,
    json_buf: String,
    /// Scratch list for the splitter's pieces, reused across events.
    pieces: Vec<Piece>,
    /// Leading whitespace of the answer, held until real text arrives (no whitespace-only block).
    leading_ws: String,
    text_started: bool,
    tool_count: usize,
    output_tokens: u32,
    upstream_usage: Option<amazonq::events::TokenUsage>,
    credits: f64,
    context_pct: Option<f64>,
    finished: bool,
    /// Set when the budget or a stop sequence ended the answer.
    end_reason: Option<(FinishReason, Option<String>)>,
    /// What `metadataEvent.stopReason` said, mapped ([`stop_reason`]).
    upstream_stop: Option<FinishReason>,
    /// A `stopReason` value [`stop_reason::map_stop_reason`] did not know.
    unknown_stop: Option<String>,
}

impl StreamMachine {
    pub fn new(cfg: StreamConfig) -> Self {
        Self {
            splitter: Splitter::new(cfg.thinking),
            stop: StopMatcher::new(&cfg.stop),
            cfg,
            tools: ToolAssembler::default(),
            json_buf: String::new(),
            pieces: Vec::new(),
            leading_ws: String::new(),
            text_started: false,
            tool_count: 0,
            output_tokens: 0,
            upstream_usage: None,
            credits: 0.0,
            context_pct: None,
            finished: false,
            end_reason: None,
            upstream_stop: None,
            unknown_stop: None,
        }
    }

    /// True once a `Finish` or `Error` was produced.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The last `stopReason` value the upstream sent that this build does not know (it ended the
    /// turn as `end_turn`); for a drift counter.
    pub fn unknown_stop_reason(&self) -> Option<&str> {
        self.unknown_stop.as_deref()
    }

    /// Credits reported by `meteringEvent`s so far.
    pub fn credits(&self) -> f64 {
        self.credits
    }

    /// Last `contextUsageEvent` percentage.
    pub fn context_usage_pct(&self) -> Option<f64> {
        self.context_pct
    }

    /// Usage so far (upstream `metadataEvent` figures win over local counts).
    pub fn usage(&self) -> Usage {
        let mut u = Usage {
            input_tokens: self.cfg.input_tokens,
            output_tokens: self.output_tokens,
            ..Usage::default()
        };
        if let (Some(pct), Some(window)) = (self.context_pct, self.cfg.context_window) {
            let estimate = (pct.clamp(0.0, 100.0) * f64::from(window) / 100.0).round() as u32;
            if estimate > 0 {
                u.input_tokens = estimate;
            }
        }
        if let Some(t) = self.upstream_usage {
            let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
            if t.input_tokens() > 0 {
                u.input_tokens = clamp(t.uncached_input_tokens);
                u.cache_read_input_tokens = clamp(t.cache_read_input_tokens.unwrap_or(0));
                u.cache_creation_input_tokens = clamp(t.cache_write_input_tokens.unwrap_or(0));
            }
            if t.output_tokens > 0 {
                u.output_tokens = clamp(t.output_tokens);
            }
        }
        u
    }

    /// Feeds one upstream event.
    pub fn push(&mut self, ev: &StreamEvent) -> Vec<OutEvent> {
        let mut out = Vec::new();
        self.push_into(ev, &mut out);
        out
    }

    /// [`Self::push`], appending to `out` (the SSE body reuses one list for every event).
    pub fn push_into(&mut self, ev: &StreamEvent, out: &mut Vec<OutEvent>) {
        if self.finished {
            return;
        }
        match ev {
            StreamEvent::AssistantResponse { content } => {
                self.close_tool(out);
                let mut pieces = std::mem::take(&mut self.pieces);
                self.splitter.push(content, &mut pieces);
                self.route(&mut pieces, out);
                self.pieces = pieces;
            }
            StreamEvent::ToolUse {
                tool_use_id,
                name,
                input,
                stop,
            } => {
                if !self.tools.is_open() {
                    // Text before the call keeps its place: flush what the splitter and the stop
                    // matcher still hold (a partial stop sequence cannot continue across a call).
                    let mut pieces = Vec::new();
                    self.splitter.finish(&mut pieces);
                    self.route(&mut pieces, out);
                    if !self.cfg.json_mode {
                        let held = self.stop.finish();
                        self.emit_text(held, out);
                    }
                }
                for a in self.tools.push(tool_use_id, name, input.as_deref(), *stop) {
                    self.emit_tool(a, out);
                }
            }
            StreamEvent::Reasoning { text: Some(t), .. }
                if self.cfg.thinking && !self.text_started =>
            {
                self.close_tool(out);
                self.emit_thinking(t.clone(), out);
            }
            StreamEvent::Metering { usage, .. } => self.credits += usage,
            StreamEvent::ContextUsage { percentage } => self.context_pct = Some(*percentage),
            StreamEvent::Metadata {
                token_usage,
                stop_reason,
            } => {
                self.upstream_usage = Some(*token_usage);
                if let Some(raw) = stop_reason {
                    self.on_stop_reason(raw, out);
                }
            }
            StreamEvent::Unknown { event_type, .. }
                if event_type.contains(stop_reason::MODEL_TEMPORARILY_UNAVAILABLE) =>
            {
                self.on_stop_reason(stop_reason::MODEL_TEMPORARILY_UNAVAILABLE, out);
            }
            StreamEvent::Exception {
                exception_type,
                message,
                reason,
            } => {
                let text = message.clone().unwrap_or_else(|| exception_type.clone());
                if exception_type.contains("ContentLengthExceeded") {
                    // Kiro's output-length overflow: the answer is cut, not failed (§5.3).
                    self.flush(out);
                    self.end(FinishReason::MaxTokens, None, out);
                } else {
                    let class = amazonq::error::classify_exception(
                        exception_type,
                        reason.as_deref(),
                        &text,
                    );
                    self.fail_with(
                        StreamError {
                            kind: StreamErrorKind::Upstream(class),
                            message: text,
                        },
                        out,
                    );
                }
            }
            StreamEvent::Error { code, message } => {
                let class = amazonq::error::classify_exception(code, None, message);
                self.fail_with(
                    StreamError {
                        kind: StreamErrorKind::Upstream(class),
                        message: format!("{code}: {message}"),
                    },
                    out,
                );
            }
            // Ids, links, follow-up prompts, code references, invalid-state notes and unknown events
            // carry nothing for the client (§5.3, §5.7).
            _ => {}
        }
    }

    /// Clean end of the upstream stream: flushes and produces `Finish`.
    pub fn finish(&mut self) -> Vec<OutEvent> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        self.flush(&mut out);
        if !self.finished {
            // `tool_use` exactly when tool blocks were emitted (client doc §2.5); otherwise what
            // the upstream said, where it said something else than a tool call.
            let reason = match self.upstream_stop {
                _ if self.tool_count > 0 => FinishReason::ToolUse,
                None | Some(FinishReason::ToolUse) => FinishReason::EndTurn,
                Some(r) => r,
            };
            self.end(reason, None, &mut out);
        }
        out
    }

    /// A `metadataEvent.stopReason`: remembered for [`Self::finish`], or the turn fails with the
    /// model unavailable (`MODEL_TEMPORARILY_UNAVAILABLE`, the same class as its exception).
    fn on_stop_reason(&mut self, raw: &str, out: &mut Vec<OutEvent>) {
        match stop_reason::map_stop_reason(raw) {
            UpstreamStop::Finish(r) => self.upstream_stop = Some(r),
            UpstreamStop::Unknown => {
                self.unknown_stop = Some(raw.to_owned());
                self.upstream_stop = Some(stop_reason::unknown_stop_reason(raw));
            }
            UpstreamStop::Unavailable => self.fail_with(
                StreamError {
                    kind: StreamErrorKind::Upstream(amazonq::error::ErrorClass::ModelUnavailable),
                    message: format!("the model is temporarily unavailable upstream ({raw})"),
                },
                out,
            ),
        }
    }

    /// The transport failed (connection drop, framing error, idle timeout): produces `Error`.
    pub fn fail(&mut self, error: StreamError) -> Vec<OutEvent> {
        let mut out = Vec::new();
        if !self.finished {
            self.fail_with(error, &mut out);
        }
        out
    }

    fn fail_with(&mut self, error: StreamError, out: &mut Vec<OutEvent>) {
        // Text already decided is kept; a half-assembled tool call is dropped, never emitted.
        let mut pieces = Vec::new();
        self.splitter.finish(&mut pieces);
        self.route(&mut pieces, out);
        if !self.finished {
            self.finished = true;
            out.push(OutEvent::Error(error));
        }
    }

    /// End of input: the open tool, the thinking splitter, the JSON buffer and the stop matcher.
    fn flush(&mut self, out: &mut Vec<OutEvent>) {
        self.close_tool(out);
        let mut pieces = Vec::new();
        self.splitter.finish(&mut pieces);
        self.route(&mut pieces, out);
        if self.finished {
            return;
        }
        if self.cfg.json_mode {
            let raw = std::mem::take(&mut self.json_buf);
            let cleaned = clean_json(&raw);
            self.after_json(cleaned, out);
        }
        if self.finished {
            return;
        }
        let rest = self.stop.finish();
        self.emit_text(rest, out);
    }

    fn close_tool(&mut self, out: &mut Vec<OutEvent>) {
        if let Some(a) = self.tools.close() {
            self.emit_tool(a, out);
        }
    }

    /// Routes (and empties) `pieces`. Text is moved along, not copied, from the splitter to the
    /// output event (issue 11 S2: five copies of every delta before).
    fn route(&mut self, pieces: &mut Vec<Piece>, out: &mut Vec<OutEvent>) {
        for p in pieces.drain(..) {
            if self.finished {
                continue;
            }
            match p {
                Piece::Thinking(t) => self.emit_thinking(t, out),
                Piece::Text(t) if self.cfg.json_mode => self.json_buf.push_str(&t),
                Piece::Text(t) => self.after_json(t, out),
            }
        }
    }

    fn after_json(&mut self, text: String, out: &mut Vec<OutEvent>) {
        let (safe, hit) = self.stop.push(text);
        self.emit_text(safe, out);
        if let Some(s) = hit
            && !self.finished
        {
            self.end(FinishReason::StopSequence, Some(s), out);
        }
    }

    fn emit_thinking(&mut self, t: String, out: &mut Vec<OutEvent>) {
        if let Some(t) = self.budget(t, true, out) {
            out.push(OutEvent::Thinking(t));
        }
    }

    fn emit_text(&mut self, t: String, out: &mut Vec<OutEvent>) {
        if t.is_empty() || self.finished {
            return;
        }
        let t = if self.text_started {
            t
        } else if t.trim().is_empty() {
            self.leading_ws.push_str(&t);
            return;
        } else {
            self.text_started = true;
            format!("{}{t}", std::mem::take(&mut self.leading_ws))
        };
        if let Some(t) = self.budget(t, false, out) {
            out.push(OutEvent::Text(t));
        }
    }

    /// Charges `t` to the output budget; returns the part that fits. Ends the turn when exhausted.
    fn budget(&mut self, t: String, thinking: bool, out: &mut Vec<OutEvent>) -> Option<String> {
        if t.is_empty() || self.finished {
            return None;
        }
        let n = crate::tokens::count_text(&t);
        let Some(max) = self.cfg.max_tokens else {
            self.output_tokens = self.output_tokens.saturating_add(n);
            return Some(t);
        };
        let room = max.saturating_sub(self.output_tokens);
        if n <= room {
            self.output_tokens += n;
            return Some(t);
        }
        // Keep the share of characters that fits, on a char boundary.
        let chars = t.chars().count();
        let keep = (chars as u64 * u64::from(room) / u64::from(n.max(1))) as usize;
        let cut: String = t.chars().take(keep).collect();
        self.output_tokens = max;
        if !cut.is_empty() {
            out.push(if thinking {
                OutEvent::Thinking(cut)
            } else {
                OutEvent::Text(cut)
            });
        }
        self.end(FinishReason::MaxTokens, None, out);
        None
    }

    fn emit_tool(&mut self, a: Assembled, out: &mut Vec<OutEvent>) {
        if self.finished {
            return;
        }
        match a {
            Assembled::Ok { id, name, json } => {
                let n = tokens::count_text(&json).saturating_add(tokens::count_text(&name));
                if self
                    .cfg
                    .max_tokens
                    .is_some_and(|max| self.output_tokens.saturating_add(n) > max)
                {
                    self.output_tokens = self.cfg.max_tokens.unwrap_or(self.output_tokens);
                    self.end(FinishReason::MaxTokens, None, out);
                    return;
                }
                self.output_tokens = self.output_tokens.saturating_add(n);
                let index = self.tool_count;
                self.tool_count += 1;
                let id = client_tool_id(self.cfg.dialect, &id);
                let name = self.cfg.tool_names.restore(&name);
                out.push(OutEvent::ToolStart { index, id, name });
                out.push(OutEvent::ToolArgs { index, json });
                out.push(OutEvent::ToolEnd { index });
            }
            Assembled::Broken { name, json_len, .. } => {
                let name = self.cfg.tool_names.restore(&name);
                let notice = truncated_tool_notice(&name, json_len);
                // Separate the notice from earlier text; alone it starts the answer.
                let notice = if self.text_started {
                    notice
                } else {
                    notice.trim_start().to_owned()
                };
                self.text_started = true;
                self.output_tokens = self
                    .output_tokens
                    .saturating_add(tokens::count_text(&notice));
                out.push(OutEvent::Text(notice));
                self.end(FinishReason::MaxTokens, None, out);
            }
        }
    }

    fn end(
        &mut self,
        reason: FinishReason,
        stop_sequence: Option<String>,
        out: &mut Vec<OutEvent>,
    ) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.end_reason = Some((reason, stop_sequence.clone()));
        out.push(OutEvent::Finish {
            reason,
            stop_sequence,
            usage: self.usage(),
        });
    }
}

#[cfg(test)]
mod tests;
