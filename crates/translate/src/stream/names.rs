//! Small naming helpers of the stream side: client tool ids and the truncated-tool notice. (An
//! in-stream failure is classified by `amazonq::error::classify_exception`, like an HTTP answer.)

use crate::ir::Dialect;

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
