//! Responses input items → IR messages (issue 18 item 1).
//!
//! - `message` (also the "easy" form without `type`): `system` / `developer` before any other
//!   message join the system prompt, later ones stay in place as [`Role::System`]; `user` parts
//!   `input_text` / `input_image`; `assistant` parts `output_text` / `refusal`.
//! - `function_call` → an assistant tool call (arguments parsed from their JSON string);
//!   `function_call_output` → a user tool result. Consecutive calls (and consecutive results) share
//!   one message, as parallel calls do in the other dialects.
//! - `reasoning` → earlier thinking, if its `encrypted_content` opens with this gateway's seal;
//!   otherwise dropped (the upstream never receives earlier thinking, so nothing is lost).
//! - Anything else (`item_reference`, `local_shell_call`, `custom_tool_call`, `web_search_call`,
//!   `compaction`, …) is dropped and noted.

use serde_json::Value;

use super::Seal;
use crate::error::{Result, TranslateError};
use crate::image;
use crate::ir::{Message, Part, Role, ToolResultPart};
use crate::json::{Obj, as_obj, content_list, get, idx, join, opt_str, req_str};
use crate::openai::messages::parse_arguments;

/// `(system blocks, messages)` of `items`; the first `prior_len` came from the stored response
/// (errors there name `previous_response_id`).
pub(super) fn to_messages(
    items: &[Value],
    prior_len: usize,
    seal: &dyn Seal,
    dropped: &mut Vec<String>,
) -> Result<(Vec<String>, Vec<Message>)> {
    let mut system = Vec::new();
    let mut out: Vec<Message> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = if i < prior_len {
            "previous_response_id".to_owned()
        } else {
            idx("input", i - prior_len)
        };
        let it = as_obj(item, &path)?;
        let kind = match opt_str(it, "type", &path)? {
            Some(k) => k,
            None if get(it, "role").is_some() => "message",
            None => return Err(crate::json::required(&join(&path, "type"))),
        };
        match kind {
            "message" => message(it, &path, &mut system, &mut out)?,
            "function_call" => {
                let id = req_str(it, "call_id", &path)?.to_owned();
                let name = req_str(it, "name", &path)?.to_owned();
                let input =
                    parse_arguments(opt_str(it, "arguments", &path)?, &join(&path, "arguments"))?;
                push_assistant(&mut out, Part::ToolUse { id, name, input });
            }
            "function_call_output" => {
                let id = req_str(it, "call_id", &path)?.to_owned();
                let content = tool_output(it, &path)?;
                let part = Part::ToolResult {
                    tool_use_id: id,
                    content,
                    is_error: false,
                };
                match out.last_mut() {
                    Some(m)
                        if m.role == Role::User
                            && m.parts.iter().all(|p| matches!(p, Part::ToolResult { .. })) =>
                    {
                        m.parts.push(part);
                    }
                    _ => out.push(Message::new(Role::User, vec![part])),
                }
            }
            "reasoning" => match get(it, "encrypted_content").and_then(Value::as_str) {
                Some(sealed) => match seal.open(sealed) {
                    Some(text) => push_assistant(&mut out, Part::Thinking(text)),
                    None => dropped.push(format!(
                        "{path}: reasoning whose encrypted_content this gateway did not seal"
                    )),
                },
                None => dropped.push(format!("{path}: reasoning without encrypted_content")),
            },
            other => dropped.push(format!("{path}: item type `{other}`")),
        }
    }
    Ok((system, out))
}

/// Appends to the trailing assistant message, or starts one.
fn push_assistant(out: &mut Vec<Message>, part: Part) {
    match out.last_mut() {
        Some(m) if m.role == Role::Assistant => m.parts.push(part),
        _ => out.push(Message::new(Role::Assistant, vec![part])),
    }
}

fn message(it: &Obj, path: &str, system: &mut Vec<String>, out: &mut Vec<Message>) -> Result<()> {
    let role = req_str(it, "role", path)?;
    match role {
        "system" | "developer" => {
            let text = texts(it, path)?.join("\n");
            if out.is_empty() {
                system.push(text);
            } else {
                out.push(Message::text(Role::System, text));
            }
        }
        "assistant" => {
            for t in texts(it, path)? {
                if !t.is_empty() {
                    push_assistant(out, Part::Text(t));
                }
            }
        }
        "user" => out.push(Message::new(Role::User, user_parts(it, path)?)),
        other => {
            return Err(TranslateError::invalid(
                join(path, "role"),
                format!("unknown role `{other}`"),
            ));
        }
    }
    Ok(())
}

/// The text parts of a system / developer / assistant message.
fn texts(it: &Obj, path: &str) -> Result<Vec<String>> {
    let texts = content_list(
        get(it, "content"),
        &join(path, "content"),
        str::to_owned,
        |p, ppath| match req_str(p, "type", ppath)? {
            "input_text" | "output_text" | "text" => Ok(req_str(p, "text", ppath)?.to_owned()),
            "refusal" => Ok(opt_str(p, "refusal", ppath)?.unwrap_or("").to_owned()),
            other => Err(TranslateError::invalid(
                join(ppath, "type"),
                format!("content part type `{other}` is not allowed here"),
            )),
        },
    )?;
    Ok(texts.unwrap_or_default())
}

fn user_parts(it: &Obj, path: &str) -> Result<Vec<Part>> {
    Ok(media_parts(
        get(it, "content"),
        &join(path, "content"),
        Part::Text,
        Part::Image,
    )?
    .unwrap_or_default())
}

/// A string, or a list of `input_text` (`output_text`, `text`) / `input_image` parts, as `T`s;
/// `None` when absent.
fn media_parts<T>(
    v: Option<&Value>,
    path: &str,
    text: fn(String) -> T,
    image: fn(crate::ir::Image) -> T,
) -> Result<Option<Vec<T>>> {
    content_list(
        v,
        path,
        |s| text(s.to_owned()),
        |p, ppath| match req_str(p, "type", ppath)? {
            "input_text" | "output_text" | "text" => {
                Ok(text(req_str(p, "text", ppath)?.to_owned()))
            }
            "input_image" => Ok(image(input_image(p, ppath)?)),
            other => Err(TranslateError::invalid(
                join(ppath, "type"),
                format!("content parts of type `{other}` are not supported"),
            )),
        },
    )
}

/// `input_image`: `image_url` (a data URL or an `http(s)` URL); `file_id` cannot be served.
fn input_image(p: &Obj, path: &str) -> Result<crate::ir::Image> {
    match opt_str(p, "image_url", path)? {
        Some(url) => image::from_url(url, &join(path, "image_url")),
        None => Err(TranslateError::invalid(
            join(path, "image_url"),
            format!("{path}: only images given as image_url are supported (no file_id)"),
        )),
    }
}

/// `function_call_output.output`: a string, or a list of `input_text` / `input_image` parts.
fn tool_output(it: &Obj, path: &str) -> Result<Vec<ToolResultPart>> {
    let parts = media_parts(
        get(it, "output"),
        &join(path, "output"),
        ToolResultPart::Text,
        ToolResultPart::Image,
    )?;
    Ok(parts.unwrap_or_else(|| vec![ToolResultPart::Text(String::new())]))
}
