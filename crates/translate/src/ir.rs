//! The intermediate representation (IR): one shape for a chat request and one for the answer.
//!
//! Both client dialects parse into [`ChatRequest`] (`openai`, `anthropic` modules); the normalizer turns it
//! into the upstream body (`normalize`); the stream state machine turns upstream events into
//! [`OutEvent`]s (`stream`), which the dialect encoders render (`sse`). Issue 10 "one intermediate
//! representation".

use serde_json::Value;

/// Which client dialect a request came in (decides id prefixes and wording of emulations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAi,
    Anthropic,
}

/// A whole chat request, independent of dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub dialect: Dialect,
    /// The model name exactly as the client sent it (echoed in responses).
    pub model: String,
    /// Top-level system text blocks, in order (OpenAI leading `system`/`developer` messages, Anthropic `system`).
    pub system: Vec<String>,
    /// The conversation. May contain [`Role::System`] messages anywhere (Claude Code, OpenAI mid-chat
    /// `system`); the normalizer decides where their text goes.
    pub messages: Vec<Message>,
    pub tools: Vec<ToolDef>,
    pub tool_choice: ToolChoice,
    /// `None` when the client did not say; the model name may then imply thinking (`models`).
    pub thinking: Option<Thinking>,
    /// Output limit requested by the client (`max_tokens` / `max_completion_tokens`).
    pub max_tokens: Option<u32>,
    /// Stop sequences to emulate (OpenAI `stop`, Anthropic `stop_sequences`).
    pub stop: Vec<String>,
    pub response_format: ResponseFormat,
    pub stream: bool,
    /// OpenAI `stream_options.include_usage`.
    pub include_usage: bool,
    pub metadata: Metadata,
}

