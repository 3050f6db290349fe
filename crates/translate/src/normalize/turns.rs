//! Conversation shape: IR messages → strictly alternating user/assistant turns that start and end
//! with a user turn, with every tool use answered in the next turn (protocol doc §4.4 R1–R7, R13–R15,
//! R21; client doc §2.3 ordering rules).

use amazonq::types::{
    ImageBlock, ImageFormat, ImageSource, ToolResult, ToolResultContent, ToolResultStatus, ToolUse,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::{Fired, Rule};
use crate::error::{Result, TranslateError};
use crate::ir::{self, Message, Part, Role, ToolResultPart};

/// Placeholder for content that would otherwise be empty (R13; jwadow's `(empty)`).
pub const EMPTY: &str = "(empty)";
/// User content when a turn only carries tool results (AIC2A's wording).
pub const TOOL_RESULTS_ONLY: &str = "Tool results provided.";
/// Assistant content when a turn only carries tool uses: a single space (Addendum R13, Kiro rejects "").
pub const TOOL_USES_ONLY: &str = " ";
/// Result text for a tool use that was never answered (R6; the official CLI's wording).
pub const CANCELLED: &str = "Tool use was cancelled by the user";
/// User turn appended after a trailing assistant turn (R1).
pub const CONTINUE: &str = "Continue";
/// Assistant reply to the leading system-prompt turn (§4.5 step 1a).
pub const SYSTEM_ACK: &str = "I will follow these instructions.";

/// One upstream turn under construction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Turn {
    pub user: bool,
    pub texts: Vec<String>,
    pub images: Vec<ImageBlock>,
    pub tool_uses: Vec<ToolUse>,
    pub tool_results: Vec<ToolResult>,
}

impl Turn {
    fn new(user: bool) -> Self {
        Self {
            user,
            ..Self::default()
        }
    }

    fn with_text(user: bool, text: &str) -> Self {
        Self {
            user,
            texts: vec![text.to_owned()],
            ..Self::default()
        }
    }

