//! IR → upstream `GenerateAssistantResponseRequest`, applying named rules (protocol doc §4.4 R1–R21,
//! §4.5 folding recipe, Addendum overrides). Each rule that changes the request is reported in
//! [`Normalized::rules`] so the gateway can count it and list it in the request log.
//!
//! Pipeline (order matters, see each step):
//! 1. `turns::build` — IR messages → alternating user/assistant turns (system messages, thinking,
//!    placeholders, pairing of tool uses and results: R1–R7, R13–R15, R21).
//! 2. `images::limit` — image caps and ageing (R18).
//! 3. `tools::declare` — tool specs incl. history-only tools, name shortening, descriptions, schemas
//!    (R8, R10–R12) and `tool_choice`.
//! 4. `prompt` — system prompt pair, thinking tags (§4.5 step 7), emulation instructions.
//! 5. `wire` — the final serde body (R9, R16, dialect K extras).

mod images;
mod prompt;
mod tools;
mod turns;
mod wire;

pub use images::ImageLimits;
pub use tools::{ToolLimits, ToolNameMap};

use amazonq::types::GenerateAssistantResponseRequest;

use crate::error::Result;
use crate::ir::{ChatRequest, Thinking};
use crate::models::ResolvedModel;

/// A normalization rule that fired. Names follow §4.4 where a rule exists there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// The conversation ended with an assistant turn: kept in history, `Continue` sent as the user turn.
    R1TrailingAssistant,
    /// The conversation started with an assistant turn: a placeholder user turn was prepended.
    R2FirstTurnUser,
    /// Consecutive same-role turns were merged.
    R3MergeSameRole,
    /// A dangling user turn in history got a placeholder assistant reply.
    R4HistoryEndsAssistant,
    /// Tool results without a matching preceding tool use were flattened to text.
    R5OrphanToolResult,
    /// Tool uses without a result got a synthetic "cancelled" error result.
    R6OrphanToolUse,
    /// Tool results in the first turn were flattened to text.
    R7FirstTurnToolResults,
    /// Tools used in history but not declared got placeholder specs.
    R8HistoryToolSpecs,
    /// Tool names longer than 63 characters were shortened (reversibly).
    R10ToolNameShortened,
    /// A tool description was empty or too long.
    R11ToolDescription,
    /// A tool input schema was repaired (nulls, missing type/properties, bad `required`).
    R12SchemaNormalized,
    /// Empty content got a placeholder.
    R13EmptyContent,
    /// Duplicate tool results for one id were dropped.
    R14DuplicateToolResult,
    /// Empty-string keys were removed from a tool input.
    R15EmptyInputKey,
    /// Images beyond the per-request cap or in old turns were replaced by a text note.
    R18ImageLimit,
    /// Tool results were reordered to follow their tool uses.
    R21ToolResultOrder,
    /// The system prompt was sent as a leading user/assistant pair (§4.5 step 1a).
    SystemPrompt,
    /// A `role:"system"` message inside the conversation was inlined as a `<system-reminder>`.
    SystemMessageInline,
    /// Thinking / redacted-thinking blocks were dropped from history.
    ThinkingDropped,
    /// Thinking was requested: prompt tags were added (§4.5 step 7).
    ThinkingPrompt,
    /// Thinking was requested of a model with native effort: sent as
    /// `additionalModelRequestFields` (kiro-2026-endpoints.md §4) instead of prompt tags.
    NativeEffort,
    /// `tool_choice` required/named: an instruction was added (best effort).
    ToolChoiceInstruction,
    /// `tool_choice: none`: no tool specs were offered.
    ToolChoiceNone,
    /// JSON output was requested: an instruction was added.
    ResponseFormatInstruction,
    /// Images inside tool results were moved onto the user message (results carry text only).
    ToolResultImageLifted,
    /// A tool use id repeated within one assistant turn was dropped.
    DuplicateToolUse,
}

impl Rule {
    /// Every rule, for pre-registering metrics.
    pub const ALL: [Rule; 26] = [
        Self::R1TrailingAssistant,
        Self::R2FirstTurnUser,
        Self::R3MergeSameRole,
        Self::R4HistoryEndsAssistant,
        Self::R5OrphanToolResult,
        Self::R6OrphanToolUse,
        Self::R7FirstTurnToolResults,
        Self::R8HistoryToolSpecs,
        Self::R10ToolNameShortened,
        Self::R11ToolDescription,
        Self::R12SchemaNormalized,
        Self::R13EmptyContent,
        Self::R14DuplicateToolResult,
        Self::R15EmptyInputKey,
        Self::R18ImageLimit,
        Self::R21ToolResultOrder,
        Self::SystemPrompt,
        Self::SystemMessageInline,
        Self::ThinkingDropped,
        Self::ThinkingPrompt,
        Self::NativeEffort,
        Self::ToolChoiceInstruction,
        Self::ToolChoiceNone,
        Self::ResponseFormatInstruction,
        Self::ToolResultImageLifted,
        Self::DuplicateToolUse,
    ];

