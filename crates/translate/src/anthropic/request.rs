//! Anthropic Messages request → IR (client doc §2.2 field table, §2.3 content blocks).
//!
//! Lenient where Claude Code and the SDKs are loose (unknown fields and block fields like
//! `cache_control`, `role:"system"` messages anywhere, thinking of every type); 400 naming the field for
//! what cannot be honoured: server tools other than web search (`web_search_*`, which the gateway
//! runs: `crate::web_search`), non-empty `mcp_servers`, file/PDF sources.

use serde_json::Value;

use crate::error::{Result, TranslateError};
use crate::image;
use crate::ir::{
    ChatRequest, Dialect, Effort, Message, Metadata, Part, ResponseFormat, Role, Thinking,
    ToolChoice, ToolDef, ToolResultPart,
};
use crate::json::{
    Obj, as_obj, get, idx, join, opt_arr, opt_bool, opt_obj, opt_str, opt_u32, parse_object,
    req_str, required, str_or_list, type_error,
};

/// Which endpoint the body is for: `count_tokens` takes the same body minus `max_tokens`/`stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Messages,
    CountTokens,
}

/// Parses a `/v1/messages` (or `count_tokens`) body.
pub fn parse(body: &[u8], endpoint: Endpoint) -> Result<ChatRequest> {
    parse_value(&parse_object(body)?, endpoint)
}

pub fn parse_value(o: &Obj, endpoint: Endpoint) -> Result<ChatRequest> {
    let model = req_str(o, "model", "")?.to_owned();
    let max_tokens = opt_u32(o, "max_tokens", "")?;
    if endpoint == Endpoint::Messages && max_tokens.is_none() {
        return Err(required("max_tokens"));
    }
    if let Some(servers) = opt_arr(o, "mcp_servers", "")?
        && !servers.is_empty()
    {
        return Err(TranslateError::invalid(
            "mcp_servers",
            "mcp_servers: remote MCP servers are not supported",
        ));
    }
    let system = parse_system(o)?;
    let messages = parse_messages(o)?;
    let tools = parse_tools(o)?;
    let tool_choice = parse_tool_choice(o)?;
    let effort = opt_obj(o, "output_config", "")?
        .and_then(|oc| oc.get("effort").and_then(Value::as_str))
        .map(effort_of);
    let thinking = parse_thinking(o, effort)?;
    Ok(ChatRequest {
        dialect: Dialect::Anthropic,
        model,
        system,
        messages,
        tools,
        tool_choice,
        thinking,
        max_tokens,
        stop: str_or_list(o, "stop_sequences", "")?,
        response_format: parse_output_format(o)?,
        stream: endpoint == Endpoint::Messages && opt_bool(o, "stream", "")?.unwrap_or(false),
        include_usage: false,
        metadata: parse_metadata(o)?,
    })
}

fn effort_of(s: &str) -> Effort {
    match s {
        "minimal" => Effort::Low,
        other => Effort::parse(other).unwrap_or(Effort::High),
    }
}

fn parse_system(o: &Obj) -> Result<Vec<String>> {
    match get(o, "system") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(if s.is_empty() {
            Vec::new()
        } else {
            vec![s.clone()]
        }),
        Some(Value::Array(blocks)) => {
            let mut out = Vec::new();
            for (i, b) in blocks.iter().enumerate() {
                let path = idx("system", i);
                let b = as_obj(b, &path)?;
                let text = req_str(b, "text", &path)?;
                if !text.is_empty() {
                    out.push(text.to_owned());
                }
            }
            Ok(out)
        }
        Some(_) => Err(type_error("system", "a string or a list of text blocks")),
    }
}

fn parse_messages(o: &Obj) -> Result<Vec<Message>> {
    let arr = opt_arr(o, "messages", "")?.ok_or_else(|| required("messages"))?;
    if arr.is_empty() {
        return Err(TranslateError::invalid(
            "messages",
            "messages: at least one message is required",
        ));
    }
    let mut out = Vec::with_capacity(arr.len());
    for (i, v) in arr.iter().enumerate() {
        let path = idx("messages", i);
        let m = as_obj(v, &path)?;
        let role = match req_str(m, "role", &path)? {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "system" => Role::System,
            other => {
                return Err(TranslateError::invalid(
                    join(&path, "role"),
                    format!("unknown role `{other}`"),
                ));
            }
        };
        out.push(Message::new(role, content_parts(m, &path)?));
    }
    Ok(out)
}

