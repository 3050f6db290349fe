//! OpenAI Chat Completions request → IR (client doc §1.2 field table, §1.3 message mapping).
//!
//! Actions per the table: sampling knobs are ignored, `n>1`, audio output, `prediction`,
//! `web_search_options`, `custom` tools, `input_audio`/`file` parts → 400 naming the field.

use serde_json::Value;

use crate::error::{Result, TranslateError};
use crate::image;
use crate::ir::{
    ChatRequest, Dialect, Message, Metadata, Part, ResponseFormat, Role, Thinking, ToolChoice,
    ToolDef, ToolResultPart,
};
use crate::json::{
    Obj, as_obj, get, idx, join, opt_arr, opt_bool, opt_f64, opt_obj, opt_str, opt_u32,
    parse_object, req_str, str_or_list, type_error,
};

/// Parses a `/v1/chat/completions` body.
pub fn parse(body: &[u8]) -> Result<ChatRequest> {
    parse_value(&parse_object(body)?)
}

/// Parses an already-decoded body.
pub fn parse_value(o: &Obj) -> Result<ChatRequest> {
    let model = req_str(o, "model", "")?.to_owned();
    reject_unsupported(o)?;

    let stream = opt_bool(o, "stream", "")?.unwrap_or(false);
    let include_usage = match opt_obj(o, "stream_options", "")? {
        Some(so) => opt_bool(so, "include_usage", "stream_options")?.unwrap_or(false),
        None => false,
    };
    let max_tokens = match opt_u32(o, "max_completion_tokens", "")? {
        Some(n) => Some(n),
        None => opt_u32(o, "max_tokens", "")?,
    };
    let stop = str_or_list(o, "stop", "")?;
    if stop.len() > 4 {
        return Err(TranslateError::invalid(
            "stop",
            "stop: at most 4 stop sequences are allowed",
        ));
    }

    let (system, messages) = parse_messages(o)?;
    let tools = parse_tools(o)?;
    let tool_choice = parse_tool_choice(o)?;
    if let ToolChoice::Named(n) = &tool_choice
        && !tools.iter().any(|t| &t.name == n)
        && !tools.is_empty()
    {
        return Err(TranslateError::invalid(
            "tool_choice",
            format!("tool_choice: unknown function `{n}`"),
        ));
    }

    Ok(ChatRequest {
        dialect: Dialect::OpenAi,
        model,
        system,
        messages,
        tools,
        tool_choice,
        thinking: parse_reasoning_effort(o)?,
        max_tokens,
        stop,
        response_format: parse_response_format(o)?,
        stream,
        include_usage,
        metadata: Metadata {
            user: opt_str(o, "user", "")?.map(str::to_owned),
            session_id: None,
        },
    })
}

fn reject_unsupported(o: &Obj) -> Result<()> {
    if let Some(n) = opt_u32(o, "n", "")?
        && n > 1
    {
        return Err(TranslateError::invalid("n", "n>1 is not supported"));
    }
    if let Some(m) = opt_arr(o, "modalities", "")?
        && m.iter().any(|v| v.as_str() == Some("audio"))
    {
        return Err(TranslateError::invalid(
            "modalities",
            "audio output is not supported",
        ));
    }
    for field in ["audio", "prediction", "web_search_options"] {
        if get(o, field).is_some() {
            return Err(TranslateError::invalid(
                field,
                format!("{field} is not supported"),
            ));
        }
    }
    if let Some(t) = opt_f64(o, "temperature", "")?
        && !(0.0..=2.0).contains(&t)
    {
        return Err(TranslateError::invalid(
            "temperature",
            "temperature must be between 0 and 2",
        ));
    }
    if let Some(p) = opt_f64(o, "top_p", "")?
        && !(0.0..=1.0).contains(&p)
    {
        return Err(TranslateError::invalid(
            "top_p",
            "top_p must be between 0 and 1",
        ));
    }
    Ok(())
}

