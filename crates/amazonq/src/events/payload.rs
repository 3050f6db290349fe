//! JSON payload shapes of the stream events (camelCase on the wire), private
//! to [`super`]: the public API is [`super::StreamEvent`]. A payload whose fields
//! may all be missing takes `#[serde(default)]` on the struct: a missing field
//! reads as its empty value.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{EventError, TokenUsage};
use crate::eventstream::Frame;
use crate::types::{FollowupPrompt, Reference, SupplementaryWebLink};

#[derive(Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Ids {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) conversation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) utterance_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Text {
    pub(super) content: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ToolUsePayload {
    pub(super) tool_use_id: String,
    pub(super) name: String,
    /// A string fragment; some peers saw an object, which is re-serialized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) stop: bool,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct ReasoningPayload {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) redacted_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) signature: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(super) struct MeteringPayload {
    pub(super) usage: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) unit: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContextUsagePayload {
    pub(super) context_usage_percentage: f64,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct MetadataPayload {
    pub(super) token_usage: TokenUsage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) stop_reason: Option<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(super) struct CodeReferencePayload {
    pub(super) references: Vec<Reference>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FollowupPayload {
    pub(super) followup_prompt: FollowupPrompt,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct WebLinksPayload {
    pub(super) supplementary_web_links: Vec<SupplementaryWebLink>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub(super) struct ReasonMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reason: Option<String>,
    #[serde(alias = "Message", skip_serializing_if = "Option::is_none")]
    pub(super) message: Option<String>,
}

pub(super) fn parse<T: DeserializeOwned>(
    event_type: &str,
    payload: &[u8],
) -> Result<T, EventError> {
    serde_json::from_slice(payload).map_err(|e| EventError::Payload {
        event_type: event_type.to_owned(),
        detail: e.to_string(),
        shape: crate::drift::json_shape_bytes(payload),
    })
}

pub(super) fn event<T: Serialize>(event_type: &str, payload: &T) -> Frame {
    Frame::event(event_type, to_json(payload))
}

pub(super) fn to_json<T: Serialize>(payload: &T) -> Vec<u8> {
    // These payloads are structs of strings, numbers and lists: serde_json
    // cannot fail on them (non-finite floats become `null`, not errors).
    serde_json::to_vec(payload).unwrap_or_default()
}
