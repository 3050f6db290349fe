//! Request and response bodies kept in the request log while `debugLog` is on (issue 16 §4).
//!
//! Redacted before they are stored: JSON members whose name is a credential (`authorization`,
//! `x-api-key`, `api_key`, `password`, `secret`, any `…token` in the singular such as
//! `access_token`; `max_tokens` and other counts stay) and string values that carry a bearer
//! credential are replaced by `[redacted]`. Both bodies are capped at the store's
//! [`store::MAX_BODY_BYTES`]; the store marks a cut body `…[truncated]`. The response is collected
//! as it is sent (SSE frames or the JSON body), never re-read.

use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Bodies of one logged request.
#[derive(Debug, Default)]
pub struct DebugBodies {
    /// The redacted request body.
    pub request: Option<String>,
    response: Vec<u8>,
}

impl DebugBodies {
    /// Starts with the client's request body.
    pub fn new(request: &[u8]) -> Self {
        let mut text = redact_body(request);
        // Held for the whole request: keep no more than the store will (plus one character, so
        // the store still sees it is longer and marks it truncated).
        if text.len() > store::MAX_BODY_BYTES {
            let mut end = store::MAX_BODY_BYTES + 1;
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.truncate(end);
        }
        Self {
            request: Some(text),
            response: Vec::new(),
        }
    }

    /// Appends bytes sent to the client; beyond the cap (plus one byte, so the store sees the body
    /// is longer and marks it) nothing more is kept.
    pub fn push_response(&mut self, bytes: &[u8]) {
        let room = (store::MAX_BODY_BYTES + 1).saturating_sub(self.response.len());
        self.response
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The redacted response text collected so far.
    pub fn response(&self) -> Option<String> {
        if self.response.is_empty() {
            return None;
        }
        let text = String::from_utf8_lossy(&self.response);
        Some(redact_text(&text))
    }
}

/// A body as text for the log: JSON redacted member by member, anything else as lossy UTF-8 with
/// bearer credentials blanked.
pub fn redact_body(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact_value(&mut v);
            v.to_string()
        }
        Err(_) => redact_text(&String::from_utf8_lossy(body)),
    }
}

/// SSE or JSON text: each `data:` payload and the whole text are redacted as JSON when they parse.
fn redact_text(text: &str) -> String {
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        redact_value(&mut v);
        return v.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        match body
            .strip_prefix("data: ")
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        {
            Some(mut v) => {
                redact_value(&mut v);
                out.push_str("data: ");
                out.push_str(&v.to_string());
            }
            None if looks_like_credential(body) => out.push_str(REDACTED),
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}

fn redact_value(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if is_secret_name(k) {
                    *child = Value::String(REDACTED.into());
                } else {
                    redact_value(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::String(s) if looks_like_credential(s) => *s = REDACTED.into(),
        _ => {}
    }
}

/// Member names that hold credentials.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace('-', "_");
    matches!(
        n.as_str(),
        "authorization" | "x_api_key" | "api_key" | "apikey" | "password" | "secret" | "cookie"
    ) || n.ends_with("_secret")
        || n.ends_with("token")
        || n.ends_with("_key")
}

/// `Bearer …` values.
fn looks_like_credential(s: &str) -> bool {
    let t = s.trim_start();
    t.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn credentials_redacted_counts_kept() {
        let body = json!({
            "model": "m", "max_tokens": 5,
            "metadata": {"user_id": "u", "api_key": "sk-1", "refresh_token": "rt", "accessToken": "at"},
            "headers": {"Authorization": "Bearer abc", "x-api-key": "k"},
            "messages": [{"role": "user", "content": "Bearer leaked"}, {"role": "user", "content": "hi"}]
        });
        let out = redact_body(body.to_string().as_bytes());
        for secret in ["sk-1", "\"rt\"", "\"at\"", "abc", "\"k\"", "leaked"] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("\"max_tokens\":5"), "{out}");
        assert!(out.contains("\"hi\""), "{out}");
    }

    #[test]
    fn sse_frames_redacted_and_capped() {
        let mut d = DebugBodies::new(b"not json Bearer x");
        assert_eq!(d.request.as_deref(), Some("not json Bearer x"));
        d.push_response(b"event: x\ndata: {\"token\":\"t1\",\"text\":\"ok\"}\n\n");
        let r = d.response().unwrap();
        assert!(r.contains("\"text\":\"ok\"") && !r.contains("t1"), "{r}");
        d.push_response(&vec![b'a'; store::MAX_BODY_BYTES * 2]);
        assert_eq!(d.response.len(), store::MAX_BODY_BYTES + 1);
        let big = serde_json::json!({"text": "é".repeat(store::MAX_BODY_BYTES)}).to_string();
        let d = DebugBodies::new(big.as_bytes());
        let kept = d.request.unwrap();
        assert!(kept.len() > store::MAX_BODY_BYTES && kept.len() <= store::MAX_BODY_BYTES + 4);
    }
}