/// Leading `system`/`developer` messages become the system prompt; later ones stay in place as
/// [`Role::System`] messages for the normalizer.
fn parse_messages(o: &Obj) -> Result<(Vec<String>, Vec<Message>)> {
    let arr = opt_arr(o, "messages", "")?.ok_or_else(|| crate::json::required("messages"))?;
    if arr.is_empty() {
        return Err(TranslateError::invalid(
            "messages",
            "messages: must contain at least one message",
        ));
    }
    let mut system = Vec::new();
    let mut out: Vec<Message> = Vec::new();
    let mut known_calls: Vec<String> = Vec::new();
    let mut legacy_open: Option<String> = None;
    for (i, v) in arr.iter().enumerate() {
        let path = idx("messages", i);
        let m = as_obj(v, &path)?;
        let role = req_str(m, "role", &path)?;
        match role {
            "system" | "developer" => {
                let text = text_content(m, &path)?;
                if out.is_empty() {
                    system.push(text);
                } else {
                    out.push(Message::text(Role::System, text));
                }
            }
            "user" => out.push(Message::new(Role::User, user_parts(m, &path)?)),
            "assistant" => {
                let mut parts = Vec::new();
                let text = match get(m, "content") {
                    None => String::new(),
                    Some(_) => text_content(m, &path)?,
                };
                if !text.is_empty() {
                    parts.push(Part::Text(text));
                }
                if let Some(calls) = opt_arr(m, "tool_calls", &path)? {
                    for (j, c) in calls.iter().enumerate() {
                        let cpath = idx(&join(&path, "tool_calls"), j);
                        let c = as_obj(c, &cpath)?;
                        let id = req_str(c, "id", &cpath)?.to_owned();
                        let f = opt_obj(c, "function", &cpath)?
                            .ok_or_else(|| crate::json::required(&join(&cpath, "function")))?;
                        let fpath = join(&cpath, "function");
                        let name = req_str(f, "name", &fpath)?.to_owned();
                        let input = parse_arguments(
                            opt_str(f, "arguments", &fpath)?,
                            &join(&fpath, "arguments"),
                        )?;
                        known_calls.push(id.clone());
                        parts.push(Part::ToolUse { id, name, input });
                    }
                }
                if let Some(fc) = opt_obj(m, "function_call", &path)? {
                    let fpath = join(&path, "function_call");
                    let id = format!("call_legacy_{i}");
                    let name = req_str(fc, "name", &fpath)?.to_owned();
                    let input = parse_arguments(
                        opt_str(fc, "arguments", &fpath)?,
                        &join(&fpath, "arguments"),
                    )?;
                    known_calls.push(id.clone());
                    legacy_open = Some(id.clone());
                    parts.push(Part::ToolUse { id, name, input });
                }
                out.push(Message::new(Role::Assistant, parts));
            }
            "tool" => {
                let Some(id) = opt_str(m, "tool_call_id", &path)? else {
                    return Err(TranslateError::invalid(
                        join(&path, "tool_call_id"),
                        "messages with role 'tool' must have a 'tool_call_id'",
                    ));
                };
                if !known_calls.iter().any(|k| k == id) {
                    return Err(TranslateError::invalid(
                        join(&path, "tool_call_id"),
                        format!(
                            "tool_call_id `{id}` does not match any earlier assistant tool call"
                        ),
                    ));
                }
                let text = text_content(m, &path)?;
                let content = vec![ToolResultPart::Text(text)];
                out.push(Message::new(
                    Role::User,
                    vec![Part::ToolResult {
                        tool_use_id: id.to_owned(),
                        content,
                        is_error: false,
                    }],
                ));
            }
            "function" => {
                let Some(id) = legacy_open.take() else {
                    return Err(TranslateError::invalid(
                        join(&path, "role"),
                        "a 'function' message must follow an assistant 'function_call'",
                    ));
                };
                let content = vec![ToolResultPart::Text(text_content(m, &path)?)];
                out.push(Message::new(
                    Role::User,
                    vec![Part::ToolResult {
                        tool_use_id: id,
                        content,
                        is_error: false,
                    }],
                ));
            }
            other => {
                return Err(TranslateError::invalid(
                    join(&path, "role"),
                    format!("unknown role `{other}`"),
                ));
            }
        }
    }
    Ok((system, out))
}

