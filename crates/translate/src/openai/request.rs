//! OpenAI Chat Completions request → IR (client doc §1.2 field table, §1.3 message mapping).
//!
//! Actions per the table: sampling knobs are ignored, `n>1`, audio output, `prediction`,
//! `web_search_options`, `custom` tools, `input_audio`/`file` parts → 400 naming the field.

use serde_json::Value;

use crate::error::{Result, TranslateError};
use crate::ir::{ChatRequest, Dialect, Metadata, ResponseFormat, Thinking, ToolChoice, ToolDef};
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

    let (system, messages) = super::messages::parse_messages(o)?;
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

/// A function definition from an object holding `name`, `description`, `parameters` (the Chat
/// Completions `function` object, and the Responses API's flat function tool).
pub(crate) fn function_def(f: &Obj, path: &str) -> Result<ToolDef> {
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

/// `reasoning_effort` → thinking budget (§4.5 step 7; low..high inside AIC2A's clamp 1024..=24576).
fn parse_reasoning_effort(o: &Obj) -> Result<Option<Thinking>> {
    effort_thinking(opt_str(o, "reasoning_effort", "")?, "reasoning_effort")
}

/// One effort word (`reasoning_effort`, the Responses API's `reasoning.effort`) → thinking budget.
pub(crate) fn effort_thinking(effort: Option<&str>, param: &str) -> Result<Option<Thinking>> {
    Ok(match effort {
        None => None,
        Some("none" | "minimal") => Some(Thinking::Disabled),
        Some("low") => Some(Thinking::Enabled {
            budget_tokens: 4_096,
        }),
        Some("medium") => Some(Thinking::Enabled {
            budget_tokens: 12_000,
        }),
        Some("high") => Some(Thinking::Enabled {
            budget_tokens: 24_576,
        }),
        // Budgets in the `xhigh` / `max` buckets of `models::effort::effort_of_budget`, so a model
        // with native effort gets the level asked for; the prompt emulation clamps them to 24 576.
        Some("xhigh") => Some(Thinking::Enabled {
            budget_tokens: 32_000,
        }),
        Some("max") => Some(Thinking::Enabled {
            budget_tokens: 64_000,
        }),
        Some(other) => {
            return Err(TranslateError::invalid(
                param,
                format!("unknown {param} `{other}`"),
            ));
        }
    })
}
