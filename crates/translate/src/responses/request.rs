//! `/v1/responses` request envelope → IR (issue 18 item 1).
//!
//! Served: `model`, `input`, `instructions`, `stream`, function tools (the flat Responses schema)
//! and `tool_choice`, `parallel_tool_calls`, `max_output_tokens`, `reasoning.effort` (the same
//! budgets as Chat Completions' `reasoning_effort`), `text.format` (JSON schema / JSON object → the
//! JSON-mode path), `metadata`, `store`, `previous_response_id`, `user` / `safety_identifier`,
//! `prompt_cache_key` (the sticky-session key). Echoed but without effect: `temperature`, `top_p`,
//! `truncation`, `include` (reasoning items always carry `encrypted_content`), `service_tier`.
//! Refused with a 400 naming the field: `background: true`, `conversation`, `prompt` templates.
//! The `web_search` / `web_search_preview` tool is served by the gateway (`crate::web_search`;
//! Codex's `external_web_access: false` leaves it out).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Seal;
use super::items::to_messages;
use crate::error::{Result, TranslateError};
use crate::ir::{ChatRequest, Dialect, Metadata, ResponseFormat, ToolChoice, ToolDef};
use crate::json::{
    Obj, as_obj, get, idx, join, opt_arr, opt_bool, opt_f64, opt_obj, opt_str, opt_u32,
    parse_object, req_str, type_error,
};
use crate::openai::request::{effort_thinking, function_def};

/// What the answer echoes back (the request-derived members of the response object, which embeds
/// it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    pub model: String,
    pub instructions: Option<String>,
    pub max_output_tokens: Option<u32>,
    pub parallel_tool_calls: bool,
    pub previous_response_id: Option<String>,
    /// `{"effort": …, "summary": …}` as sent (nulls when absent).
    pub reasoning: Value,
    pub store: bool,
    pub temperature: f64,
    pub top_p: f64,
    /// `{"format": …}`.
    pub text: Value,
    pub tool_choice: Value,
    /// The function tools served, in the flat shape.
    pub tools: Vec<Value>,
    pub user: Option<String>,
    /// String → string map (`{}` when absent).
    pub metadata: Value,
}

/// A parsed request before its earlier turns (if any) are known.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub head: Head,
    /// The new input, as a list of items (a string input became one user message item).
    pub input: Vec<Value>,
    /// The chat request but for its `system` and `messages`, which [`Self::build`] fills in.
    chat: ChatRequest,
    dropped: Vec<String>,
}

/// A request ready for the shared chat flow.
#[derive(Debug, Clone)]
pub struct Turn {
    pub chat: ChatRequest,
    /// The earlier items plus this request's input: what a stored response keeps, with the output
    /// appended, for the next `previous_response_id`.
    pub history: Vec<Value>,
    /// What was left out and why (tool and item types this gateway cannot serve, reasoning that did
    /// not open). The gateway logs it at debug level.
    pub dropped: Vec<String>,
}

