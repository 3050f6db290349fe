//! Web search for the Anthropic Messages and Responses dialects (issue 18 item 2): the pure half.
//!
//! The client's server tool (Anthropic `web_search_20250305` and later `web_search_*` versions;
//! Responses `web_search` / `web_search_preview`) goes upstream as an ordinary tool named
//! [`TOOL_NAME`] with input `{query}` ([`tool_def`]); the model decides whether to call it. The
//! gateway runs each call through the account's Kiro search and feeds the outcome back as a tool
//! result ([`prompt::tool_result_text`]), then continues the upstream call. What the client sees is
//! rendered by the dialect encoders from [`SearchEvent`]s (`sse::anthropic::search`,
//! `sse::responses::search`): Anthropic `server_tool_use` + `web_search_tool_result` blocks,
//! `citations` on answer text and `usage.server_tool_use.web_search_requests`; Responses
//! `web_search_call` items and `url_citation` annotations. Non-stream bodies replay the same events
//! through the same encoders ([`body`]), so both cannot diverge.
//!
//! - [`options`]: the tool's settings (`max_uses`, `allowed_domains`, `blocked_domains`,
//!   `user_location`) from either dialect, and the domain filter;
//! - [`prompt`]: the query out of the model's call, the tool result text back in;
//! - [`cite`]: which results an answer text cites (it mentions their URL).

pub mod body;
pub mod cite;
pub mod options;
pub mod prompt;

use serde_json::json;

use crate::ir::ToolDef;

pub use options::{WebSearchOptions, anthropic_options, responses_options};

/// The upstream tool's name (also what a Claude Code `server_tool_use` block names).
pub const TOOL_NAME: &str = "web_search";

/// The tool the model sees: its description says when searching helps and what comes back.
pub fn tool_def() -> ToolDef {
    ToolDef {
        name: TOOL_NAME.to_owned(),
        description:
            "Search the web for current information. Use it when the question needs facts \
            that may have changed after your training data, recent events, or when the user asks \
            you to search. Returns a list of results (title, URL, snippet, date); cite the sources \
            you use by their URL."
                .to_owned(),
        input_schema: json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "The search query"}
            },
            "required": ["query"],
        }),
    }
}

/// One search result (what the Kiro search answers, after the domain filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub title: String,
    pub url: String,
    pub snippet: Option<String>,
    /// As the search gave it (e.g. `2025-11-02`); Anthropic `page_age`.
    pub published_date: Option<String>,
}

/// Why a search produced no results (Anthropic `web_search_tool_result_error.error_code`; the
/// Responses item then has `status: "failed"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchError {
    /// The account cannot search (no profile, plan without it) or the search service failed.
    Unavailable,
    /// The request's `max_uses` searches were spent.
    MaxUsesExceeded,
    /// The search service throttled the account.
    TooManyRequests,
    /// The call carried no usable query.
    InvalidInput,
    /// The query is longer than the search accepts.
    QueryTooLong,
}

impl SearchError {
    /// The Anthropic `error_code`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::MaxUsesExceeded => "max_uses_exceeded",
            Self::TooManyRequests => "too_many_requests",
            Self::InvalidInput => "invalid_tool_input",
            Self::QueryTooLong => "query_too_long",
        }
    }
}

/// The gateway's search steps, in the order they happen; the encoders render them between the
/// model's [`OutEvent`](crate::ir::OutEvent)s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchEvent {
    /// The model asked for a search (`id`: the client-facing id, `srvtoolu_…` for Anthropic).
    Call { id: String, query: String },
    /// Its outcome (follows its `Call` directly).
    Result {
        id: String,
        outcome: Result<Vec<SearchHit>, SearchError>,
    },
}

/// The answer of one web-search request as events: the model's output and the search steps, in
/// order (what the non-stream bodies are built from).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Out(crate::ir::OutEvent),
    Search(SearchEvent),
}
