//! Typed stream events (spec §5.3): one [`StreamEvent`] per event-stream frame.
//!
//! Decoding is by the `:message-type` / `:event-type` headers and the JSON
//! payload, never by scanning payload text (§5.2). Unknown event types become
//! [`StreamEvent::Unknown`] so callers can skip them (forward compatibility);
//! a *known* event with a payload that is not the documented JSON is an error.
//! [`StreamEvent::to_frame`] is the inverse, used by the simulator.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::eventstream::{Frame, RawFrame, names};
use crate::types::{FollowupPrompt, Reference, SupplementaryWebLink};

mod payload;

use payload::{
    CodeReferencePayload, ContextUsagePayload, FollowupPayload, Ids, MetadataPayload,
    MeteringPayload, ReasonMessage, ReasoningPayload, Text, ToolUsePayload, WebLinksPayload, event,
    parse, to_json,
};

/// Event type names on the wire.
pub mod event_types {
    pub const INITIAL_RESPONSE: &str = "initial-response";
    pub const MESSAGE_METADATA: &str = "messageMetadataEvent";
    pub const ASSISTANT_RESPONSE: &str = "assistantResponseEvent";
    pub const TOOL_USE: &str = "toolUseEvent";
    pub const REASONING: &str = "reasoningContentEvent";
    pub const METERING: &str = "meteringEvent";
    pub const CONTEXT_USAGE: &str = "contextUsageEvent";
    pub const METADATA: &str = "metadataEvent";
    pub const CODE_REFERENCE: &str = "codeReferenceEvent";
    pub const FOLLOWUP_PROMPT: &str = "followupPromptEvent";
    pub const WEB_LINKS: &str = "supplementaryWebLinksEvent";
    pub const INVALID_STATE: &str = "invalidStateEvent";
}

/// One decoded stream event.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// `initial-response` (dialect Q, first frame).
    InitialResponse { conversation_id: Option<String> },
    /// `messageMetadataEvent`.
    MessageMetadata {
        conversation_id: Option<String>,
        utterance_id: Option<String>,
    },
    /// `assistantResponseEvent`: a text delta.
    AssistantResponse { content: String },
    /// `toolUseEvent`: start (no input), fragment (raw JSON text piece) or stop.
    ToolUse {
        tool_use_id: String,
        name: String,
        input: Option<String>,
        stop: bool,
    },
    /// `reasoningContentEvent`.
    Reasoning {
        text: Option<String>,
        redacted_content: Option<String>,
        signature: Option<String>,
    },
    /// `meteringEvent`: credits consumed.
    Metering { usage: f64, unit: Option<String> },
    /// `contextUsageEvent`: percentage of the context window used.
    ContextUsage { percentage: f64 },
    /// `metadataEvent`: real token counts and, on the 2026 runtime host, why the turn ended
    /// (`stopReason`: `END_TURN`, `MAX_TOKENS`, `TOOL_USE`, … kiro-2026-endpoints.md §8).
    Metadata {
        token_usage: TokenUsage,
        stop_reason: Option<String>,
    },
    /// `codeReferenceEvent`: licensed code in the preceding text chunk.
    CodeReference { references: Vec<Reference> },
    /// `followupPromptEvent`: never render as answer text.
    FollowupPrompt { prompt: FollowupPrompt },
    /// `supplementaryWebLinksEvent`.
    WebLinks { links: Vec<SupplementaryWebLink> },
    /// `invalidStateEvent`: logged, not fatal.
    InvalidState {
        reason: Option<String>,
        message: Option<String>,
    },
    /// `:message-type exception`: ends the turn.
    Exception {
        exception_type: String,
        message: Option<String>,
        reason: Option<String>,
    },
    /// `:message-type error`: ends the turn.
    Error { code: String, message: String },
    /// Any other event (or message type): skip it.
    Unknown { event_type: String, payload: Bytes },
}

/// `metadataEvent.tokenUsage`. Any count may be missing (0, or `None` for the cache counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TokenUsage {
    pub uncached_input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write_input_tokens: Option<u64>,
}

impl TokenUsage {
    /// Input tokens of every kind (uncached + cache read + cache write).
    pub fn input_tokens(&self) -> u64 {
        self.uncached_input_tokens
            + self.cache_read_input_tokens.unwrap_or(0)
            + self.cache_write_input_tokens.unwrap_or(0)
    }
}

/// A frame that is not a valid event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("frame has no :message-type header")]
    MissingMessageType,
    #[error("{kind} frame has no {header} header")]
    MissingHeader {
        kind: &'static str,
        header: &'static str,
    },
    #[error("payload of {event_type} is not the documented JSON: {detail}")]
    Payload {
        event_type: String,
        /// The parser's message (may quote payload text: not for drift samples).
        detail: String,
        /// The payload's redacted JSON shape ([`crate::drift::json_shape`]).
        shape: String,
    },
}

