//! Small naming and classification helpers of the stream side: client tool ids, the truncated-tool
//! notice, and the class of an in-stream failure (protocol doc §5.1 classification order).

use crate::ir::{Dialect, StreamErrorKind};

/// Text shown instead of a tool call whose JSON the upstream cut off.
pub fn truncated_tool_notice(name: &str, bytes: usize) -> String {
    format!(
        "\n\n[The call to tool `{name}` was cut off by the upstream after {bytes} bytes of arguments, so it was \
         not run. Retry with smaller arguments, for example by splitting the content into several calls.]"
    )
}

/// Client-facing tool id: `toolu_…` (Anthropic) or `call_…` (OpenAI), from the upstream id.
pub fn client_tool_id(dialect: Dialect, upstream: &str) -> String {
    let core = upstream.strip_prefix("tooluse_").unwrap_or(upstream);
    match dialect {
        Dialect::Anthropic if upstream.starts_with("toolu_") => upstream.to_owned(),
        Dialect::Anthropic => format!("toolu_{core}"),
        Dialect::OpenAi if upstream.starts_with("call_") => upstream.to_owned(),
        Dialect::OpenAi => format!("call_{core}"),
    }
}

/// In-stream failure class from exception type / reason / message (protocol doc §5.1 classification).
pub(super) fn classify(kind: &str, reason: Option<&str>, message: &str) -> StreamErrorKind {
    let all = format!("{kind} {} {message}", reason.unwrap_or_default());
    if all.contains("CONTENT_LENGTH_EXCEEDS_THRESHOLD") || all.contains("Input is too long") {
        StreamErrorKind::ContextOverflow
    } else if all.contains(super::stop_reason::MODEL_TEMPORARILY_UNAVAILABLE)
        || all.contains("Throttling")
        || all.contains("INSUFFICIENT_MODEL_CAPACITY")
        || all.contains("high load")
    {
        StreamErrorKind::Overloaded
    } else {
        StreamErrorKind::Upstream
    }
}
