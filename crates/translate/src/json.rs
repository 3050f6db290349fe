//! Small accessors over `serde_json::Value` that produce errors naming the JSON path.
//!
//! Client requests are walked as `Value` rather than derived serde structs so that every error names
//! its field (`messages[3].content[1].image_url.url`), which the gateway returns as OpenAI `param` and
//! inside Anthropic messages (client doc §1.6, §2.6), and so that unknown fields are ignored by
//! construction (client doc §0 "lenient on input").

use serde_json::{Map, Value};

use crate::error::{Result, TranslateError};

pub type Obj = Map<String, Value>;

/// Parses a request body into a JSON object.
pub fn parse_object(body: &[u8]) -> Result<Obj> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        TranslateError::invalid_body(format!("The request body is not valid JSON: {e}"))
    })?;
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(TranslateError::invalid_body(
            "The request body must be a JSON object",
        )),
    }
}

/// `path.key` or `key` when `path` is empty.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// `path[i]`.
pub fn idx(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// A present, non-null value (JSON `null` counts as absent, as the SDKs send explicit nulls).
pub fn get<'a>(o: &'a Obj, key: &str) -> Option<&'a Value> {
    o.get(key).filter(|v| !v.is_null())
}

pub fn type_error(path: &str, expected: &str) -> TranslateError {
    TranslateError::invalid(path, format!("{path}: Input should be {expected}"))
}

pub fn required(path: &str) -> TranslateError {
    TranslateError::invalid(path, format!("{path}: Field required"))
}

pub fn opt_str<'a>(o: &'a Obj, key: &str, path: &str) -> Result<Option<&'a str>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(type_error(&join(path, key), "a valid string")),
    }
}

pub fn req_str<'a>(o: &'a Obj, key: &str, path: &str) -> Result<&'a str> {
    opt_str(o, key, path)?.ok_or_else(|| required(&join(path, key)))
}

pub fn opt_bool(o: &Obj, key: &str, path: &str) -> Result<Option<bool>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(type_error(&join(path, key), "a valid boolean")),
    }
}

pub fn opt_u32(o: &Obj, key: &str, path: &str) -> Result<Option<u32>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .map(|n| Some(u32::try_from(n).unwrap_or(u32::MAX)))
            .ok_or_else(|| type_error(&join(path, key), "a non-negative integer")),
        Some(_) => Err(type_error(&join(path, key), "a valid integer")),
    }
}

pub fn opt_f64(o: &Obj, key: &str, path: &str) -> Result<Option<f64>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(type_error(&join(path, key), "a valid number")),
    }
}

pub fn opt_obj<'a>(o: &'a Obj, key: &str, path: &str) -> Result<Option<&'a Obj>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(type_error(&join(path, key), "a valid object")),
    }
}

pub fn opt_arr<'a>(o: &'a Obj, key: &str, path: &str) -> Result<Option<&'a Vec<Value>>> {
    match get(o, key) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(type_error(&join(path, key), "a valid list")),
    }
}

pub fn as_obj<'a>(v: &'a Value, path: &str) -> Result<&'a Obj> {
    v.as_object()
        .ok_or_else(|| type_error(path, "a valid object"))
}

/// A `content` value at `path` that is a string or a list of part objects, as `T`s: the string
/// through `text`, each part (its object and path) through `part`; `None` when absent or `null`.
/// Both OpenAI dialects shape message content this way.
pub fn content_list<T>(
    content: Option<&Value>,
    path: &str,
    text: impl FnOnce(&str) -> T,
    mut part: impl FnMut(&Obj, &str) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    match content {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![text(s)])),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(k, p)| {
                let ppath = idx(path, k);
                part(as_obj(p, &ppath)?, &ppath)
            })
            .collect::<Result<_>>()
            .map(Some),
        Some(_) => Err(type_error(path, "a string or a list of content parts")),
    }
}

/// A string or a list of strings (OpenAI `stop`, Anthropic `stop_sequences`).
pub fn str_or_list(o: &Obj, key: &str, path: &str) -> Result<Vec<String>> {
    match get(o, key) {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| type_error(&idx(&join(path, key), i), "a valid string"))
            })
            .collect(),
        Some(_) => Err(type_error(
            &join(path, key),
            "a string or a list of strings",
        )),
    }
}