/// What decoding an event reads from a frame: owned ([`Frame`]) or in place ([`RawFrame`]).
trait View {
    fn header_str(&self, name: &str) -> Option<&str>;
    fn message_type(&self) -> Option<&str>;
    fn event_type(&self) -> Option<&str>;
    fn payload_bytes(&self) -> &[u8];
    fn payload(&self) -> Bytes;
}

impl View for Frame {
    fn header_str(&self, name: &str) -> Option<&str> {
        Frame::header_str(self, name)
    }
    fn message_type(&self) -> Option<&str> {
        Frame::message_type(self)
    }
    fn event_type(&self) -> Option<&str> {
        Frame::event_type(self)
    }
    fn payload_bytes(&self) -> &[u8] {
        &self.payload
    }
    fn payload(&self) -> Bytes {
        self.payload.clone()
    }
}

impl View for RawFrame {
    fn header_str(&self, name: &str) -> Option<&str> {
        RawFrame::header_str(self, name)
    }
    fn message_type(&self) -> Option<&str> {
        RawFrame::message_type(self)
    }
    fn event_type(&self) -> Option<&str> {
        RawFrame::event_type(self)
    }
    fn payload_bytes(&self) -> &[u8] {
        RawFrame::payload_bytes(self)
    }
    fn payload(&self) -> Bytes {
        RawFrame::payload(self)
    }
}

impl StreamEvent {
    /// Decodes a frame.
    pub fn from_frame(frame: &Frame) -> Result<Self, EventError> {
        Self::decode(frame)
    }

    /// Decodes a frame whose headers are read in place (the event stream's path: no header
    /// allocations per frame). Same results as [`Self::from_frame`].
    pub fn from_raw(frame: &RawFrame) -> Result<Self, EventError> {
        Self::decode(frame)
    }

    fn decode<F: View>(frame: &F) -> Result<Self, EventError> {
        let message_type = frame.message_type().ok_or(EventError::MissingMessageType)?;
        match message_type {
            "event" => Self::decode_event(frame),
            "exception" => Self::decode_exception(frame),
            "error" => Ok(Self::Error {
                code: frame
                    .header_str(names::ERROR_CODE)
                    .unwrap_or_default()
                    .to_owned(),
                message: frame
                    .header_str(names::ERROR_MESSAGE)
                    .unwrap_or_default()
                    .to_owned(),
            }),
            other => Ok(Self::Unknown {
                event_type: format!("{other}:{}", frame.event_type().unwrap_or_default()),
                payload: frame.payload(),
            }),
        }
    }

    /// `:message-type exception`: `:exception-type` plus a `{message, reason}` body.
    fn decode_exception<F: View>(frame: &F) -> Result<Self, EventError> {
        let exception_type =
            frame
                .header_str(names::EXCEPTION_TYPE)
                .ok_or(EventError::MissingHeader {
                    kind: "exception",
                    header: names::EXCEPTION_TYPE,
                })?;
        // An exception is fatal anyway; a body that is not JSON must not
        // hide it, so the raw text becomes the message.
        let body: ReasonMessage =
            serde_json::from_slice(frame.payload_bytes()).unwrap_or_else(|_| ReasonMessage {
                reason: None,
                message: Some(String::from_utf8_lossy(frame.payload_bytes()).into_owned())
                    .filter(|m| !m.is_empty()),
            });
        Ok(Self::Exception {
            exception_type: exception_type.to_owned(),
            message: body.message,
            reason: body.reason,
        })
    }