/// The `content` of the object at `path` (a message or a `tool_result`): a string, or a list of
/// content blocks without those dropped in history.
fn content_parts(o: &Obj, path: &str) -> Result<Vec<Part>> {
    let cpath = join(path, "content");
    match get(o, "content") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Part::Text(s.clone())]),
        Some(Value::Array(blocks)) => {
            let mut parts = Vec::new();
            for (k, b) in blocks.iter().enumerate() {
                let bpath = idx(&cpath, k);
                parts.extend(parse_block(as_obj(b, &bpath)?, &bpath)?);
            }
            Ok(parts)
        }
        Some(_) => Err(type_error(&cpath, "a string or a list of content blocks")),
    }
}

/// One content block; `None` for blocks accepted in history and dropped (server tool traffic).
fn parse_block(b: &Obj, path: &str) -> Result<Option<Part>> {
    let kind = req_str(b, "type", path)?;
    Ok(match kind {
        "text" => Some(Part::Text(req_str(b, "text", path)?.to_owned())),
        "image" => Some(Part::Image(parse_image(b, path)?)),
        "document" => Some(Part::Text(document_text(b, path)?)),
        "tool_use" => {
            let input = match get(b, "input") {
                None => Value::Object(serde_json::Map::new()),
                Some(v @ Value::Object(_)) => v.clone(),
                Some(_) => return Err(type_error(&join(path, "input"), "an object")),
            };
            Some(Part::ToolUse {
                id: req_str(b, "id", path)?.to_owned(),
                name: req_str(b, "name", path)?.to_owned(),
                input,
            })
        }
        "tool_result" => {
            let tool_use_id = req_str(b, "tool_use_id", path)?.to_owned();
            let is_error = opt_bool(b, "is_error", path)?.unwrap_or(false);
            // Only text and images can stand in a tool result; other blocks are dropped.
            let content = content_parts(b, path)?
                .into_iter()
                .filter_map(|p| match p {
                    Part::Text(t) => Some(ToolResultPart::Text(t)),
                    Part::Image(img) => Some(ToolResultPart::Image(img)),
                    _ => None,
                })
                .collect();
            Some(Part::ToolResult {
                tool_use_id,
                content,
                is_error,
            })
        }
        "thinking" => Some(Part::Thinking(
            opt_str(b, "thinking", path)?.unwrap_or_default().to_owned(),
        )),
        "redacted_thinking" => Some(Part::Thinking(String::new())),
        // search results and tool references carry readable text: keep it as text.
        "search_result" => {
            let mut text = opt_str(b, "title", path)?.unwrap_or_default().to_owned();
            if let Some(items) = opt_arr(b, "content", path)? {
                for it in items
                    .iter()
                    .filter_map(|v| v.get("text").and_then(Value::as_str))
                {
                    text.push('\n');
                    text.push_str(it);
                }
            }
            Some(Part::Text(text))
        }
        // Server tool traffic, container uploads and unknown future blocks: accepted and dropped (§2.3).
        _ => b
            .get("text")
            .and_then(Value::as_str)
            .map(|t| Part::Text(t.to_owned())),
    })
}

fn parse_image(b: &Obj, path: &str) -> Result<crate::ir::Image> {
    let spath = join(path, "source");
    let src = opt_obj(b, "source", path)?.ok_or_else(|| required(&spath))?;
    match req_str(src, "type", &spath)? {
        "base64" => image::from_base64(
            req_str(src, "media_type", &spath)?,
            req_str(src, "data", &spath)?,
            &spath,
        ),
        "url" => image::from_url(req_str(src, "url", &spath)?, &join(&spath, "url")),
        other => Err(TranslateError::invalid(
            join(&spath, "type"),
            format!("{spath}.type: image sources of type `{other}` are not supported"),
        )),
    }
}

/// Text and content documents are inlined; PDFs, URLs and files cannot be read here.
fn document_text(b: &Obj, path: &str) -> Result<String> {
    let spath = join(path, "source");
    let src = opt_obj(b, "source", path)?.ok_or_else(|| required(&spath))?;
    let body = match req_str(src, "type", &spath)? {
        "text" => req_str(src, "data", &spath)?.to_owned(),
        "content" => match get(src, "content") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        },
        other => {
            return Err(TranslateError::invalid(
                join(&spath, "type"),
                format!("{spath}.type: documents of type `{other}` are not supported; send text"),
            ));
        }
    };
    Ok(match opt_str(b, "title", path)? {
        Some(t) if !t.is_empty() => format!("{t}\n\n{body}"),
        _ => body,
    })
}