    /// The content string sent upstream.
    pub fn content(&self) -> String {
        self.texts
            .iter()
            .filter(|t| !t.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Turns plus system texts found before the first user/assistant message.
pub struct Built {
    pub turns: Vec<Turn>,
    pub leading_system: Vec<String>,
}

/// Steps 1–3 of the pipeline: conversion, merging, first/last turn, tool pairing.
pub fn build(messages: &[Message], fired: &mut Fired) -> Result<Built> {
    let mut leading_system = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match m.role {
            Role::System => {
                let text = plain_text(&m.parts);
                if turns.is_empty() {
                    leading_system.push(text);
                } else if !text.trim().is_empty() {
                    fired.fire(Rule::SystemMessageInline);
                    turns.push(Turn::with_text(
                        true,
                        &format!("<system-reminder>\n{text}\n</system-reminder>"),
                    ));
                }
            }
            Role::User => turns.push(user_turn(&m.parts, i, fired)?),
            Role::Assistant => turns.push(assistant_turn(&m.parts, fired)),
        }
    }
    let mut turns = merge(turns, fired);
    if turns.first().is_none_or(|t| !t.user) {
        if !turns.is_empty() {
            fired.fire(Rule::R2FirstTurnUser);
        }
        turns.insert(0, Turn::with_text(true, EMPTY));
    }
    if turns.last().is_some_and(|t| !t.user) {
        fired.fire(Rule::R1TrailingAssistant);
        turns.push(Turn::with_text(true, CONTINUE));
    }
    pair_tools(&mut turns, fired);
    Ok(Built {
        turns,
        leading_system,
    })
}

fn plain_text(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn user_turn(parts: &[Part], msg_index: usize, fired: &mut Fired) -> Result<Turn> {
    let mut t = Turn::new(true);
    for (j, p) in parts.iter().enumerate() {
        match p {
            Part::Text(s) => t.texts.push(s.clone()),
            Part::Image(img) => {
                let path = format!("messages[{msg_index}].content[{j}]");
                t.images.push(image_block(img, &path)?);
            }
            Part::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let mut texts = Vec::new();
                for (k, c) in content.iter().enumerate() {
                    match c {
                        ToolResultPart::Text(s) => texts.push(s.clone()),
                        ToolResultPart::Image(img) => {
                            fired.fire(Rule::ToolResultImageLifted);
                            let path = format!("messages[{msg_index}].content[{j}].content[{k}]");
                            t.images.push(image_block(img, &path)?);
                            texts.push("[image attached to this message]".to_owned());
                        }
                    }
                }
                let mut text = texts.join("\n");
                if text.trim().is_empty() {
                    fired.fire(Rule::R13EmptyContent);
                    text = if *is_error {
                        "Tool failed without output".to_owned()
                    } else {
                        "(empty result)".to_owned()
                    };
                }
                t.tool_results.push(ToolResult {
                    tool_use_id: tool_use_id.clone(),
                    content: vec![ToolResultContent::Text(text)],
                    status: if *is_error {
                        ToolResultStatus::Error
                    } else {
                        ToolResultStatus::Success
                    },
                });
            }
            // A user message cannot carry these; keep what is readable.
            Part::ToolUse { name, input, .. } => {
                t.texts.push(format!("[tool call {name}: {input}]"));
            }
            Part::Thinking(_) => fired.fire(Rule::ThinkingDropped),
        }
    }
    Ok(t)
}

fn assistant_turn(parts: &[Part], fired: &mut Fired) -> Turn {
    let mut t = Turn::new(false);
    for p in parts {
        match p {
            Part::Text(s) => t.texts.push(s.clone()),
            Part::ToolUse { id, name, input } => {
                t.tool_uses.push(ToolUse {
                    tool_use_id: id.clone(),
                    name: name.clone(),
                    input: sanitize_input(input, fired),
                });
            }
            Part::Thinking(_) => fired.fire(Rule::ThinkingDropped),
            // Assistants do not send images or results; keep a readable trace.
            Part::Image(_) => t.texts.push("[image]".to_owned()),
            Part::ToolResult { content, .. } => {
                for c in content {
                    if let ToolResultPart::Text(s) = c {
                        t.texts.push(s.clone());
                    }
                }
            }
        }
    }
    t
}

/// R15: no empty-string keys in a tool input; non-objects become `{}`.
fn sanitize_input(input: &Value, fired: &mut Fired) -> Value {
    match input {
        Value::Object(o) => {
            if o.contains_key("") {
                fired.fire(Rule::R15EmptyInputKey);
                Value::Object(
                    o.iter()
                        .filter(|(k, _)| !k.is_empty())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            } else {
                input.clone()
            }
        }
        _ => Value::Object(serde_json::Map::new()),
    }
}

/// One image as the upstream takes it; `path` names the client's message part in errors. An image
/// whose base64 exceeds the upstream's 5 MiB is refused here, before any upstream call
/// (kiro-2026-endpoints.md §7).
fn image_block(img: &ir::Image, path: &str) -> Result<ImageBlock> {
    let (format, data) = match img {
        ir::Image::Base64 { format, data } => {
            crate::image::check_base64_len(data.len(), path)?;
            (*format, data.clone())
        }
        ir::Image::Bytes { format, bytes } => {
            crate::image::check_base64_len(crate::image::base64_len(bytes.len()), path)?;
            (*format, STANDARD.encode(bytes))
        }
        ir::Image::Url(_) => {
            return Err(TranslateError::invalid(
                path,
                "image URLs are not supported; send the image as base64 data",
            ));
        }
    };
    let format = match format {
        ir::ImageFormat::Png => ImageFormat::Png,
        ir::ImageFormat::Jpeg => ImageFormat::Jpeg,
        ir::ImageFormat::Gif => ImageFormat::Gif,
        ir::ImageFormat::Webp => ImageFormat::Webp,
    };
    Ok(ImageBlock {
        format,
        source: ImageSource::Bytes(data),
    })
}

/// R3: consecutive turns of one role become one (a client retry can leave two assistant turns).
fn merge(turns: Vec<Turn>, fired: &mut Fired) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::with_capacity(turns.len());
    for t in turns {
        match out.last_mut() {
            Some(prev) if prev.user == t.user => {
                fired.fire(Rule::R3MergeSameRole);
                prev.texts.extend(t.texts);
                prev.images.extend(t.images);
                prev.tool_uses.extend(t.tool_uses);
                prev.tool_results.extend(t.tool_results);
            }
            _ => out.push(t),
        }
    }
    out
}

/// R5/R7 (orphan results → text), R6 (unanswered uses → cancelled results), R14 (duplicates),
/// R21 (order).
fn pair_tools(turns: &mut [Turn], fired: &mut Fired) {
    // One id, one call: a retried turn merged by R3 can repeat a tool use.
    for t in turns.iter_mut().filter(|t| !t.user) {
        let before = t.tool_uses.len();
        let mut seen = Vec::new();
        t.tool_uses.retain(|u| {
            let new = !seen.contains(&u.tool_use_id);
            seen.push(u.tool_use_id.clone());
            new
        });
        if t.tool_uses.len() != before {
            fired.fire(Rule::DuplicateToolUse);
        }
    }
    for i in 0..turns.len() {
        if !turns[i].user {
            continue;
        }
        let expected: Vec<String> = if i == 0 {
            Vec::new()
        } else {
            turns[i - 1]
                .tool_uses
                .iter()
                .map(|u| u.tool_use_id.clone())
                .collect()
        };
        let turn = &mut turns[i];
        let results = std::mem::take(&mut turn.tool_results);
        let mut kept: Vec<ToolResult> = Vec::new();
        let mut flattened = Vec::new();
        for r in results {
            if !expected.contains(&r.tool_use_id) {
                fired.fire(if i == 0 {
                    Rule::R7FirstTurnToolResults
                } else {
                    Rule::R5OrphanToolResult
                });
                flattened.push(format!(
                    "[Tool result for {}]\n{}",
                    r.tool_use_id,
                    result_text(&r)
                ));
            } else if kept.iter().any(|k| k.tool_use_id == r.tool_use_id) {
                fired.fire(Rule::R14DuplicateToolResult);
            } else {
                kept.push(r);
            }
        }
        if !flattened.is_empty() {
            // Results come first in the user content (client doc §2.3); keep that for the flattened text.
            let mut texts = flattened;
            texts.append(&mut turn.texts);
            turn.texts = texts;
        }
        for id in &expected {
            if !kept.iter().any(|k| &k.tool_use_id == id) {
                fired.fire(Rule::R6OrphanToolUse);
                kept.push(ToolResult {
                    tool_use_id: id.clone(),
                    content: vec![ToolResultContent::Text(CANCELLED.to_owned())],
                    status: ToolResultStatus::Error,
                });
            }
        }
        let before: Vec<String> = kept.iter().map(|k| k.tool_use_id.clone()).collect();
        kept.sort_by_key(|k| {
            expected
                .iter()
                .position(|e| e == &k.tool_use_id)
                .unwrap_or(usize::MAX)
        });
        if kept.iter().map(|k| &k.tool_use_id).ne(before.iter()) {
            fired.fire(Rule::R21ToolResultOrder);
        }
        turn.tool_results = kept;
    }
}

fn result_text(r: &ToolResult) -> String {
    r.content
        .iter()
        .map(|c| match c {
            ToolResultContent::Text(t) => t.clone(),
            ToolResultContent::Json(v) => v.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Last step: placeholders (R13), the current-turn instructions and the system pair (§4.5 step 1a).
pub fn finish(
    turns: &mut Vec<Turn>,
    system: Option<String>,
    reminder: Option<String>,
    fired: &mut Fired,
) {
    if let (Some(r), Some(last)) = (reminder, turns.last_mut()) {
        last.texts.push(r);
    }
    for t in turns.iter_mut() {
        if t.content().trim().is_empty() {
            fired.fire(Rule::R13EmptyContent);
            let placeholder = match (t.user, t.tool_results.is_empty(), t.tool_uses.is_empty()) {
                (true, false, _) => TOOL_RESULTS_ONLY,
                (false, _, false) => TOOL_USES_ONLY,
                _ => EMPTY,
            };
            t.texts = vec![placeholder.to_owned()];
        }
    }
    if let Some(s) = system {
        fired.fire(Rule::SystemPrompt);
        turns.insert(0, Turn::with_text(false, SYSTEM_ACK));
        turns.insert(0, Turn::with_text(true, &s));
    }
    // R4 holds by construction (alternation, user first and last); repair defensively if not.
    let n = turns.len();
    if n >= 2 && turns[n - 2].user {
        fired.fire(Rule::R4HistoryEndsAssistant);
        turns.insert(n - 1, Turn::with_text(false, "OK"));
    }
}