    /// `:message-type event`: the payload of its `:event-type`.
    fn decode_event<F: View>(frame: &F) -> Result<Self, EventError> {
        use event_types as t;
        let event_type = frame.event_type().ok_or(EventError::MissingHeader {
            kind: "event",
            header: names::EVENT_TYPE,
        })?;
        let p = frame.payload_bytes();
        Ok(match event_type {
            t::INITIAL_RESPONSE => {
                // Some services send an empty initial-response.
                let Ids {
                    conversation_id, ..
                } = if p.is_empty() {
                    Ids::default()
                } else {
                    parse(event_type, p)?
                };
                Self::InitialResponse { conversation_id }
            }
            t::MESSAGE_METADATA => {
                let Ids {
                    conversation_id,
                    utterance_id,
                } = parse(event_type, p)?;
                Self::MessageMetadata {
                    conversation_id,
                    utterance_id,
                }
            }
            t::ASSISTANT_RESPONSE => Self::AssistantResponse {
                content: parse::<Text>(event_type, p)?.content,
            },
            t::TOOL_USE => {
                let ToolUsePayload {
                    tool_use_id,
                    name,
                    input,
                    stop,
                } = parse(event_type, p)?;
                let input = match input {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s),
                    Some(other) => Some(other.to_string()),
                };
                Self::ToolUse {
                    tool_use_id,
                    name,
                    input,
                    stop,
                }
            }
            t::REASONING => {
                let ReasoningPayload {
                    text,
                    redacted_content,
                    signature,
                } = parse(event_type, p)?;
                Self::Reasoning {
                    text,
                    redacted_content,
                    signature,
                }
            }
            t::METERING => {
                let MeteringPayload { usage, unit } = parse(event_type, p)?;
                Self::Metering { usage, unit }
            }
            t::CONTEXT_USAGE => Self::ContextUsage {
                percentage: parse::<ContextUsagePayload>(event_type, p)?.context_usage_percentage,
            },
            t::METADATA => {
                let MetadataPayload {
                    token_usage,
                    stop_reason,
                } = parse(event_type, p)?;
                Self::Metadata {
                    token_usage,
                    stop_reason,
                }
            }
            t::CODE_REFERENCE => Self::CodeReference {
                references: parse::<CodeReferencePayload>(event_type, p)?.references,
            },
            t::FOLLOWUP_PROMPT => Self::FollowupPrompt {
                prompt: parse::<FollowupPayload>(event_type, p)?.followup_prompt,
            },
            t::WEB_LINKS => Self::WebLinks {
                links: parse::<WebLinksPayload>(event_type, p)?.supplementary_web_links,
            },
            t::INVALID_STATE => {
                let ReasonMessage { reason, message } = parse(event_type, p)?;
                Self::InvalidState { reason, message }
            }
            other => Self::Unknown {
                event_type: other.to_owned(),
                payload: frame.payload(),
            },
        })
    }

    /// Encodes the event as the service would send it.
    pub fn to_frame(&self) -> Frame {
        use event_types as t;
        // The payloads own their fields: one clone of the event is what cloning each field was.
        match self.clone() {
            Self::InitialResponse { conversation_id } => event(
                t::INITIAL_RESPONSE,
                &Ids {
                    conversation_id,
                    utterance_id: None,
                },
            ),
            Self::MessageMetadata {
                conversation_id,
                utterance_id,
            } => event(
                t::MESSAGE_METADATA,
                &Ids {
                    conversation_id,
                    utterance_id,
                },
            ),
            Self::AssistantResponse { content } => event(t::ASSISTANT_RESPONSE, &Text { content }),
            Self::ToolUse {
                tool_use_id,
                name,
                input,
                stop,
            } => event(
                t::TOOL_USE,
                &ToolUsePayload {
                    tool_use_id,
                    name,
                    input: input.map(serde_json::Value::String),
                    stop,
                },
            ),
            Self::Reasoning {
                text,
                redacted_content,
                signature,
            } => event(
                t::REASONING,
                &ReasoningPayload {
                    text,
                    redacted_content,
                    signature,
                },
            ),
            Self::Metering { usage, unit } => event(t::METERING, &MeteringPayload { usage, unit }),
            Self::ContextUsage { percentage } => event(
                t::CONTEXT_USAGE,
                &ContextUsagePayload {
                    context_usage_percentage: percentage,
                },
            ),
            Self::Metadata {
                token_usage,
                stop_reason,
            } => event(
                t::METADATA,
                &MetadataPayload {
                    token_usage,
                    stop_reason,
                },
            ),
            Self::CodeReference { references } => {
                event(t::CODE_REFERENCE, &CodeReferencePayload { references })
            }
            Self::FollowupPrompt { prompt } => event(
                t::FOLLOWUP_PROMPT,
                &FollowupPayload {
                    followup_prompt: prompt,
                },
            ),
            Self::WebLinks { links } => event(
                t::WEB_LINKS,
                &WebLinksPayload {
                    supplementary_web_links: links,
                },
            ),
            Self::InvalidState { reason, message } => {
                event(t::INVALID_STATE, &ReasonMessage { reason, message })
            }
            Self::Exception {
                exception_type,
                message,
                reason,
            } => Frame::exception(&exception_type, to_json(&ReasonMessage { reason, message })),
            Self::Error { code, message } => Frame::error(&code, &message),
            Self::Unknown {
                event_type,
                payload,
            } => Frame::event(&event_type, payload),
        }
    }

    /// True for the events that end a turn with a failure.
    pub fn is_terminal_error(&self) -> bool {
        matches!(self, Self::Exception { .. } | Self::Error { .. })
    }
}

#[cfg(test)]
mod tests;
