//! The chat call, `GenerateAssistantResponse`, plus the account APIs in
//! [`account`](self::QClient::list_available_models), on the 2026 hosts (kiro-2026-endpoints.md)
//! with the legacy `q.*` host as a per-account fallback.
//!
//! - [`endpoints`]: which host ([`Host`]) and region; URLs parsed once ([`Endpoints`]).
//! - [`persona`]: the one place that decides headers, targets, `origin` and `profileArn` per
//!   account kind and host ([`Persona`]).
//! - [`mcp`]: web search, JSON-RPC `tools/call` `web_search` on the chat host's `POST /mcp`
//!   ([`QClient::web_search`]).
//! - Chat on `runtime.*`: JSON 1.0 `POST /` with the persona's target; on `q.*` today's two
//!   dialects (spec §4.1): Amazon Q `POST /` JSON 1.0, Kiro `POST /generateAssistantResponse`.
//! - Root members are only `conversationState`, `profileArn`, `additionalModelRequestFields`
//!   (§4: anything else is 400 REQUEST_BODY_INVALID).
//!
//! Timeouts (§5.5): *connect*; *first byte* — from sending until the response
//! headers **and** the first body bytes arrived, so a stalled upstream fails the
//! call itself while it is still safe to retry; *idle* — the longest gap between
//! two complete frames once streaming. The call returns a classified
//! [`HttpError`] or an [`EventStream`]; dropping the stream closes the request.

mod account;
pub mod endpoints;
pub mod mcp;
pub mod persona;
mod shape;
mod stream;

pub use endpoints::{
    Endpoints, Host, KIRO_REGIONS, api_region, api_region_for, management_endpoint, q_endpoint,
    runtime_endpoint,
};
pub use mcp::{McpError, McpErrorKind, WebSearchHit, WebSearchResults};
pub use persona::{BUILDER_ID_SERVICE_ARN, Persona, stamp};
pub use shape::body_shape;
pub use stream::{EventStream, StreamError};

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use crate::error::{ErrorClass, HttpError};
use crate::http::{HttpClients, TransportError, header, read_body_capped};
use crate::types::{ConversationState, GenerateAssistantResponseRequest};
use persona::Api;

/// Default legacy Q endpoint (us-east-1).
pub const DEFAULT_Q_ENDPOINT: &str = "https://q.us-east-1.amazonaws.com";
/// Default chat endpoint (us-east-1).
pub const DEFAULT_RUNTIME_ENDPOINT: &str = "https://runtime.us-east-1.kiro.dev";
/// Default account-API endpoint (us-east-1).
pub const DEFAULT_MANAGEMENT_ENDPOINT: &str = "https://management.us-east-1.kiro.dev";

/// Error bodies are tiny; anything beyond this is cut.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Which client family an account belongs to: the kiro-cli / Amazon Q CLI family (Builder ID,
/// IdC) or the Kiro IDE family (social). On `q.*` it is also the wire dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Amazon Q Developer / kiro-cli style.
    #[default]
    AmazonQ,
    /// Kiro IDE style.
    Kiro,
}

/// How the account's token was obtained; decides the `profileArn` sent ([`persona`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthKind {
    /// AWS Builder ID (SSO OIDC): the request-scoped service ARN on `runtime.*`, none on `q.*`.
    #[default]
    BuilderId,
    /// IAM Identity Center (SSO OIDC): its own profile ARN.
    IdentityCenter,
    /// Kiro social login: the ARN `/refreshToken` returned.
    Social,
}

/// Per-call account data. `Debug` hides the token.
#[derive(Clone, Default)]
pub struct Credentials {
    pub dialect: Dialect,
    pub auth_kind: AuthKind,
    /// The host the account is on (the pool remembers a fallback to `q.*`).
    pub host: Host,
    pub access_token: String,
    /// The account's own profile (IdC: discovered; social: from `/refreshToken`). Never the
    /// Builder ID service ARN.
    pub profile_arn: Option<String>,
    /// The account's region's hosts; `None` uses the client's configured ones.
    pub endpoints: Option<Arc<Endpoints>>,
    /// Proxy for this account; `None` uses the environment's proxies.
    pub proxy: Option<String>,
    /// 64-hex machine id for Kiro user agents ([`kiro_machine_id`]).
    pub machine_id: Option<String>,
}

