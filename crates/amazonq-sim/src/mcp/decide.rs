//! The simulated model "decides" to search the web (crate docs, "Web search"). A chat request
//! offers the search as an ordinary tool: a `toolSpecification` named `web_search` with input
//! `{query: string}` (what kiro-cli sends for its built-in tool; gateways pass it the same way).
//!
//! - `#search <query>` in the current user message ([`Step::WebSearch`], resolved by
//!   [`resolve`]): with a `web_search` tool in the request, a `toolUseEvent` `web_search`
//!   `{"query": "<query>"}` (the stream then ends, as for any tool use); without one, a text answer
//!   that says no search tool was offered.
//! - Claude Code's WebSearch wording — a line `Perform a web search for the query: <query>` in the
//!   current message of a request with a `web_search` tool — decides the same search, without a
//!   directive ([`implicit`]).
//! - When the current message carries a `toolResult` for a `web_search` tool use of the history,
//!   the answer cites the first result deterministically: `According to <title> (<url>), here is
//!   what I found about "<query>".` (no results: `The web search for "<query>" returned no
//!   results.`; status `error`: `The web search for "<query>" failed: <text>`). The first result is
//!   the first JSON object with string `title` and `url` in the result's `json` blocks or in its
//!   `text` blocks parsed as JSON; in plain text, the first `http(s)://` link, titled by the rest of
//!   its line (or by the line before, without a `Title:` label).
//!
//! Pure code.

use serde_json::Value;

use super::results::TOOL_NAME;
use crate::script::{Script, Step};

/// Claude Code's WebSearch tool puts the query after this prefix (hank9999/kiro.rs,
/// `websearch.rs`; kiro-go `websearch.go`).
pub const CLAUDE_CODE_PREFIX: &str = "Perform a web search for the query:";

const CURRENT: &str = "/conversationState/currentMessage/userInputMessage";

/// True when the request offers a tool named `web_search`.
pub fn offers_search(json: &Value) -> bool {
    json.pointer(&format!("{CURRENT}/userInputMessageContext/tools"))
        .and_then(Value::as_array)
        .is_some_and(|tools| {
            tools.iter().any(|t| {
                t.pointer("/toolSpecification/name").and_then(Value::as_str) == Some(TOOL_NAME)
            })
        })
}

/// The query of Claude Code's wording in `text`, if a line carries it.
pub fn claude_code_query(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(CLAUDE_CODE_PREFIX))
        .map(str::trim)
        .find(|q| !q.is_empty())
        .map(str::to_owned)
}