/// Tool-call `arguments`: a JSON string holding an object; empty → `{}`.
fn parse_arguments(raw: Option<&str>, path: &str) -> Result<Value> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(TranslateError::invalid(
            path,
            format!("{path}: must be a JSON object encoded as a string"),
        )),
    }
}

/// Text of a string / text-parts content (system, developer, tool, assistant).
fn text_content(m: &Obj, path: &str) -> Result<String> {
    let cpath = join(path, "content");
    match get(m, "content") {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (k, p) in parts.iter().enumerate() {
                let ppath = idx(&cpath, k);
                let p = as_obj(p, &ppath)?;
                match opt_str(p, "type", &ppath)?.unwrap_or("text") {
                    "text" => texts.push(req_str(p, "text", &ppath)?.to_owned()),
                    "refusal" => texts.push(
                        opt_str(p, "refusal", &ppath)?
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    other => {
                        return Err(TranslateError::invalid(
                            join(&ppath, "type"),
                            format!("content part type `{other}` is not allowed here"),
                        ));
                    }
                }
            }
            Ok(texts.join("\n"))
        }
        Some(_) => Err(type_error(&cpath, "a string or a list of content parts")),
    }
}

fn user_parts(m: &Obj, path: &str) -> Result<Vec<Part>> {
    let cpath = join(path, "content");
    match get(m, "content") {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![Part::Text(s.clone())]),
        Some(Value::Array(parts)) => {
            let mut out = Vec::new();
            for (k, p) in parts.iter().enumerate() {
                let ppath = idx(&cpath, k);
                let p = as_obj(p, &ppath)?;
                match opt_str(p, "type", &ppath)?.unwrap_or("text") {
                    "text" => out.push(Part::Text(req_str(p, "text", &ppath)?.to_owned())),
                    "image_url" => {
                        let ipath = join(&ppath, "image_url");
                        let url = match get(p, "image_url") {
                            Some(Value::String(s)) => s.as_str(),
                            Some(Value::Object(io)) => req_str(io, "url", &ipath)?,
                            _ => return Err(crate::json::required(&ipath)),
                        };
                        out.push(Part::Image(image::from_url(url, &join(&ipath, "url"))?));
                    }
                    other @ ("input_audio" | "file") => {
                        return Err(TranslateError::invalid(
                            join(&ppath, "type"),
                            format!("content parts of type `{other}` are not supported"),
                        ));
                    }
                    other => {
                        return Err(TranslateError::invalid(
                            join(&ppath, "type"),
                            format!("unknown content part type `{other}`"),
                        ));
                    }
                }
            }
            Ok(out)
        }
        Some(_) => Err(type_error(&cpath, "a string or a list of content parts")),
    }
}

fn parse_tools(o: &Obj) -> Result<Vec<ToolDef>> {
    let mut tools = Vec::new();
    if let Some(arr) = opt_arr(o, "tools", "")? {
        for (i, t) in arr.iter().enumerate() {
            let path = idx("tools", i);
            let t = as_obj(t, &path)?;
            match opt_str(t, "type", &path)?.unwrap_or("function") {
                "function" => {
                    let fpath = join(&path, "function");
                    let f = opt_obj(t, "function", &path)?
                        .ok_or_else(|| crate::json::required(&fpath))?;
                    tools.push(function_def(f, &fpath)?);
                }
                other => {
                    return Err(TranslateError::invalid(
                        join(&path, "type"),
                        format!(
                            "tools of type `{other}` are not supported; only `function` tools are"
                        ),
                    ));
                }
            }
        }
    }
    // Legacy `functions`.
    if let Some(arr) = opt_arr(o, "functions", "")? {
        for (i, f) in arr.iter().enumerate() {
            let path = idx("functions", i);
            tools.push(function_def(as_obj(f, &path)?, &path)?);
        }
    }
    Ok(tools)
}

