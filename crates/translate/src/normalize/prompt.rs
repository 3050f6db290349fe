//! Prompt text the gateway adds: the system prompt with thinking tags (protocol doc §4.5 steps 1 and 7)
//! and per-turn instructions that emulate what the upstream has no knob for (client doc §1.2
//! `tool_choice` required/named, `response_format`; §2.2 `output_config.format`).

use super::tools::ToolNameMap;
use super::{Fired, Rule};
use crate::ir::{ChatRequest, ResponseFormat, Thinking, ToolChoice};

/// Thinking budget clamp used by peers (AIC2A: 1024..=24576).
const MIN_BUDGET: u32 = 1_024;
const MAX_BUDGET: u32 = 24_576;

/// The `<thinking_mode>` tags for a thinking mode, or `None` when off.
pub fn thinking_tags(thinking: Thinking) -> Option<String> {
    match thinking {
        Thinking::Disabled => None,
        Thinking::Enabled { budget_tokens } => Some(format!(
            "<thinking_mode>enabled</thinking_mode><max_thinking_length>{}</max_thinking_length>",
            budget_tokens.clamp(MIN_BUDGET, MAX_BUDGET)
        )),
        Thinking::Adaptive { effort } => Some(format!(
            "<thinking_mode>adaptive</thinking_mode><thinking_effort>{}</thinking_effort>",
            effort.as_str()
        )),
    }
}

/// The whole system text: thinking tags first, then every system block in order.
pub fn system_text(blocks: &[String], thinking: Thinking, fired: &mut Fired) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let tags = thinking_tags(thinking);
    if let Some(t) = &tags {
        fired.fire(Rule::ThinkingPrompt);
        parts.push(t);
    }
    parts.extend(
        blocks
            .iter()
            .map(String::as_str)
            .filter(|b| !b.trim().is_empty()),
    );
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n\n"))
    }
}

/// Instructions appended to the current user turn (the most recent text the model reads).
pub fn current_instructions(
    req: &ChatRequest,
    names: &ToolNameMap,
    fired: &mut Fired,
) -> Option<String> {
    let mut lines = Vec::new();
    match &req.tool_choice {
        ToolChoice::Required if !req.tools.is_empty() => {
            fired.fire(Rule::ToolChoiceInstruction);
            lines.push(
                "You must call at least one of the available tools in this reply.".to_owned(),
            );
        }
        ToolChoice::Named(n) => {
            fired.fire(Rule::ToolChoiceInstruction);
            lines.push(format!(
                "You must call the tool `{}` in this reply.",
                names.upstream_name(n)
            ));
        }
        _ => {}
    }
    match &req.response_format {
        ResponseFormat::Text => {}
        ResponseFormat::JsonObject => {
            fired.fire(Rule::ResponseFormatInstruction);
            lines.push(
                "Respond only with one valid JSON object. Do not wrap it in markdown code fences and do not add \
                 any text before or after it."
                    .to_owned(),
            );
        }
        ResponseFormat::JsonSchema { schema, .. } => {
            fired.fire(Rule::ResponseFormatInstruction);
            lines.push(format!(
                "Respond only with one valid JSON value that matches this JSON schema: {schema}\nDo not wrap it in \
                 markdown code fences and do not add any text before or after it."
            ));
        }
    }
    if lines.is_empty() {
        None
    } else {
        Some(format!(
            "<system-reminder>\n{}\n</system-reminder>",
            lines.join("\n")
        ))
    }
}
