//! The OpenAI dialect in tests: a one-message request body and the error-body check.

use serde_json::{Value, json};

/// The model name the OpenAI tests send.
pub const MODEL: &str = "claude-sonnet-4-5";

/// A `/v1/chat/completions` body with one user message `prompt`.
pub fn body(prompt: &str, stream: bool) -> Value {
    json!({"model": MODEL, "stream": stream, "messages": [{"role": "user", "content": prompt}]})
}

/// `v` is an OpenAI error body: a non-empty message, `type` equal to `kind` (present at least,
/// when `None`), a `param` key, and `code` equal to `code` (present at least, when `None`).
pub fn assert_error(v: &Value, kind: Option<&str>, code: Option<&str>) {
    let e = &v["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    match kind {
        Some(k) => assert_eq!(e["type"], k, "{v}"),
        None => assert!(e.get("type").is_some(), "{v}"),
    }
    assert!(e.get("param").is_some(), "{v}");
    match code {
        Some(c) => assert_eq!(e["code"], c, "{v}"),
        None => assert!(e.get("code").is_some(), "{v}"),
    }
}
