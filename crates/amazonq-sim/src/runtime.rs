//! The chat rules of the runtime host `runtime.<r>.kiro.dev` (kiro-2026-endpoints.md §2, §4, §7,
//! §9 "Simulator must enforce"), applied on top of the shared R1–R21 (R17 and R19 do not apply
//! there). Each is a switch named in `x-sim-rule`:
//!
//! | rule | answer |
//! |---|---|
//! | `root-members` | a root member other than `conversationState`, `profileArn`, `additionalModelRequestFields` → 400 REQUEST_BODY_INVALID |
//! | `agent-mode` (off) | a root `agentMode` → 400 REQUEST_BODY_INVALID (disputed; otherwise tolerated) |
//! | `profile-required` | no root `profileArn` → 400 "profileArn is required for this request." (every auth kind) |
//! | `profile-format` | ARN not `arn:aws:codewhisperer:<region>:<12 digits>:profile/<A-Z0-9>`, or the placeholder → 400 REQUEST_BODY_INVALID |
//! | `profile-region` | ARN region ≠ the listener's region → 403 "The bearer token included in the request is invalid." |
//! | `profile-access` | not an ARN the account may use (Builder ID: the service ARN; social: its refresh ARN; IdC: its profiles) → 403 "User is not authorized to make this call." |
//! | `model-fields` | `additionalModelRequestFields` not allowed by the model's schema (or the model has none) → 400 REQUEST_BODY_INVALID |
//! | `image-size` | an image whose base64 is over 5,242,880 bytes → 400 "image exceeds 5 MB maximum: N bytes > 5242880" |
//! | `input-tokens` | estimated input tokens over the model's `maxInputTokens` → 400 CONTENT_LENGTH_EXCEEDS_THRESHOLD |
//!
//! The token estimate: the bytes of the serialized `conversationState` with every image's base64
//! left out, divided by 4, rounded up.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::catalog::arn_well_formed;
use crate::config::{ModelSpec, ProfileSpec};
use crate::errors::QError;
use crate::state::Shared;
use crate::validate::RuleSet;

pub const REQUEST_BODY_INVALID: &str = "REQUEST_BODY_INVALID";
const ROOT_MEMBERS: [&str; 3] = [
    "conversationState",
    "profileArn",
    "additionalModelRequestFields",
];
const MAX_IMAGE_BASE64: usize = 5_242_880;

/// 400 "Improperly formed request." with reason REQUEST_BODY_INVALID (§8).
pub fn body_invalid(rule: &str) -> QError {
    QError::validation("Improperly formed request.", Some(REQUEST_BODY_INVALID)).rule(rule)
}

/// Root members and the profile rules, in that order. Returns the profile the body names
/// (None when the profile rules are off and it names none of the account's).
pub fn check_root(
    s: &Shared,
    headers: &HeaderMap,
    account: &str,
    json: &Value,
    rules: &RuleSet,
) -> Result<Option<ProfileSpec>, QError> {
    if let Some(root) = json.as_object() {
        for key in root.keys().filter(|k| !ROOT_MEMBERS.contains(&k.as_str())) {
            if key == "agentMode" {
                if rules.on("agent-mode") {
                    return Err(body_invalid("agent-mode"));
                }
            } else if rules.on("root-members") {
                return Err(body_invalid("root-members"));
            }
        }
    }
    let arn = match json.get("profileArn") {
        None | Some(Value::Null) => {
            if rules.on("profile-required") {
                return Err(
                    QError::validation("profileArn is required for this request.", None)
                        .rule("profile-required"),
                );
            }
            return Ok(None);
        }
        Some(Value::String(a)) if arn_well_formed(a) => a.as_str(),
        Some(other) => {
            if rules.on("profile-format") {
                return Err(body_invalid("profile-format"));
            }
            match other.as_str() {
                Some(a) => a,
                None => return Ok(None),
            }
        }
    };
    crate::management::authorize_profile(s, headers, account, arn)
}