fn function_def(f: &Obj, path: &str) -> Result<ToolDef> {
    let name = req_str(f, "name", path)?.to_owned();
    let description = opt_str(f, "description", path)?
        .unwrap_or_default()
        .to_owned();
    let input_schema = match get(f, "parameters") {
        None => serde_json::json!({"type": "object", "properties": {}}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Err(type_error(
                &join(path, "parameters"),
                "a JSON schema object",
            ));
        }
    };
    Ok(ToolDef {
        name,
        description,
        input_schema,
    })
}

fn parse_tool_choice(o: &Obj) -> Result<ToolChoice> {
    let (key, v) = match (get(o, "tool_choice"), get(o, "function_call")) {
        (Some(v), _) => ("tool_choice", v),
        (None, Some(v)) => ("function_call", v),
        (None, None) => return Ok(ToolChoice::Auto),
    };
    match v {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(TranslateError::invalid(
                key,
                format!("{key}: unknown value `{other}`"),
            )),
        },
        Value::Object(c) => {
            if key == "function_call" {
                return Ok(ToolChoice::Named(req_str(c, "name", key)?.to_owned()));
            }
            match opt_str(c, "type", key)?.unwrap_or("function") {
                "function" => {
                    let f = opt_obj(c, "function", key)?
                        .ok_or_else(|| crate::json::required("tool_choice.function"))?;
                    Ok(ToolChoice::Named(
                        req_str(f, "name", "tool_choice.function")?.to_owned(),
                    ))
                }
                // `allowed_tools` restricts the set; "auto" over all declared tools is the lenient reading.
                "allowed_tools" => Ok(ToolChoice::Auto),
                other => Err(TranslateError::invalid(
                    "tool_choice.type",
                    format!("unknown tool_choice type `{other}`"),
                )),
            }
        }
        _ => Err(type_error(key, "a string or an object")),
    }
}

fn parse_response_format(o: &Obj) -> Result<ResponseFormat> {
    let Some(rf) = opt_obj(o, "response_format", "")? else {
        return Ok(ResponseFormat::Text);
    };
    match opt_str(rf, "type", "response_format")?.unwrap_or("text") {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let js = opt_obj(rf, "json_schema", "response_format")?
                .ok_or_else(|| crate::json::required("response_format.json_schema"))?;
            let name = opt_str(js, "name", "response_format.json_schema")?.map(str::to_owned);
            let schema = get(js, "schema")
                .cloned()
                .unwrap_or_else(|| serde_json::json!({"type": "object"}));
            Ok(ResponseFormat::JsonSchema { name, schema })
        }
        other => Err(TranslateError::invalid(
            "response_format.type",
            format!("unknown response_format type `{other}`"),
        )),
    }
}

/// `reasoning_effort` → thinking budget (§4.5 step 7; budgets inside AIC2A's clamp 1024..=24576).
fn parse_reasoning_effort(o: &Obj) -> Result<Option<Thinking>> {
    Ok(match opt_str(o, "reasoning_effort", "")? {
        None => None,
        Some("none" | "minimal") => Some(Thinking::Disabled),
        Some("low") => Some(Thinking::Enabled {
            budget_tokens: 4_096,
        }),
        Some("medium") => Some(Thinking::Enabled {
            budget_tokens: 12_000,
        }),
        Some("high" | "xhigh" | "max") => Some(Thinking::Enabled {
            budget_tokens: 24_576,
        }),
        Some(other) => {
            return Err(TranslateError::invalid(
                "reasoning_effort",
                format!("unknown reasoning_effort `{other}`"),
            ));
        }
    })
}