/// The script of a request without directives: the answer to a search result, else Claude
/// Code's search, else `None` (echo mode).
pub fn implicit(json: &Value) -> Option<Script> {
    let step = if let Some(text) = answer_to_results(json) {
        Step::Text {
            content: text,
            split: None,
        }
    } else {
        let text = json
            .pointer(&format!("{CURRENT}/content"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let query = claude_code_query(text).filter(|_| offers_search(json))?;
        Step::WebSearch { query }
    };
    Some(Script {
        steps: vec![step],
        ..Script::default()
    })
}

/// Turns every [`Step::WebSearch`] of `script` into the tool use (a `web_search` tool is
/// offered) or the text answer (it is not).
pub fn resolve(script: &mut Script, json: &Value) {
    if !script
        .steps
        .iter()
        .any(|s| matches!(s, Step::WebSearch { .. }))
    {
        return;
    }
    let offered = offers_search(json);
    for step in &mut script.steps {
        if let Step::WebSearch { query } = step {
            *step = if offered {
                Step::ToolUse {
                    id: None,
                    name: TOOL_NAME.to_owned(),
                    input: serde_json::json!({ "query": query }).to_string(),
                    fragments: 2,
                    first_event_has_input: false,
                    stop_carries_last_fragment: false,
                }
            } else {
                Step::Text {
                    content: format!(
                        "I cannot search the web for \"{query}\": no web_search tool was offered."
                    ),
                    split: None,
                }
            };
        }
    }
}

/// The `web_search` tool uses of the history: (toolUseId, query).
fn search_uses(json: &Value) -> Vec<(String, String)> {
    let Some(history) = json
        .pointer("/conversationState/history")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    history
        .iter()
        .filter_map(|m| m.pointer("/assistantResponseMessage/toolUses"))
        .filter_map(Value::as_array)
        .flatten()
        .filter(|u| u.get("name").and_then(Value::as_str) == Some(TOOL_NAME))
        .filter_map(|u| {
            let id = u.get("toolUseId").and_then(Value::as_str)?;
            let query = u
                .pointer("/input/query")
                .and_then(Value::as_str)
                .unwrap_or("");
            Some((id.to_owned(), query.to_owned()))
        })
        .collect()
}

/// The cited answer when the current message carries a result of a `web_search` tool use.
fn answer_to_results(json: &Value) -> Option<String> {
    let results = json
        .pointer(&format!("{CURRENT}/userInputMessageContext/toolResults"))?
        .as_array()?;
    let uses = search_uses(json);
    let (result, query) = results.iter().find_map(|r| {
        let id = r.get("toolUseId").and_then(Value::as_str)?;
        let (_, q) = uses.iter().find(|(u, _)| u == id)?;
        Some((r, q.as_str()))
    })?;
    let blocks = result
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if result.get("status").and_then(Value::as_str) == Some("error") {
        let text = blocks
            .iter()
            .find_map(|b| b.get("text").and_then(Value::as_str))
            .unwrap_or("no details");
        return Some(format!("The web search for \"{query}\" failed: {text}"));
    }
    Some(match first_source(blocks) {
        Some((title, url)) => {
            format!("According to {title} ({url}), here is what I found about \"{query}\".")
        }
        None => format!("The web search for \"{query}\" returned no results."),
    })
}

/// The first (title, url) of a tool result's content blocks (module docs).
fn first_source(blocks: &[Value]) -> Option<(String, String)> {
    let parsed: Vec<Value> = blocks
        .iter()
        .filter_map(
            |b| match (b.get("json"), b.get("text").and_then(Value::as_str)) {
                (Some(j), _) => Some(j.clone()),
                (None, Some(t)) => serde_json::from_str(t).ok(),
                _ => None,
            },
        )
        .collect();
    parsed.iter().find_map(object_source).or_else(|| {
        blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .find_map(text_source)
    })
}

/// Depth-first: the first object with string `title` and `url`.
fn object_source(v: &Value) -> Option<(String, String)> {
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(t)), Some(Value::String(u))) = (o.get("title"), o.get("url"))
            {
                return Some((t.clone(), u.clone()));
            }
            o.values().find_map(object_source)
        }
        Value::Array(a) => a.iter().find_map(object_source),
        _ => None,
    }
}

/// Plain text: the first link, titled by the rest of its line or by the line before.
fn text_source(text: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let clean = |s: &str| {
        let s = s.trim().trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | ')' | '-' | '*' | '#' | ' ')
        });
        let s = s
            .strip_prefix("Title:")
            .or_else(|| s.strip_prefix("title:"))
            .unwrap_or(s);
        s.trim_matches(|c: char| c.is_whitespace() || "-–:|()[]<>*\"'".contains(c))
            .to_owned()
    };
    lines.iter().enumerate().find_map(|(i, line)| {
        let start = line.find("https://").or_else(|| line.find("http://"))?;
        let rest = line.get(start..)?;
        let end = rest
            .find(|c: char| c.is_whitespace() || "<>\"')]".contains(c))
            .unwrap_or(rest.len());
        let url = rest
            .get(..end)?
            .trim_end_matches(['.', ',', ';'])
            .to_owned();
        let own = clean(line.get(..start).unwrap_or(""));
        let own = own
            .strip_suffix("URL")
            .or_else(|| own.strip_suffix("Url"))
            .map_or(own.clone(), &clean);
        let title = if own.is_empty() {
            i.checked_sub(1)
                .and_then(|p| lines.get(p))
                .map(|l| clean(l))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| url.clone())
        } else {
            own
        };
        Some((title, url))
    })
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
