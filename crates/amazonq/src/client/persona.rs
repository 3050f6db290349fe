//! The client personas: everything that makes a request look like one real client — user agents,
//! `x-amz-target`, content type, extra headers, `origin`, `agentTaskType`, `profileArn` — decided
//! in this one place so a request never mixes two clients (kiro-2026-endpoints.md §2–§4).
//!
//! | persona | who | chat | source |
//! |---|---|---|---|
//! | [`Persona::KiroCli`] | Builder ID, IAM Identity Center on `runtime.*` | JSON 1.0 `POST /`, target `AmazonCodeWhispererStreamingService.GenerateAssistantResponse`, Rust SDK agents with `md/appVersion-2.19.1` and `app/AmazonQ-For-CLI`, origin `KIRO_CLI` | kiro-cli 2.19.1 capture (minpeter/kiro-lb PR #27), opencodex, kirocc PR #40 |
//! | [`Persona::KiroIde`] | Kiro social on `runtime.*` | JSON 1.0 `POST /`, target `KiroRuntimeService.GenerateAssistantResponse`, JS SDK agents `api/kiroruntime#1.0.0 … KiroIDE-1.0.437-<machine id>`, `x-amzn-kiro-client-attribution: kiro-ide`, origin `AI_EDITOR` | Kiro IDE 1.0.437 capture (minpeter/kiro-lb PR #42) |
//! | [`Persona::LegacyQCli`] | Builder ID, IdC on the `q.*` fallback | today's Amazon Q dialect (spec §4.1), origin `CLI` | amazon-q-protocol.md §4.1, §4.3 |
//! | [`Persona::LegacyKiroIde`] | social on the `q.*` fallback | today's Kiro dialect: REST `POST /generateAssistantResponse`, `x-amzn-kiro-agent-mode`, `Connection: close`, origin `AI_EDITOR` | amazon-q-protocol.md §4.1, §7 |
//!
//! Account APIs on `management.*` use the persona's agent family with the management API name
//! (`kirocontrolplanebearer` for the model list, LB `model_catalog.py`; `codewhispererruntime`
//! otherwise) and origin `AI_EDITOR` (the usage-limits contract both captures share, §6).
//!
//! `profileArn` (§2): on `runtime.*` every chat carries one — Builder ID the request-scoped
//! [`BUILDER_ID_SERVICE_ARN`] (never stored, never used for the region), social the ARN
//! `/refreshToken` returned, IdC its own ARN (never the Builder ID one). On `q.*` R17 still holds:
//! Builder ID sends none.

use crate::types::{AgentTaskType, ChatMessage, ChatTriggerType, ConversationState, origin};

use super::{AuthKind, Credentials, Dialect, Host};

/// The request-scoped service profile every Builder ID chat on `runtime.*` carries (§2, C).
pub const BUILDER_ID_SERVICE_ARN: &str =
    "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX";

/// Kiro IDE version in user agents (the 1.0.437 capture; old versions got 403s, §3).
pub const KIRO_IDE_VERSION: &str = "1.0.437";
/// kiro-cli version in user agents (`md/appVersion-…`).
pub const KIRO_CLI_VERSION: &str = "2.19.1";

/// Chat target of the kiro-cli persona (and of the legacy Amazon Q dialect).
pub const CLI_CHAT_TARGET: &str = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";
/// Chat target of the Kiro IDE persona.
pub const IDE_CHAT_TARGET: &str = "KiroRuntimeService.GenerateAssistantResponse";
/// Account-API targets on `management.*` (and `q.*` for profiles / usage).
pub const LIST_PROFILES_TARGET: &str = "AmazonCodeWhispererService.ListAvailableProfiles";
pub const USAGE_LIMITS_TARGET: &str = "AmazonCodeWhispererService.GetUsageLimits";
pub const MANAGEMENT_MODELS_TARGET: &str = "KiroControlPlaneBearerService.ListAvailableModels";
/// The model-list target of the legacy Amazon Q dialect.
pub const LEGACY_MODELS_TARGET: &str = "AmazonCodeWhispererService.ListAvailableModels";

/// `origin` of the management calls (§6).
pub const MANAGEMENT_ORIGIN: &str = origin::AI_EDITOR;

/// A request style; see the module table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    KiroCli,
    KiroIde,
    LegacyQCli,
    LegacyKiroIde,
}

/// The service named in a user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Chat on `q.*` / `runtime.*` with the Rust SDK.
    Streaming,
    /// Chat on `runtime.*` with the JS SDK.
    KiroRuntime,
    /// Model list on `management.*`.
    ControlPlane,
    /// Usage limits, profiles (and the legacy model list).
    CodeWhispererRuntime,
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Self::Streaming => "codewhispererstreaming",
            Self::KiroRuntime => "kiroruntime",
            Self::ControlPlane => "kirocontrolplanebearer",
            Self::CodeWhispererRuntime => "codewhispererruntime",
        }
    }
}

impl Persona {
    /// The persona of an account on a host.
    pub fn of(creds: &Credentials) -> Self {
        match (creds.dialect, creds.host) {
            (Dialect::AmazonQ, Host::Runtime) => Self::KiroCli,
            (Dialect::Kiro, Host::Runtime) => Self::KiroIde,
            (Dialect::AmazonQ, Host::LegacyQ) => Self::LegacyQCli,
            (Dialect::Kiro, Host::LegacyQ) => Self::LegacyKiroIde,
        }
    }

