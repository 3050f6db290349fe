//! The wire side of the web search (`docs/upstream-mcp-web-search.md`): the JSON-RPC request body,
//! the answer's envelope and embedded payload, and the classification of tool-level failures.
//! Pure code.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WEB_SEARCH_TOOL;
use crate::client::ClientError;
use crate::error::ErrorClass;

/// One search result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSearchHit {
    pub title: String,
    pub url: String,
    pub snippet: Option<String>,
    /// RFC 3339 UTC (`2026-04-07T00:00:00Z`) when the service sent epoch milliseconds (what it
    /// sends today); a date string the service sent is passed on unchanged.
    pub published_date: Option<String>,
    pub domain: Option<String>,
    /// The service's id of the result (`"1"`, `"2"`, …).
    pub id: Option<String>,
    /// The most words that may be quoted verbatim from this source (the service sends 30).
    pub max_verbatim_word_limit: Option<u32>,
    pub public_domain: Option<bool>,
}

/// The answer of one search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebSearchResults {
    pub hits: Vec<WebSearchHit>,
    /// `x-amzn-requestid` of the answer.
    pub request_id: Option<String>,
    /// The service's `totalResults`, when sent.
    pub total_results: Option<u64>,
    /// The query as the service echoed it, when sent.
    pub query: Option<String>,
}

/// What kind of tool-level failure the service reported (read from the JSON-RPC code and the
/// message; the service's own codes and texts are not public, see the protocol doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpErrorKind {
    /// The bearer token was refused.
    Unauthorized,
    /// The profile ARN is missing or not the account's.
    ProfileRejected,
    /// Too many searches.
    Throttled,
    /// The account's plan or settings do not include web search.
    NotEntitled,
    /// The arguments were refused (empty or too long query): JSON-RPC -32602.
    InvalidParams,
    /// The request itself was not JSON-RPC the service understands: -32700 / -32600.
    InvalidRequest,
    /// JSON-RPC -32601.
    MethodNotFound,
    /// The service does not know the tool name.
    UnknownTool,
    /// Anything else (-32603, unknown codes and texts).
    Internal,
}

/// A tool-level failure: a JSON-RPC `error`, an `isError: true` result or a payload `error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("web search failed ({kind:?}, code {code:?}): {message}")]
pub struct McpError {
    pub kind: McpErrorKind,
    /// The JSON-RPC error code (None for `isError` results and payload errors).
    pub code: Option<i64>,
    pub message: String,
    /// `x-amzn-requestid` of the answer.
    pub request_id: Option<String>,
}

impl McpError {
    pub fn new(kind: McpErrorKind, code: Option<i64>, message: String) -> Self {
        Self {
            kind,
            code,
            message,
            request_id: None,
        }
    }

    /// A failure classified from its code and text.
    pub fn classified(code: Option<i64>, message: String) -> Self {
        Self::new(classify(code, &message), code, message)
    }

    /// The retry / rotation class. A search the account is not entitled to is a `BadRequest`:
    /// retrying cannot help and it says nothing about the account's chat.
    pub fn class(&self) -> ErrorClass {
        match self.kind {
            McpErrorKind::Unauthorized => ErrorClass::NeedsRefresh,
            McpErrorKind::ProfileRejected => ErrorClass::ProfileRejected,
            McpErrorKind::Throttled => ErrorClass::Throttled { retry_after: None },
            McpErrorKind::NotEntitled => ErrorClass::BadRequest {
                message: format!(
                    "web search is not available for this account: {}",
                    self.message
                ),
            },
            McpErrorKind::InvalidParams
            | McpErrorKind::InvalidRequest
            | McpErrorKind::MethodNotFound
            | McpErrorKind::UnknownTool => ErrorClass::BadRequest {
                message: format!("web search refused the request: {}", self.message),
            },
            McpErrorKind::Internal => ErrorClass::Transient,
        }
    }
}

impl From<McpError> for ClientError {
    fn from(e: McpError) -> Self {
        Self::Mcp(Box::new(e))
    }
}

/// The kind of a failure from its JSON-RPC code and message. The protocol codes decide first;
/// then keywords of the texts the chat host is known to use for the same conditions.
pub fn classify(code: Option<i64>, message: &str) -> McpErrorKind {
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    match code {
        Some(-32700 | -32600) => return McpErrorKind::InvalidRequest,
        Some(-32601) => return McpErrorKind::MethodNotFound,
        Some(-32602) if has(&["unknown tool", "tool not found", "no such tool"]) => {
            return McpErrorKind::UnknownTool;
        }
        Some(-32602) => return McpErrorKind::InvalidParams,
        _ => {}
    }
    if has(&[
        "throttl",
        "rate exceeded",
        "too many requests",
        "rate limit",
    ]) {
        McpErrorKind::Throttled
    } else if has(&[
        "profilearn",
        "profile arn",
        "not authorized to make this call",
    ]) {
        McpErrorKind::ProfileRejected
    } else if has(&[
        "bearer token",
        "expired token",
        "token is expired",
        "unauthenticated",
    ]) {
        McpErrorKind::Unauthorized
    } else if has(&[
        "not entitled",
        "not enabled",
        "not available",
        "disabled",
        "subscription",
        "upgrade",
        "access denied",
    ]) {
        McpErrorKind::NotEntitled
    } else if has(&["unknown tool", "tool not found"]) {
        McpErrorKind::UnknownTool
    } else {
        McpErrorKind::Internal
    }
}