fn parse_tools(o: &Obj) -> Result<Vec<ToolDef>> {
    let Some(arr) = opt_arr(o, "tools", "")? else {
        return Ok(Vec::new());
    };
    let mut tools = Vec::new();
    for (i, t) in arr.iter().enumerate() {
        let path = idx("tools", i);
        let t = as_obj(t, &path)?;
        let name = req_str(t, "name", &path)?;
        if let Some(kind) = opt_str(t, "type", &path)?
            && kind != "custom"
        {
            // The one server tool the gateway runs itself (`crate::web_search`).
            if crate::web_search::options::is_anthropic_tool(kind) {
                tools.push(crate::web_search::tool_def());
                continue;
            }
            return Err(TranslateError::invalid(
                join(&path, "type"),
                format!(
                    "tools.{i}: server tool `{name}` (type `{kind}`) cannot run on this gateway"
                ),
            ));
        }
        // Deferred tools (Claude Code's tool search) are loaded on demand by the client; not sent upstream.
        if opt_bool(t, "defer_loading", &path)? == Some(true) {
            continue;
        }
        let input_schema = match get(t, "input_schema") {
            None => serde_json::json!({"type": "object", "properties": {}}),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => {
                return Err(type_error(
                    &join(&path, "input_schema"),
                    "a JSON schema object",
                ));
            }
        };
        tools.push(ToolDef {
            name: name.to_owned(),
            description: opt_str(t, "description", &path)?
                .unwrap_or_default()
                .to_owned(),
            input_schema,
        });
    }
    Ok(tools)
}

fn parse_tool_choice(o: &Obj) -> Result<ToolChoice> {
    let Some(tc) = opt_obj(o, "tool_choice", "")? else {
        return Ok(ToolChoice::Auto);
    };
    Ok(match req_str(tc, "type", "tool_choice")? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Named(req_str(tc, "name", "tool_choice")?.to_owned()),
        other => {
            return Err(TranslateError::invalid(
                "tool_choice.type",
                format!("unknown tool_choice type `{other}`"),
            ));
        }
    })
}

/// Every thinking type is accepted (client doc §2.2): Claude Code sends all three.
fn parse_thinking(o: &Obj, effort: Option<Effort>) -> Result<Option<Thinking>> {
    let Some(t) = opt_obj(o, "thinking", "")? else {
        return Ok(None);
    };
    Ok(Some(
        match opt_str(t, "type", "thinking")?.unwrap_or("enabled") {
            "enabled" => Thinking::Enabled {
                budget_tokens: opt_u32(t, "budget_tokens", "thinking")?.unwrap_or(16_000),
            },
            "adaptive" => Thinking::Adaptive {
                effort: effort.unwrap_or(Effort::High),
            },
            _ => Thinking::Disabled,
        },
    ))
}

/// `output_config.format` or the older `output_format` → JSON emulation.
fn parse_output_format(o: &Obj) -> Result<ResponseFormat> {
    let fmt = match opt_obj(o, "output_config", "")? {
        Some(oc) => opt_obj(oc, "format", "output_config")?,
        None => None,
    };
    let fmt = match fmt {
        Some(f) => Some(f),
        None => opt_obj(o, "output_format", "")?,
    };
    let Some(f) = fmt else {
        return Ok(ResponseFormat::Text);
    };
    Ok(
        match opt_str(f, "type", "output_config.format")?.unwrap_or("json_schema") {
            "json_schema" => ResponseFormat::JsonSchema {
                name: None,
                schema: get(f, "schema")
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"type": "object"})),
            },
            "json_object" | "json" => ResponseFormat::JsonObject,
            _ => ResponseFormat::Text,
        },
    )
}

/// Claude Code's `metadata.user_id` is either a JSON string holding `session_id` or the older
/// `user_<hash>_account_<id>_session_<uuid>` form.
fn parse_metadata(o: &Obj) -> Result<Metadata> {
    let Some(md) = opt_obj(o, "metadata", "")? else {
        return Ok(Metadata::default());
    };
    let user = opt_str(md, "user_id", "metadata")?.map(str::to_owned);
    let session_id = user.as_deref().and_then(|u| {
        serde_json::from_str::<Value>(u)
            .ok()
            .and_then(|v| {
                v.get("session_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .or_else(|| u.rsplit_once("_session_").map(|(_, s)| s.to_owned()))
    });
    Ok(Metadata { user, session_id })
}