crate::redact::redacted_debug!(Credentials {
    dialect, auth_kind, host, profile_arn, endpoints, proxy, machine_id
} secret { access_token });

/// A Kiro machine id: SHA-256 hex of a stable per-account seed (peers use the
/// profile ARN or the refresh token). Only used in user agents.
pub fn kiro_machine_id(seed: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(
        format!("KotlinNativeAPI/{seed}").as_bytes(),
    ))
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Chat host used for accounts without their own [`Credentials::endpoints`].
    pub runtime_url: String,
    /// Account-API host, likewise.
    pub management_url: String,
    /// Legacy `q.*` host, likewise.
    pub legacy_q_url: String,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    /// Whole-call timeout of the small JSON account calls.
    pub request_timeout: Duration,
    /// `x-amzn-codewhisperer-optout` (true: do not use content for training).
    pub opt_out: bool,
    /// Kiro IDE version in user agents.
    pub kiro_version: String,
    /// `x-amzn-kiro-agent-mode` of the legacy Kiro dialect.
    pub kiro_agent_mode: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            runtime_url: DEFAULT_RUNTIME_ENDPOINT.to_owned(),
            management_url: DEFAULT_MANAGEMENT_ENDPOINT.to_owned(),
            legacy_q_url: DEFAULT_Q_ENDPOINT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_mins(1),
            idle_timeout: Duration::from_mins(2),
            request_timeout: Duration::from_secs(30),
            opt_out: true,
            kiro_version: persona::KIRO_IDE_VERSION.to_owned(),
            kiro_agent_mode: "vibe".to_owned(),
        }
    }
}

impl ClientConfig {
    /// Every host at `base` (a simulator), other settings default.
    pub fn at(base: &str) -> Self {
        Self {
            runtime_url: base.to_owned(),
            management_url: base.to_owned(),
            legacy_q_url: base.to_owned(),
            ..Self::default()
        }
    }
}

/// Why a call failed before a stream could be returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error status (boxed: it is the big one).
    #[error(transparent)]
    Http(Box<HttpError>),
    /// Nothing (headers + first bytes) arrived within the first-byte timeout.
    #[error("no response within the first-byte timeout of {0:?}")]
    FirstByteTimeout(Duration),
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A 200 answer whose JSON is not the documented shape.
    #[error("unexpected response body: {0}")]
    Decode(String),
    /// The web search tool answered with a failure ([`mcp`]): a JSON-RPC `error`, an `isError`
    /// result or a payload `error`.
    #[error(transparent)]
    Mcp(Box<McpError>),
}

impl From<HttpError> for ClientError {
    fn from(e: HttpError) -> Self {
        Self::Http(Box::new(e))
    }
}

impl ClientError {
    /// The error class that drives retry / rotation decisions.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Http(e) => e.class.clone(),
            Self::Transport(
                e @ (TransportError::InvalidProxy { .. } | TransportError::InvalidUrl(_)),
            ) => ErrorClass::BadRequest {
                message: e.to_string(),
            },
            Self::FirstByteTimeout(_) | Self::Transport(_) | Self::Decode(_) => {
                ErrorClass::Transient
            }
            Self::Mcp(e) => e.class(),
        }
    }

    /// Whether this failure on `runtime.*` / `management.*` makes the account try the legacy
    /// `q.*` host (kiro-2026-endpoints.md §9 client item 2): a connection or DNS failure, a 404
    /// `UnknownOperationException`, or a 403 whose message contains one of `forbidden_markers`
    /// (case-insensitive). Never a 400: the host understood the request and refused its content.
    pub fn is_fallback_candidate(&self, forbidden_markers: &[String]) -> bool {
        match self {
            Self::Transport(TransportError::Connect(_)) => true,
            Self::Http(e) => match e.status {
                404 => {
                    e.error_type.as_deref() == Some("UnknownOperationException")
                        || e.message.contains("UnknownOperation")
                }
                403 => {
                    let message = e.message.to_ascii_lowercase();
                    forbidden_markers
                        .iter()
                        .filter(|m| !m.is_empty())
                        .any(|m| message.contains(&m.to_ascii_lowercase()))
                }
                _ => false,
            },
            _ => false,
        }
    }
}

