//! Redaction for drift samples: the JSON *shape* of a value (keys and value types, never the
//! values), and parser messages with the quoted input removed.

use serde_json::Value;

/// Deepest level described; below it `…`.
const MAX_DEPTH: usize = 4;
/// Keys described per object.
const MAX_KEYS: usize = 24;

/// `{"usage":"string","unit":"string"}` for `{"usage":"lots","unit":"credit"}`: every leaf
/// becomes its type name, an array the shape of its first element (`["string"]`, `[]`).
pub fn json_shape(value: &Value) -> String {
    shape_value(value, 0).to_string()
}

/// [`json_shape`] of raw bytes; `non-json(<n> bytes)` when they are not JSON.
pub fn json_shape_bytes(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => json_shape(&v),
        Err(_) => format!("non-json({} bytes)", bytes.len()),
    }
}

fn shape_value(value: &Value, depth: usize) -> Value {
    match value {
        Value::Null => Value::from("null"),
        Value::Bool(_) => Value::from("bool"),
        Value::Number(_) => Value::from("number"),
        Value::String(_) => Value::from("string"),
        Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => Value::from("…"),
        Value::Array(items) => Value::Array(
            items
                .first()
                .map(|v| vec![shape_value(v, depth + 1)])
                .unwrap_or_default(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .take(MAX_KEYS)
                .map(|(k, v)| (key_name(k), shape_value(v, depth + 1)))
                .collect(),
        ),
    }
}

/// Keys are schema names; anything that does not look like one (a map keyed by user data) is
/// replaced.
fn key_name(k: &str) -> String {
    let plausible = k.len() <= 48
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@'));
    if plausible {
        k.to_owned()
    } else {
        "<key>".to_owned()
    }
}

/// A serde_json message without the input it quotes: `invalid type: string "hello", expected f64
/// at line 1 column 9` → `invalid type: string, expected f64 at line 1 column 9`.
pub fn redact_parse_error(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_quote = false;
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' => {
                in_quote = !in_quote;
                if !in_quote && out.ends_with(' ') {
                    out.pop();
                }
            }
            '\\' if in_quote => {
                chars.next();
            }
            _ if in_quote => {}
            _ => out.push(c),
        }
    }
    out.chars().take(200).collect()
}