/// Parses a `/v1/responses` body.
pub fn parse(body: &[u8]) -> Result<Envelope> {
    let o = parse_object(body)?;
    let model = req_str(&o, "model", "")?.to_owned();
    reject_unsupported(&o)?;
    let stream = opt_bool(&o, "stream", "")?.unwrap_or(false);
    let input = parse_input(&o)?;
    let instructions = opt_str(&o, "instructions", "")?.map(str::to_owned);
    let mut dropped = Vec::new();
    let (tools, tool_json) = parse_tools(&o, &mut dropped)?;
    let tool_choice = parse_tool_choice(&o)?;
    if let ToolChoice::Named(n) = &tool_choice
        && !tools.iter().any(|t| &t.name == n)
    {
        return Err(TranslateError::invalid(
            "tool_choice",
            format!("tool_choice: unknown function `{n}`"),
        ));
    }
    let reasoning = opt_obj(&o, "reasoning", "")?;
    let effort = match reasoning {
        Some(r) => opt_str(r, "effort", "reasoning")?,
        None => None,
    };
    let thinking = effort_thinking(effort, "reasoning.effort")?;
    let summary = match reasoning {
        Some(r) => opt_str(r, "summary", "reasoning")?.map(str::to_owned),
        None => None,
    };
    let (response_format, text) = parse_text(&o)?;
    let metadata = match get(&o, "metadata") {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(m)) => {
            if m.values().any(|v| !v.is_string()) {
                return Err(type_error("metadata", "an object of string values"));
            }
            Value::Object(m.clone())
        }
        Some(_) => return Err(type_error("metadata", "an object of string values")),
    };
    let user = match opt_str(&o, "user", "")? {
        Some(u) => Some(u.to_owned()),
        None => opt_str(&o, "safety_identifier", "")?.map(str::to_owned),
    };
    let head = Head {
        model,
        instructions,
        max_output_tokens: opt_u32(&o, "max_output_tokens", "")?,
        parallel_tool_calls: opt_bool(&o, "parallel_tool_calls", "")?.unwrap_or(true),
        previous_response_id: opt_str(&o, "previous_response_id", "")?.map(str::to_owned),
        reasoning: json!({"effort": effort, "summary": summary}),
        store: opt_bool(&o, "store", "")?.unwrap_or(true),
        temperature: opt_f64(&o, "temperature", "")?.unwrap_or(1.0),
        top_p: opt_f64(&o, "top_p", "")?.unwrap_or(1.0),
        text,
        tool_choice: get(&o, "tool_choice")
            .cloned()
            .unwrap_or_else(|| json!("auto")),
        tools: tool_json,
        user,
        metadata,
    };
    let chat = ChatRequest {
        dialect: Dialect::OpenAi,
        model: head.model.clone(),
        system: Vec::new(),
        messages: Vec::new(),
        tools,
        tool_choice,
        thinking,
        max_tokens: head.max_output_tokens,
        stop: Vec::new(),
        response_format,
        stream,
        include_usage: true,
        metadata: Metadata {
            user: head.user.clone(),
            session_id: opt_str(&o, "prompt_cache_key", "")?.map(str::to_owned),
        },
    };
    Ok(Envelope {
        head,
        input,
        chat,
        dropped,
    })
}

impl Envelope {
    /// `stream` as sent.
    pub fn stream(&self) -> bool {
        self.chat.stream
    }

    /// The whole request: `prior` (the stored items of `previous_response_id`, empty without one)
    /// followed by this request's input; reasoning is opened with `seal`.
    pub fn build(&self, prior: Vec<Value>, seal: &dyn Seal) -> Result<Turn> {
        let prior_len = prior.len();
        let mut history = prior;
        history.extend(self.input.iter().cloned());
        let mut dropped = self.dropped.clone();
        let (mut system, messages) = to_messages(&history, prior_len, seal, &mut dropped)?;
        if let Some(i) = self.head.instructions.as_ref().filter(|i| !i.is_empty()) {
            system.insert(0, i.clone());
        }
        if messages.is_empty() {
            return Err(TranslateError::invalid(
                "input",
                "input: must contain at least one message or item",
            ));
        }
        let chat = ChatRequest {
            system,
            messages,
            ..self.chat.clone()
        };
        Ok(Turn {
            chat,
            history,
            dropped,
        })
    }
}

fn reject_unsupported(o: &Obj) -> Result<()> {
    if opt_bool(o, "background", "")? == Some(true) {
        return Err(TranslateError::invalid(
            "background",
            "background responses are not supported",
        ));
    }
    for field in ["conversation", "prompt"] {
        if get(o, field).is_some_and(|v| !v.is_null()) {
            return Err(TranslateError::invalid(
                field,
                format!("{field} is not supported"),
            ));
        }
    }
    Ok(())
}

/// `input`: a string (one user message) or a list of items (each an object).
fn parse_input(o: &Obj) -> Result<Vec<Value>> {
    match get(o, "input") {
        None => Err(crate::json::required("input")),
        Some(Value::String(s)) => Ok(vec![json!({
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": s}],
        })]),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                as_obj(item, &idx("input", i))?;
            }
            Ok(items.clone())
        }
        Some(_) => Err(type_error("input", "a string or a list of items")),
    }
}