    /// Stable snake-case name for metrics labels and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::R1TrailingAssistant => "r1_trailing_assistant",
            Self::R2FirstTurnUser => "r2_first_turn_user",
            Self::R3MergeSameRole => "r3_merge_same_role",
            Self::R4HistoryEndsAssistant => "r4_history_ends_assistant",
            Self::R5OrphanToolResult => "r5_orphan_tool_result",
            Self::R6OrphanToolUse => "r6_orphan_tool_use",
            Self::R7FirstTurnToolResults => "r7_first_turn_tool_results",
            Self::R8HistoryToolSpecs => "r8_history_tool_specs",
            Self::R10ToolNameShortened => "r10_tool_name_shortened",
            Self::R11ToolDescription => "r11_tool_description",
            Self::R12SchemaNormalized => "r12_schema_normalized",
            Self::R13EmptyContent => "r13_empty_content",
            Self::R14DuplicateToolResult => "r14_duplicate_tool_result",
            Self::R15EmptyInputKey => "r15_empty_input_key",
            Self::R18ImageLimit => "r18_image_limit",
            Self::R21ToolResultOrder => "r21_tool_result_order",
            Self::SystemPrompt => "system_prompt",
            Self::SystemMessageInline => "system_message_inline",
            Self::ThinkingDropped => "thinking_dropped",
            Self::ThinkingPrompt => "thinking_prompt",
            Self::NativeEffort => "native_effort",
            Self::ToolChoiceInstruction => "tool_choice_instruction",
            Self::ToolChoiceNone => "tool_choice_none",
            Self::ResponseFormatInstruction => "response_format_instruction",
            Self::ToolResultImageLifted => "tool_result_image_lifted",
            Self::DuplicateToolUse => "duplicate_tool_use",
        }
    }
}

/// Rules that fired, without duplicates, in first-fired order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fired(Vec<Rule>);

impl Fired {
    pub fn fire(&mut self, r: Rule) {
        if !self.0.contains(&r) {
            self.0.push(r);
        }
    }

    pub fn contains(&self, r: Rule) -> bool {
        self.0.contains(&r)
    }

    pub fn as_slice(&self) -> &[Rule] {
        &self.0
    }

    /// Names, for logs.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|r| r.name()).collect()
    }
}

/// Which upstream dialect the body is for (protocol doc §4.1/§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpstreamDialect {
    /// Amazon Q (`x-amz-target` JSON 1.0).
    #[default]
    AmazonQ,
    /// Kiro (`/generateAssistantResponse`): adds `agentTaskType`, `agentContinuationId`, history `modelId`.
    Kiro,
}

/// Limits and per-request identifiers supplied by the gateway (the crate creates no ids itself, so
/// output is deterministic for tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamOptions {
    pub dialect: UpstreamDialect,
    pub conversation_id: String,
    /// Kiro only; defaults to the conversation id when `None`.
    pub agent_continuation_id: Option<String>,
    pub profile_arn: Option<String>,
    /// `userInputMessage.origin` (e.g. `CLI`, `AI_EDITOR`); `None` leaves it out.
    pub origin: Option<String>,
    /// Text put first in the system prompt, e.g. to counter the upstream's own identity prompt
    /// (§4.5 step 8: configurable, not part of the protocol). `None` adds nothing.
    pub identity_prompt: Option<String>,
    pub tool_limits: ToolLimits,
    pub image_limits: ImageLimits,
}

/// The upstream body plus what the stream side needs to translate the answer back.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    pub request: GenerateAssistantResponseRequest,
    pub rules: Fired,
    /// Maps upstream tool names back to the client's (R10 shortening, case-insensitive matching).
    pub tool_names: ToolNameMap,
    /// The thinking mode in force (request, else model name); the stream parses `<thinking>` only then.
    pub thinking: Thinking,
    pub model_id: String,
    /// The model's prompt limit (catalog `maxInputTokens`, else the built-in window).
    pub max_input_tokens: u32,
}

/// Builds the upstream request for `req`, served by `model`.
pub fn normalize(
    req: &ChatRequest,
    model: &ResolvedModel,
    opts: &UpstreamOptions,
) -> Result<Normalized> {
    let mut fired = Fired::default();
    let thinking = req.thinking.or(model.thinking).unwrap_or_default();
    // Native effort replaces the prompt tags; the answer's reasoning still comes back as thinking.
    let native = model.effort_schema().and_then(|s| s.fields(thinking));
    let prompt_thinking = if native.is_some() {
        fired.fire(Rule::NativeEffort);
        Thinking::Disabled
    } else {
        thinking
    };

    let built = turns::build(&req.messages, &mut fired)?;
    let mut turns = built.turns;
    images::limit(&mut turns, &opts.image_limits, &mut fired)?;
    let declared = tools::declare(req, &mut turns, &opts.tool_limits, &mut fired);
    let mut system_blocks: Vec<String> = opts.identity_prompt.iter().cloned().collect();
    system_blocks.extend(req.system.iter().cloned());
    system_blocks.extend(built.leading_system);
    let system = prompt::system_text(&system_blocks, prompt_thinking, &mut fired);
    let reminder = prompt::current_instructions(req, &declared.names, &mut fired);
    turns::finish(&mut turns, system, reminder, &mut fired);

    let mut request = wire::build(turns, declared.specs, &model.upstream_id, opts);
    request.additional_model_request_fields = native;
    Ok(Normalized {
        request,
        rules: fired,
        tool_names: declared.names,
        thinking,
        model_id: model.upstream_id.clone(),
        max_input_tokens: model.max_input_tokens(),
    })
}

#[cfg(test)]
mod tests;