/// A successful chat call: the request id and the typed event stream.
#[derive(Debug)]
pub struct ChatResponse {
    pub request_id: Option<String>,
    pub events: EventStream,
}

/// The upstream client. Cheap to share (`Arc`) across requests.
#[derive(Debug)]
pub struct QClient {
    config: ClientConfig,
    http: HttpClients,
    /// The configured hosts, parsed once: parsing URLs on every call was a visible share of a
    /// small request's CPU.
    endpoints: Arc<Endpoints>,
    /// Chat user agents of the personas that do not depend on the account (kiro-cli, legacy Q).
    cli_chat_agents: (String, String),
    legacy_chat_agents: (String, String),
}

/// Body with the profile ARN decided by [`Credentials`], without cloning the
/// (possibly large) conversation. Exactly the root members the service allows (§4).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatBody<'a> {
    conversation_state: &'a ConversationState,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_model_request_fields: Option<&'a serde_json::Value>,
}

impl QClient {
    /// Builds the client (installs the rustls provider first).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let http = HttpClients::new(config.connect_timeout)?;
        let endpoints = Arc::new(Endpoints::new(
            &config.runtime_url,
            &config.management_url,
            &config.legacy_q_url,
        )?);
        let cli_chat_agents = Persona::KiroCli.user_agents(Api::Streaming, "", "");
        let legacy_chat_agents = Persona::LegacyQCli.user_agents(Api::Streaming, "", "");
        Ok(Self {
            config,
            http,
            endpoints,
            cli_chat_agents,
            legacy_chat_agents,
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Makes `request` what the account's persona sends ([`stamp`]): `origin` on every user
    /// message, trigger and task type. Call it once per account/host before
    /// [`Self::generate_assistant_response`]; it edits in place instead of cloning.
    pub fn prepare(&self, creds: &Credentials, request: &mut GenerateAssistantResponseRequest) {
        stamp(&mut request.conversation_state, Persona::of(creds));
    }

    /// Sends a chat request. `request.profile_arn` is ignored in favour of
    /// [`Credentials::effective_profile_arn`]; `origin` is whatever [`Self::prepare`] set.
    pub async fn generate_assistant_response(
        &self,
        creds: &Credentials,
        request: &GenerateAssistantResponseRequest,
    ) -> Result<ChatResponse, ClientError> {
        let body = serde_json::to_vec(&ChatBody {
            conversation_state: &request.conversation_state,
            profile_arn: creds.effective_profile_arn(),
            additional_model_request_fields: request.additional_model_request_fields.as_ref(),
        })
        .map_err(|e| ClientError::Decode(e.to_string()))?;
        let builder = self.chat_request(creds)?;
        let started = Instant::now();
        let deadline = started + self.config.first_byte_timeout;
        let timed_out = || ClientError::FirstByteTimeout(self.config.first_byte_timeout);
        let response = timeout_at(deadline, builder.body(body).send())
            .await
            .map_err(|_| timed_out())?
            .map_err(TransportError::from)?;
        let request_id = header(&response, "x-amzn-requestid");
        if !response.status().is_success() {
            let error = error_from(response, deadline).await.unwrap_or_else(|e| e);
            if let ClientError::Http(h) = &error
                && h.reason.as_deref() == Some("REQUEST_BODY_INVALID")
            {
                // A gateway bug: the body's shape (never its content) says what to fix.
                tracing::error!(
                    host = creds.host.as_str(),
                    shape = %body_shape(request, creds.effective_profile_arn().is_some()),
                    "upstream rejected the request body (REQUEST_BODY_INVALID)"
                );
            }
            return Err(error);
        }
        let events = EventStream::open(response, deadline, self.config.idle_timeout)
            .await
            .map_err(|e| match e {
                stream::OpenError::Timeout => timed_out(),
                stream::OpenError::Transport(t) => ClientError::Transport(t),
            })?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "upstream stream opened"
        );
        Ok(ChatResponse { request_id, events })
    }

    /// The hosts of an account.
    fn endpoints<'a>(&'a self, creds: &'a Credentials) -> &'a Endpoints {
        creds.endpoints.as_deref().unwrap_or(&self.endpoints)
    }

    /// The chat `POST` with the persona's URL and headers ([`persona`]).
    fn chat_request(&self, creds: &Credentials) -> Result<reqwest::RequestBuilder, ClientError> {
        let persona = Persona::of(creds);
        let endpoints = self.endpoints(creds);
        let url = match persona {
            Persona::KiroCli | Persona::KiroIde => endpoints.runtime(),
            Persona::LegacyQCli => endpoints.legacy_q(),
            Persona::LegacyKiroIde => endpoints.legacy_kiro_chat(),
        };
        let builder = self.request(
            creds,
            reqwest::Method::POST,
            url.clone(),
            persona.chat_api(),
        )?;
        let builder = match persona.chat_target() {
            Some(target) => builder
                .header("content-type", "application/x-amz-json-1.0")
                .header("x-amz-target", target),
            None => builder.header("content-type", "application/json"),
        };
        Ok(match persona {
            Persona::KiroCli | Persona::LegacyQCli => builder,
            Persona::KiroIde => builder.header("x-amzn-kiro-client-attribution", "kiro-ide"),
            // §7: stale pooled sockets were a known failure of the legacy Kiro path.
            Persona::LegacyKiroIde => builder
                .header("x-amzn-kiro-agent-mode", &self.config.kiro_agent_mode)
                .header("connection", "close"),
        })
    }

    /// A request with the persona's common headers; `api` names the service in the user agent.
    fn request(
        &self,
        creds: &Credentials,
        method: reqwest::Method,
        url: reqwest::Url,
        api: Api,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let persona = Persona::of(creds);
        let client = self.http.get(creds.proxy.as_deref())?;
        let invocation = uuid::Uuid::new_v4().to_string();
        let (ua, amz_ua) = match (persona, api) {
            (Persona::KiroCli, Api::Streaming) => self.cli_chat_agents.clone(),
            (Persona::LegacyQCli, Api::Streaming) => self.legacy_chat_agents.clone(),
            _ => persona.user_agents(
                api,
                &self.config.kiro_version,
                creds.machine_id.as_deref().unwrap_or("0"),
            ),
        };
        Ok(client
            .request(method, url)
            .bearer_auth(&creds.access_token)
            .header(
                "x-amzn-codewhisperer-optout",
                if self.config.opt_out { "true" } else { "false" },
            )
            .header("amz-sdk-invocation-id", invocation)
            .header("amz-sdk-request", persona.sdk_request())
            .header("user-agent", ua)
            .header("x-amz-user-agent", amz_ua))
    }
}

/// Reads and classifies an error response. `Err` carries a transport failure
/// (or timeout) while reading the body, which is also a `ClientError`.
async fn error_from(
    response: reqwest::Response,
    deadline: Instant,
) -> Result<ClientError, ClientError> {
    let status = response.status().as_u16();
    let error_type = header(&response, "x-amzn-errortype");
    let retry_after = header(&response, "retry-after");
    let request_id = header(&response, "x-amzn-requestid");
    let body = timeout_at(deadline, read_body_capped(response, ERROR_BODY_LIMIT))
        .await
        .map_err(|_| {
            ClientError::Transport(TransportError::Timeout("reading error body".into()))
        })??;
    Ok(HttpError::from_parts(
        status,
        error_type.as_deref(),
        retry_after.as_deref(),
        request_id,
        &body,
    )
    .into())
}