/// Function tools (flat `{"type":"function","name",…}`; the Chat Completions nesting under
/// `function` is accepted too). Every other type is dropped and noted.
fn parse_tools(o: &Obj, dropped: &mut Vec<String>) -> Result<(Vec<ToolDef>, Vec<Value>)> {
    let mut tools = Vec::new();
    let mut echo = Vec::new();
    let Some(arr) = opt_arr(o, "tools", "")? else {
        return Ok((tools, echo));
    };
    for (i, t) in arr.iter().enumerate() {
        let path = idx("tools", i);
        let t = as_obj(t, &path)?;
        match opt_str(t, "type", &path)?.unwrap_or("function") {
            "function" => {
                let def = match opt_obj(t, "function", &path)? {
                    Some(f) => function_def(f, &join(&path, "function"))?,
                    None => function_def(t, &path)?,
                };
                echo.push(json!({
                    "type": "function",
                    "name": def.name,
                    "description": def.description,
                    "parameters": def.input_schema,
                    "strict": get(t, "strict").and_then(Value::as_bool).unwrap_or(false),
                }));
                tools.push(def);
            }
            // The hosted search the gateway runs itself (`crate::web_search`).
            _ if crate::web_search::options::is_responses_tool(t) => {
                echo.push(Value::Object(t.clone()));
                tools.push(crate::web_search::tool_def());
            }
            other => {
                let name = opt_str(t, "name", &path)?.unwrap_or("");
                dropped.push(format!("{path}: tool type `{other}` {name}"));
            }
        }
    }
    Ok((tools, echo))
}

fn parse_tool_choice(o: &Obj) -> Result<ToolChoice> {
    match get(o, "tool_choice") {
        None | Some(Value::Null) => Ok(ToolChoice::Auto),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(TranslateError::invalid(
                "tool_choice",
                format!("tool_choice: unknown value `{other}`"),
            )),
        },
        Some(Value::Object(c)) => match opt_str(c, "type", "tool_choice")?.unwrap_or("function") {
            "function" => Ok(ToolChoice::Named(
                req_str(c, "name", "tool_choice")?.to_owned(),
            )),
            "allowed_tools" => Ok(match opt_str(c, "mode", "tool_choice")? {
                Some("required") => ToolChoice::Required,
                _ => ToolChoice::Auto,
            }),
            // A hosted tool (`web_search`, `file_search`, …) this gateway does not run: the model
            // keeps its free choice among the function tools.
            _ => Ok(ToolChoice::Auto),
        },
        Some(_) => Err(type_error("tool_choice", "a string or an object")),
    }
}

/// `text.format` → the JSON-mode path; the echo keeps what was sent.
fn parse_text(o: &Obj) -> Result<(ResponseFormat, Value)> {
    let Some(text) = opt_obj(o, "text", "")? else {
        return Ok((ResponseFormat::Text, json!({"format": {"type": "text"}})));
    };
    let Some(format) = opt_obj(text, "format", "text")? else {
        return Ok((ResponseFormat::Text, json!({"format": {"type": "text"}})));
    };
    let rf = match opt_str(format, "type", "text.format")?.unwrap_or("text") {
        "text" => ResponseFormat::Text,
        "json_object" => ResponseFormat::JsonObject,
        "json_schema" => {
            let schema = match get(format, "schema") {
                Some(v @ Value::Object(_)) => v.clone(),
                None => return Err(crate::json::required("text.format.schema")),
                Some(_) => return Err(type_error("text.format.schema", "a JSON schema object")),
            };
            ResponseFormat::JsonSchema {
                name: opt_str(format, "name", "text.format")?.map(str::to_owned),
                schema,
            }
        }
        other => {
            return Err(TranslateError::invalid(
                "text.format.type",
                format!("unknown text.format type `{other}`"),
            ));
        }
    };
    Ok((rf, Value::Object(text.clone())))
}
