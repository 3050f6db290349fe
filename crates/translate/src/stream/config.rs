//! What the stream state machine needs to know about the request (built from the parsed request and
//! its normalization).

use crate::ir::Dialect;
use crate::normalize::ToolNameMap;

/// What the state machine needs to know about the request.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Decides the tool-call id prefix (`toolu_` / `call_`).
    pub dialect: Dialect,
    /// Parse a leading `<thinking>` block (thinking was requested).
    pub thinking: bool,
    pub stop: Vec<String>,
    pub max_tokens: Option<u32>,
    /// Buffer the text, strip markdown fences and emit clean JSON at the end.
    pub json_mode: bool,
    /// Local estimate from [`crate::tokens::count_request`].
    pub input_tokens: u32,
    pub tool_names: ToolNameMap,
    /// Context window of the upstream model; with it a `contextUsageEvent` percentage refines the
    /// final input tokens when no `metadataEvent` gave exact figures (protocol doc §5.3, §5.8).
    pub context_window: Option<u32>,
}

impl StreamConfig {
    /// The configuration implied by a parsed request and its normalization.
    pub fn for_request(
        req: &crate::ir::ChatRequest,
        norm: &crate::normalize::Normalized,
        input_tokens: u32,
    ) -> Self {
        Self {
            dialect: req.dialect,
            thinking: norm.thinking.is_on(),
            stop: req.stop.clone(),
            max_tokens: req.max_tokens,
            json_mode: req.response_format.is_json(),
            input_tokens,
            tool_names: norm.tool_names.clone(),
            context_window: Some(norm.max_input_tokens),
        }
    }
}