/// The `additionalModelRequestFields` of a request against the model's schema (rule
/// `model-fields`). Returns the effort a valid `thinking.type = adaptive` asks for (`default`
/// when `output_config.effort` is absent): the answer then starts with `effort=<e>` reasoning.
pub fn check_fields(
    json: &Value,
    model: Option<&ModelSpec>,
    on: bool,
) -> Result<Option<String>, QError> {
    let Some(fields) = json.get("additionalModelRequestFields") else {
        return Ok(None);
    };
    if on {
        let Some(schema) = model.and_then(|m| m.additional_model_request_fields_schema.as_ref())
        else {
            return Err(body_invalid("model-fields"));
        };
        if !fits(fields, schema) {
            return Err(body_invalid("model-fields"));
        }
    }
    let adaptive = fields.pointer("/thinking/type").and_then(Value::as_str) == Some("adaptive");
    Ok(adaptive.then(|| {
        fields
            .pointer("/output_config/effort")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_owned()
    }))
}

/// A small JSON Schema subset: `type`, `enum`, closed `properties`, `items`.
fn fits(v: &Value, schema: &Value) -> bool {
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        return false;
    }
    let type_ok = match schema.get("type").and_then(Value::as_str) {
        None => true,
        Some("object") => v.is_object(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("array") => v.is_array(),
        Some(_) => false,
    };
    if !type_ok {
        return false;
    }
    if let (Some(obj), Some(props)) = (
        v.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        return obj
            .iter()
            .all(|(k, sub)| props.get(k).is_some_and(|p| fits(sub, p)));
    }
    if let (Some(arr), Some(items)) = (v.as_array(), schema.get("items")) {
        return arr.iter().all(|x| fits(x, items));
    }
    true
}

fn images(cs: &Value) -> impl Iterator<Item = &Value> {
    let history = cs
        .get("history")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    history
        .iter()
        .chain(cs.get("currentMessage"))
        .filter_map(|m| {
            m.pointer("/userInputMessage/images")
                .and_then(Value::as_array)
        })
        .flatten()
}

/// Rule `image-size`: base64 over 5,242,880 bytes (§7, KC PR #1941).
pub fn check_images(json: &Value) -> Result<(), QError> {
    let cs = json.get("conversationState").unwrap_or(&Value::Null);
    for img in images(cs) {
        let n = img
            .pointer("/source/bytes")
            .and_then(Value::as_str)
            .map_or(0, str::len);
        if n > MAX_IMAGE_BASE64 {
            let msg = format!("image exceeds 5 MB maximum: {n} bytes > {MAX_IMAGE_BASE64}");
            return Err(QError::validation(&msg, None).rule("image-size"));
        }
    }
    Ok(())
}

/// Estimated input tokens: serialized `conversationState` without image data, / 4, rounded up.
pub fn estimate_tokens(json: &Value) -> u64 {
    let Some(cs) = json.get("conversationState") else {
        return 0;
    };
    let image_bytes: usize = images(cs)
        .filter_map(|i| i.pointer("/source/bytes").and_then(Value::as_str))
        .map(str::len)
        .sum();
    let len = serde_json::to_vec(cs).map_or(0, |v| v.len());
    (len.saturating_sub(image_bytes) as u64).div_ceil(4)
}

/// Rule `input-tokens` (§7: the limit tracks the model's window, in tokens).
pub fn check_tokens(tokens: u64, window: u64) -> Result<(), QError> {
    if tokens > window {
        return Err(QError::validation(
            "Input content length exceeds threshold.",
            Some("CONTENT_LENGTH_EXCEEDS_THRESHOLD"),
        )
        .rule("input-tokens"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_fit_the_effort_schema_only() {
        let schema = crate::catalog::effort_schema();
        let ok = json!({"output_config": {"effort": "xhigh"}, "thinking": {"type": "adaptive"}});
        assert!(fits(&ok, &schema));
        for bad in [
            json!({"output_config": {"effort": "extreme"}}),
            json!({"thinking": {"type": "enabled"}}),
            json!({"reasoning": {"effort": "low"}}),
            json!({"thinking": {"type": "adaptive", "budget_tokens": 5}}),
            json!("adaptive"),
        ] {
            assert!(!fits(&bad, &schema), "{bad}");
        }
    }

    #[test]
    fn token_estimate_ignores_image_data() {
        let img = "A".repeat(4000);
        let with = json!({"conversationState": {"currentMessage": {"userInputMessage": {"content": "x", "images": [{"format": "png", "source": {"bytes": img}}]}}}});
        let without = json!({"conversationState": {"currentMessage": {"userInputMessage": {"content": "x", "images": [{"format": "png", "source": {"bytes": ""}}]}}}});
        assert_eq!(estimate_tokens(&with), estimate_tokens(&without));
        assert!(estimate_tokens(&without) > 0);
    }
}