    /// `userInputMessage.origin` of its chats.
    pub fn origin(self) -> &'static str {
        match self {
            Self::KiroCli => origin::KIRO_CLI,
            Self::KiroIde | Self::LegacyKiroIde => origin::AI_EDITOR,
            Self::LegacyQCli => origin::CLI,
        }
    }

    /// `origin` of its account-API calls (model list, usage limits): `AI_EDITOR` on
    /// `management.*` (§6), today's values on `q.*`.
    pub fn account_origin(self) -> &'static str {
        match self {
            Self::KiroCli | Self::KiroIde => MANAGEMENT_ORIGIN,
            Self::LegacyQCli => origin::CLI,
            Self::LegacyKiroIde => origin::AI_EDITOR,
        }
    }

    /// The `x-amz-target` of its chat call; `None` for the REST path of the legacy Kiro dialect.
    pub fn chat_target(self) -> Option<&'static str> {
        match self {
            Self::KiroCli | Self::LegacyQCli => Some(CLI_CHAT_TARGET),
            Self::KiroIde => Some(IDE_CHAT_TARGET),
            Self::LegacyKiroIde => None,
        }
    }

    /// True for the personas built on the JS SDK (Kiro IDE).
    pub fn is_ide(self) -> bool {
        matches!(self, Self::KiroIde | Self::LegacyKiroIde)
    }

    /// `amz-sdk-request` as the client sends it.
    pub(crate) fn sdk_request(self) -> &'static str {
        match self {
            Self::KiroIde => "attempt=1; max=3",
            _ => "attempt=1; max=1",
        }
    }

    /// `user-agent` and `x-amz-user-agent`. `machine_id` only matters for the IDE personas.
    pub(crate) fn user_agents(
        self,
        api: Api,
        ide_version: &str,
        machine_id: &str,
    ) -> (String, String) {
        let name = api.name();
        match self {
            Self::KiroCli => (
                format!(
                    "aws-sdk-rust/1.3.9 ua/2.1 api/{name}/0.1.11582 os/linux lang/rust/1.90.0 md/appVersion-{KIRO_CLI_VERSION} m/F app/AmazonQ-For-CLI"
                ),
                format!(
                    "aws-sdk-rust/1.3.9 ua/2.1 api/{name}/0.1.11582 os/linux lang/rust/1.90.0 m/F app/AmazonQ-For-CLI"
                ),
            ),
            // Today's legacy agents, unchanged.
            Self::LegacyQCli => (
                format!(
                    "aws-sdk-rust/1.3.9 ua/2.1 api/{name}/0.1.11582 os/linux lang/rust/1.87.0 app/AmazonQ-For-CLI"
                ),
                format!(
                    "aws-sdk-rust/1.3.9 ua/2.1 api/{name}/0.1.11582 os/linux lang/rust/1.87.0 m/F app/AmazonQ-For-CLI"
                ),
            ),
            Self::KiroIde | Self::LegacyKiroIde => {
                let kiro = format!("KiroIDE-{ide_version}-{machine_id}");
                (
                    format!(
                        "aws-sdk-js/1.0.0 ua/2.1 os/linux lang/js md/nodejs#22.22.0 api/{name}#1.0.0 m/N {kiro}"
                    ),
                    format!("aws-sdk-js/1.0.0 {kiro}"),
                )
            }
        }
    }

    /// The user-agent API of its chat call.
    pub(crate) fn chat_api(self) -> Api {
        match self {
            Self::KiroIde => Api::KiroRuntime,
            _ => Api::Streaming,
        }
    }
}

impl Credentials {
    /// The `profileArn` this account sends on its current host (module docs; §2 and R17).
    pub fn effective_profile_arn(&self) -> Option<&str> {
        match (self.host, self.auth_kind) {
            (Host::Runtime, AuthKind::BuilderId) => Some(BUILDER_ID_SERVICE_ARN),
            (Host::Runtime, AuthKind::IdentityCenter | AuthKind::Social) => {
                self.profile_arn.as_deref()
            }
            (Host::LegacyQ, _) => match (self.dialect, self.auth_kind) {
                (Dialect::Kiro, AuthKind::Social)
                | (Dialect::AmazonQ, AuthKind::IdentityCenter) => self.profile_arn.as_deref(),
                _ => None,
            },
        }
    }
}

/// Sets what the persona sends in the conversation: `origin` on every user message (current and
/// history), `chatTriggerType: MANUAL`, and `agentTaskType: vibe` on `runtime.*` only (§4). Done in
/// place by the caller once per attempt, so a large conversation is never cloned for it.
pub fn stamp(state: &mut ConversationState, persona: Persona) {
    let origin = persona.origin();
    state.chat_trigger_type = ChatTriggerType::Manual;
    // The legacy host gets today's format, which has no task type.
    state.agent_task_type =
        matches!(persona, Persona::KiroCli | Persona::KiroIde).then_some(AgentTaskType::Vibe);
    for message in std::iter::once(&mut state.current_message).chain(state.history.iter_mut()) {
        if let ChatMessage::UserInputMessage(m) = message
            && m.origin.as_deref() != Some(origin)
        {
            m.origin = Some(origin.to_owned());
        }
    }
}