#[derive(Serialize)]
struct CallRequest<'a> {
    id: &'a str,
    jsonrpc: &'static str,
    method: &'static str,
    params: CallParams<'a>,
    #[serde(rename = "profileArn", skip_serializing_if = "Option::is_none")]
    profile_arn: Option<&'a str>,
}

#[derive(Serialize)]
struct CallParams<'a> {
    name: &'static str,
    arguments: Arguments<'a>,
}

#[derive(Serialize)]
struct Arguments<'a> {
    query: &'a str,
}

/// The `tools/call` body; `profile_arn` goes to the root (the runtime host's rule).
pub(super) fn call_body(
    id: &str,
    query: &str,
    profile_arn: Option<&str>,
) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(&CallRequest {
        id,
        jsonrpc: "2.0",
        method: "tools/call",
        params: CallParams {
            name: WEB_SEARCH_TOOL,
            arguments: Arguments { query },
        },
        profile_arn,
    })
    .map_err(|e| ClientError::Decode(e.to_string()))
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    result: Option<CallResult>,
    #[serde(default)]
    error: Option<RpcError>,
}

#[derive(Deserialize)]
struct RpcError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct CallResult {
    #[serde(default)]
    content: Vec<Content>,
    #[serde(default, rename = "isError")]
    is_error: bool,
}

#[derive(Deserialize)]
struct Content {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    results: Vec<RawHit>,
    #[serde(default)]
    total_results: Option<u64>,
    #[serde(default)]
    query: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHit {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    snippet: Option<String>,
    #[serde(default)]
    published_date: Option<Value>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    max_verbatim_word_limit: Option<u32>,
    #[serde(default)]
    public_domain: Option<bool>,
}

/// Why an answer is not a list of hits.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Failure {
    /// The tool reported a failure.
    Tool(McpError),
    /// The answer is not the documented shape.
    Decode(String),
}

fn decode(what: &str) -> Failure {
    Failure::Decode(format!("web search answer: {what}"))
}

/// `publishedDate`: epoch milliseconds → RFC 3339; a string is kept; anything else is dropped.
fn published(v: Option<Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        Value::String(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// Reads a 200 answer of `tools/call` `web_search`. Hits without a URL are skipped (nothing can
/// cite them); a hit without a title is titled by its URL.
pub(super) fn parse_answer(body: &[u8]) -> Result<WebSearchResults, Failure> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| decode(&format!("not JSON-RPC ({e})")))?;
    if let Some(e) = envelope.error {
        let message = e
            .message
            .unwrap_or_else(|| "JSON-RPC error without a message".to_owned());
        return Err(Failure::Tool(McpError::classified(e.code, message)));
    }
    let result = envelope
        .result
        .ok_or_else(|| decode("neither result nor error"))?;
    let mut texts = result
        .content
        .into_iter()
        .filter(|c| c.kind == "text")
        .filter_map(|c| c.text);
    if result.is_error {
        let message = texts.collect::<Vec<_>>().join("\n");
        let message = if message.trim().is_empty() {
            "the web_search tool reported an error".to_owned()
        } else {
            message
        };
        return Err(Failure::Tool(McpError::classified(None, message)));
    }
    let text = texts.next().ok_or_else(|| decode("no text content"))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| decode(&format!("the text content is not JSON ({e})")))?;
    if let Some(err) = value.get("error").and_then(Value::as_str)
        && !err.trim().is_empty()
    {
        return Err(Failure::Tool(McpError::classified(None, err.to_owned())));
    }
    let payload: Payload =
        serde_json::from_value(value).map_err(|e| decode(&format!("unexpected payload ({e})")))?;
    let hits = payload
        .results
        .into_iter()
        .filter_map(|h| {
            let url = h.url.filter(|u| !u.trim().is_empty())?;
            Some(WebSearchHit {
                title: h
                    .title
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or_else(|| url.clone()),
                snippet: h.snippet,
                published_date: published(h.published_date),
                domain: h.domain,
                id: h.id.and_then(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }),
                max_verbatim_word_limit: h.max_verbatim_word_limit,
                public_domain: h.public_domain,
                url,
            })
        })
        .collect();
    Ok(WebSearchResults {
        hits,
        request_id: None,
        total_results: payload.total_results,
        query: payload.query,
    })
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
