//! OpenAI `messages` → IR messages (client doc §1.3): roles `system`/`developer` (leading ones are
//! the system prompt), `user` parts (text, `image_url`), assistant `tool_calls` (arguments parsed from
//! their JSON string), `tool` results paired by `tool_call_id` (an unknown id → 400), legacy
//! `function_call` / `function` messages.

use serde_json::Value;

use crate::error::{Result, TranslateError};
use crate::image;
use crate::ir::{Message, Part, Role, ToolResultPart};
use crate::json::{Obj, as_obj, content_list, get, idx, join, opt_arr, opt_obj, opt_str, req_str};

/// Leading `system`/`developer` messages become the system prompt; later ones stay in place as
/// [`Role::System`] messages for the normalizer.
pub(super) fn parse_messages(o: &Obj) -> Result<(Vec<String>, Vec<Message>)> {
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
            "assistant" => out.push(assistant_message(
                m,
                &path,
                i,
                &mut known_calls,
                &mut legacy_open,
            )?),
            "tool" => out.push(tool_message(m, &path, &known_calls)?),
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

/// An `assistant` message: its text, `tool_calls` (remembered in `known_calls` for the results
/// that follow) and a legacy `function_call` (left open in `legacy_open` for its `function`
/// message).
fn assistant_message(
    m: &Obj,
    path: &str,
    i: usize,
    known_calls: &mut Vec<String>,
    legacy_open: &mut Option<String>,
) -> Result<Message> {
    let mut parts = Vec::new();
    let text = match get(m, "content") {
        None => String::new(),
        Some(_) => text_content(m, path)?,
    };
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    if let Some(calls) = opt_arr(m, "tool_calls", path)? {
        for (j, c) in calls.iter().enumerate() {
            let cpath = idx(&join(path, "tool_calls"), j);
            let c = as_obj(c, &cpath)?;
            let id = req_str(c, "id", &cpath)?.to_owned();
            let f = opt_obj(c, "function", &cpath)?
                .ok_or_else(|| crate::json::required(&join(&cpath, "function")))?;
            let fpath = join(&cpath, "function");
            let name = req_str(f, "name", &fpath)?.to_owned();
            let input =
                parse_arguments(opt_str(f, "arguments", &fpath)?, &join(&fpath, "arguments"))?;
            known_calls.push(id.clone());
            parts.push(Part::ToolUse { id, name, input });
        }
    }
    if let Some(fc) = opt_obj(m, "function_call", path)? {
        let fpath = join(path, "function_call");
        let id = format!("call_legacy_{i}");
        let name = req_str(fc, "name", &fpath)?.to_owned();
        let input = parse_arguments(
            opt_str(fc, "arguments", &fpath)?,
            &join(&fpath, "arguments"),
        )?;
        known_calls.push(id.clone());
        *legacy_open = Some(id.clone());
        parts.push(Part::ToolUse { id, name, input });
    }
    Ok(Message::new(Role::Assistant, parts))
}

/// A `tool` message: the result of an earlier assistant tool call (an unknown id is a 400).
fn tool_message(m: &Obj, path: &str, known_calls: &[String]) -> Result<Message> {
    let Some(id) = opt_str(m, "tool_call_id", path)? else {
        return Err(TranslateError::invalid(
            join(path, "tool_call_id"),
            "messages with role 'tool' must have a 'tool_call_id'",
        ));
    };
    if !known_calls.iter().any(|k| k == id) {
        return Err(TranslateError::invalid(
            join(path, "tool_call_id"),
            format!("tool_call_id `{id}` does not match any earlier assistant tool call"),
        ));
    }
    let text = text_content(m, path)?;
    let content = vec![ToolResultPart::Text(text)];
    Ok(Message::new(
        Role::User,
        vec![Part::ToolResult {
            tool_use_id: id.to_owned(),
            content,
            is_error: false,
        }],
    ))
}

/// Tool-call `arguments`: a JSON string holding an object; empty → `{}`.
pub(crate) fn parse_arguments(raw: Option<&str>, path: &str) -> Result<Value> {
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
    let texts = content_list(
        get(m, "content"),
        &join(path, "content"),
        str::to_owned,
        |p, ppath| match opt_str(p, "type", ppath)?.unwrap_or("text") {
            "text" => Ok(req_str(p, "text", ppath)?.to_owned()),
            "refusal" => Ok(opt_str(p, "refusal", ppath)?.unwrap_or_default().to_owned()),
            other => Err(TranslateError::invalid(
                join(ppath, "type"),
                format!("content part type `{other}` is not allowed here"),
            )),
        },
    )?;
    Ok(texts.unwrap_or_default().join("\n"))
}

fn user_parts(m: &Obj, path: &str) -> Result<Vec<Part>> {
    let parts = content_list(
        get(m, "content"),
        &join(path, "content"),
        text_part,
        |p, ppath| match opt_str(p, "type", ppath)?.unwrap_or("text") {
            "text" => Ok(Part::Text(req_str(p, "text", ppath)?.to_owned())),
            "image_url" => {
                let ipath = join(ppath, "image_url");
                let url = match get(p, "image_url") {
                    Some(Value::String(s)) => s.as_str(),
                    Some(Value::Object(io)) => req_str(io, "url", &ipath)?,
                    _ => return Err(crate::json::required(&ipath)),
                };
                Ok(Part::Image(image::from_url(url, &join(&ipath, "url"))?))
            }
            other @ ("input_audio" | "file") => Err(TranslateError::invalid(
                join(ppath, "type"),
                format!("content parts of type `{other}` are not supported"),
            )),
            other => Err(TranslateError::invalid(
                join(ppath, "type"),
                format!("unknown content part type `{other}`"),
            )),
        },
    )?;
    Ok(parts.unwrap_or_default())
}

fn text_part(s: &str) -> Part {
    Part::Text(s.to_owned())
}
