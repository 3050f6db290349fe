//! Wire types of the `GenerateAssistantResponse` request body (spec §4.2, §10).
//!
//! JSON keys are camelCase; unions are serde's default *externally tagged* enums,
//! so `ChatMessage::UserInputMessage(m)` is `{"userInputMessage": {...}}` on the
//! wire — exactly one key, as the Smithy JSON protocol encodes unions. Optional
//! members are `Option` and are left out when `None`; unknown keys are ignored
//! when deserializing, so a newer service never breaks an older gateway.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Values of `userInputMessage.origin` seen in practice (§4.3). The field is a
/// plain string because the service accepts values outside its published enum
/// (`KIRO_CLI`).
pub mod origin {
    /// What the official Amazon Q CLI sends.
    pub const CLI: &str = "CLI";
    /// What the Kiro IDE sends.
    pub const AI_EDITOR: &str = "AI_EDITOR";
    /// What kiro-cli sends.
    pub const KIRO_CLI: &str = "KIRO_CLI";
}

/// Root of the chat call body. `agentMode` is not here: it travels as the
/// `x-amzn-kiro-agent-mode` header (§4.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAssistantResponseRequest {
    pub conversation_state: ConversationState,
    /// IdC profile (Amazon Q) or Kiro social profile; never for Builder ID (R17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_arn: Option<String>,
    /// Native model options (`additionalModelRequestFields`, kiro-2026-endpoints.md §4), e.g. effort.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields: Option<serde_json::Value>,
}

/// The conversation: prior turns plus the current user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationState {
    /// UUID; optional on the wire, so an empty string means "absent".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub conversation_id: String,
    /// Must be the `UserInputMessage` variant (R1).
    pub current_message: ChatMessage,
    /// Left out when empty: some peers report the service dislikes `[]` (§4.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ChatMessage>,
    pub chat_trigger_type: ChatTriggerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_task_type: Option<AgentTaskType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_continuation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customization_arn: Option<String>,
}

/// `chatTriggerType`; only `MANUAL` is safe to send (R16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChatTriggerType {
    #[default]
    Manual,
    Diagnostic,
    InlineChat,
}

/// `agentTaskType` (Kiro sends `vibe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentTaskType {
    Vibe,
    Spectask,
}

/// One turn: a JSON union with exactly one key.
// Not boxed: messages are built once per request and moved, never copied in
// bulk, and boxing would make every construction site noisier.
#[expect(
    clippy::large_enum_variant,
    reason = "built once per request and moved; boxing would make every construction site noisier"
)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ChatMessage {
    UserInputMessage(UserInputMessage),
    AssistantResponseMessage(AssistantResponseMessage),
}

impl ChatMessage {
    /// The user message, if this is one.
    pub fn as_user(&self) -> Option<&UserInputMessage> {
        match self {
            Self::UserInputMessage(m) => Some(m),
            Self::AssistantResponseMessage(_) => None,
        }
    }

    /// The assistant message, if this is one.
    pub fn as_assistant(&self) -> Option<&AssistantResponseMessage> {
        match self {
            Self::AssistantResponseMessage(m) => Some(m),
            Self::UserInputMessage(_) => None,
        }
    }
}

/// A user turn (also the shape of `currentMessage`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInputMessage {
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_input_message_context: Option<UserInputMessageContext>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_intent: Option<String>,
    /// See [`origin`] for the usual values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Images sit on the message itself, never in the context (§4.2 notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<ImageBlock>>,
    /// Missing means the account's default model (Addendum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_point: Option<CachePoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cache_config: Option<ClientCacheConfig>,
}

/// `clientCacheConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientCacheConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_client_caching_only: Option<bool>,
}

/// `cachePoint: {"type": "default"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CachePoint {
    #[serde(rename = "type")]
    pub kind: CachePointType,
}

/// The only cache point type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CachePointType {
    #[default]
    Default,
}

/// Side information attached to a user turn. The editor/console states the
/// gateway never produces are kept as raw JSON so they survive a round trip.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInputMessageContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub editor_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell_state: Option<ShellState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_state: Option<GitState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_state: Option<EnvState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_studio_context: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_state: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_settings: Option<UserSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_context: Option<Vec<AdditionalContentEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_results: Option<Vec<ToolResult>>,
    /// Only on `currentMessage` (R9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
}

/// `shellState`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShellState {
    pub shell_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell_history: Option<Vec<Value>>,
}

/// `gitState` (output of `git status --porcelain=v1 -b`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GitState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `envState`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_working_directory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_variables: Option<Vec<EnvironmentVariable>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_offset: Option<i32>,
}

/// One `envState.environmentVariables` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentVariable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `userSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_consented_to_cross_region_calls: Option<bool>,
}

/// One `additionalContext` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdditionalContentEntry {
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_context: Option<String>,
}

/// A tool declaration: `{"toolSpecification": …}` or `{"cachePoint": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Tool {
    ToolSpecification(ToolSpecification),
    CachePoint(CachePoint),
}

/// A client tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpecification {
    pub name: String,
    /// Optional in the model but required non-empty in practice (R11), so it
    /// is always sent; a missing one deserializes as "".
    #[serde(default)]
    pub description: String,
    pub input_schema: InputSchema,
}

/// `inputSchema: {"json": <JSON Schema>}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSchema {
    pub json: Value,
}

/// The answer to one earlier tool use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResult {
    pub tool_use_id: String,
    pub content: Vec<ToolResultContent>,
    /// Optional on the wire; peers always send it, and absent means success.
    #[serde(default)]
    pub status: ToolResultStatus,
}

/// One block of a tool result: `{"text": …}` or `{"json": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ToolResultContent {
    Text(String),
    Json(Value),
}

/// `toolResults[].status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolResultStatus {
    #[default]
    Success,
    Error,
}

/// A tool call the assistant made in an earlier turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUse {
    pub tool_use_id: String,
    pub name: String,
    /// A JSON object in practice (the CLI rejects anything else).
    pub input: Value,
}

/// An inline image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageBlock {
    pub format: ImageFormat,
    pub source: ImageSource,
}

/// Image formats the service accepts (R18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
}

/// `source: {"bytes": "<base64, no data: prefix>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ImageSource {
    Bytes(String),
}

/// An assistant turn in history.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantResponseMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplementary_web_links: Option<Vec<SupplementaryWebLink>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<Reference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followup_prompt: Option<FollowupPrompt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_uses: Option<Vec<ToolUse>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_point: Option<CachePoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<ReasoningContent>,
}

/// `reasoningContent` union.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReasoningContent {
    ReasoningText(ReasoningText),
    /// Base64 text.
    RedactedContent(String),
}

/// `reasoningText`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningText {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A web link attached to an answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplementaryWebLink {
    pub url: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// A licensed-code reference (also the payload of `codeReferenceEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation_content_span: Option<Span>,
}

/// Character span of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<i64>,
}

/// A suggested follow-up question (never rendered as answer text, §7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowupPrompt {
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_intent: Option<String>,
}