impl ChatRequest {
    /// Images still given as remote URLs (user parts and tool results). The gateway fetches each one
    /// (timeout, size cap, [`crate::image::sniff`] type check) and replaces it with [`Image::Bytes`],
    /// or answers 400 when fetching is disabled.
    pub fn url_images_mut(&mut self) -> Vec<&mut Image> {
        let mut out = Vec::new();
        for m in &mut self.messages {
            for p in &mut m.parts {
                match p {
                    Part::Image(img @ Image::Url(_)) => out.push(img),
                    Part::ToolResult { content, .. } => {
                        for c in content {
                            if let ToolResultPart::Image(img @ Image::Url(_)) = c {
                                out.push(img);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

/// Optional request metadata the gateway may log or use for stickiness.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// OpenAI `user` / Anthropic `metadata.user_id` (opaque).
    pub user: Option<String>,
    /// A conversation/session id if the client sent one (Claude Code puts it inside `metadata.user_id`).
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    /// A system message inside the conversation (not a top-level system prompt).
    System,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
}

impl Message {
    pub fn new(role: Role, parts: Vec<Part>) -> Self {
        Self { role, parts }
    }

    /// A message with one text part.
    pub fn text(role: Role, text: impl Into<String>) -> Self {
        Self {
            role,
            parts: vec![Part::Text(text.into())],
        }
    }
}

/// One piece of message content.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Image(Image),
    /// An assistant tool call. `input` is the parsed argument object.
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    /// A user-side tool result.
    ToolResult {
        tool_use_id: String,
        content: Vec<ToolResultPart>,
        is_error: bool,
    },
    /// Assistant reasoning from an earlier turn; always dropped before the upstream (§2.3).
    Thinking(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolResultPart {
    Text(String),
    Image(Image),
}

/// Image formats the upstream accepts (protocol doc §4.2 `ImageBlock.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageFormat {
    /// From a MIME type such as `image/png` (`image/jpg` is accepted as jpeg).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type.trim().to_ascii_lowercase().as_str() {
            "image/png" => Some(Self::Png),
            "image/jpeg" | "image/jpg" => Some(Self::Jpeg),
            "image/gif" => Some(Self::Gif),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    /// The upstream wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }
}

/// An image as the client gave it. Remote URLs must be resolved by the gateway (which does I/O) into
/// [`Image::Bytes`] before normalizing; a remaining `Url` makes normalization fail with a 400.
#[derive(Debug, Clone, PartialEq)]
pub enum Image {
    /// Base64 data (no `data:` prefix) with a known format.
    Base64 { format: ImageFormat, data: String },
    /// Raw bytes fetched by the gateway.
    Bytes { format: ImageFormat, bytes: Vec<u8> },
    /// An `http(s)` URL still to be fetched.
    Url(String),
}

/// A client-side tool definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// JSON schema of the input object (defaulted to an empty object schema when missing).
    pub input_schema: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ToolChoice {
    #[default]
    Auto,
    None,
    /// The model must call some tool (OpenAI `required`, Anthropic `any`).
    Required,
    /// The model must call this tool.
    Named(String),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Thinking {
    #[default]
    Disabled,
    /// Thinking with a token budget (Anthropic `enabled`, OpenAI `reasoning_effort`, `-thinking` models).
    Enabled { budget_tokens: u32 },
    /// Anthropic `adaptive`: the model decides, with an effort hint.
    Adaptive { effort: Effort },
}

impl Thinking {
    pub fn is_on(self) -> bool {
        !matches!(self, Self::Disabled)
    }
}

/// Reasoning effort, lowest first (the upstream's values, kiro-2026-endpoints.md §4: low, medium,
/// high, xhigh, max). The order is the scale [`crate::models::effort`] clamps on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Effort {
    Low,
    Medium,
    High,
    #[serde(rename = "xhigh")]
    XHigh,
    Max,
}

impl Effort {
    /// Every value, lowest first.
    pub const ALL: [Effort; 5] = [Self::Low, Self::Medium, Self::High, Self::XHigh, Self::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::XHigh => "xhigh",
            Self::Max => "max",
        }
    }

    /// The wire name back to a value (exact, lower-case).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum ResponseFormat {
    #[default]
    Text,
    /// Any JSON object (OpenAI `json_object`).
    JsonObject,
    /// JSON matching a schema (OpenAI `json_schema`, Anthropic `output_config.format`).
    JsonSchema { name: Option<String>, schema: Value },
}

impl ResponseFormat {
    pub fn is_json(&self) -> bool {
        !matches!(self, Self::Text)
    }
}

// ---------------------------------------------------------------------------------------------------
// Output side
// ---------------------------------------------------------------------------------------------------

/// One event of the answer, in order. Guarantees from the stream state machine: tool events of one call
/// are contiguous (`ToolStart`, `ToolArgs`…, `ToolEnd`), the arguments concatenate to a JSON object,
/// and exactly one of `Finish` or `Error` comes last.
#[derive(Debug, Clone, PartialEq)]
pub enum OutEvent {
    Text(String),
    Thinking(String),
    ToolStart {
        index: usize,
        id: String,
        name: String,
    },
    ToolArgs {
        index: usize,
        json: String,
    },
    ToolEnd {
        index: usize,
    },
    Finish {
        reason: FinishReason,
        stop_sequence: Option<String>,
        usage: Usage,
    },
    Error(StreamError),
}

/// Why the answer ended (dialect-neutral; each encoder maps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    /// Refusal, content filter or guardrail.
    ContentFilter,
    /// The upstream stopped because the context window filled up (`MODEL_CONTEXT_WINDOW_EXCEEDED`).
    ContextWindowExceeded,
}

/// Token usage of one answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cache_read_input_tokens: u32,
    pub cache_creation_input_tokens: u32,
}

impl Usage {
    /// The whole prompt: fresh input plus what was read from and written to the cache (the OpenAI
    /// dialects count cached input as prompt input; Anthropic reports the three apart).
    pub fn prompt_tokens(&self) -> u32 {
        self.input_tokens
            .saturating_add(self.cache_read_input_tokens)
            .saturating_add(self.cache_creation_input_tokens)
    }
}

/// Why an answer ended in an error after the upstream stream opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamErrorKind {
    /// The upstream ended the turn: an exception or error frame, or a `MODEL_TEMPORARILY_UNAVAILABLE`
    /// stop, classified like an HTTP answer ([`amazonq::error::classify_exception`]).
    Upstream(amazonq::error::ErrorClass),
    /// The stream broke (connection dropped, framing error, idle timeout).
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub kind: StreamErrorKind,
    pub message: String,
}

impl StreamError {
    /// What the client sees of it ([`crate::failure`]: the same table as an HTTP error answer).
    pub fn face(&self, dialect: Dialect) -> crate::failure::Face {
        match &self.kind {
            StreamErrorKind::Upstream(class) => crate::failure::Face::of_class(class, dialect),
            StreamErrorKind::Interrupted => crate::failure::Face::interrupted(),
        }
    }

    /// Its low-cardinality label (request log, metrics); the same in every dialect.
    pub fn label(&self) -> &'static str {
        self.face(Dialect::OpenAi).label
    }
}
