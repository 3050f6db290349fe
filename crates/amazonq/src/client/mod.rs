//! The chat call, `GenerateAssistantResponse`, in both dialects (spec §1, §4.1),
//! plus the account APIs in [`account`](self::QClient::list_available_models).
//!
//! - **Amazon Q**: `POST {base}/`, `X-Amz-Target:
//!   AmazonCodeWhispererStreamingService.GenerateAssistantResponse`,
//!   `Content-Type: application/x-amz-json-1.0`, Rust-SDK user agents.
//! - **Kiro**: `POST {base}/generateAssistantResponse`, `Content-Type:
//!   application/json`, Kiro IDE user agents, `x-amzn-kiro-agent-mode`,
//!   `Connection: close` (stale pooled sockets are a known failure, §7).
//!
//! `profileArn` is sent only where the service wants it (R17): Kiro social
//! accounts, and Amazon Q Identity Center accounts with a profile. Builder ID
//! never gets one (403).
//!
//! Timeouts (§5.5): *connect*; *first byte* — from sending until the response
//! headers **and** the first body bytes arrived, so a stalled upstream fails the
//! call itself while it is still safe to retry; *idle* — the longest gap between
//! two complete frames once streaming. The call returns a classified
//! [`HttpError`] or an [`EventStream`]; dropping the stream closes the request.

mod account;
mod stream;

pub use stream::{EventStream, StreamError};

use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use crate::error::{ErrorClass, HttpError};
use crate::http::{HttpClients, TransportError, header, join, read_body_capped};
use crate::types::{ConversationState, GenerateAssistantResponseRequest};

/// Default chat/account endpoint (us-east-1).
pub const DEFAULT_Q_ENDPOINT: &str = "https://q.us-east-1.amazonaws.com";

/// The Q endpoint of a region (`q.{region}.amazonaws.com`, §1).
pub fn q_endpoint(region: &str) -> String {
    format!("https://q.{region}.amazonaws.com")
}

/// Error bodies are tiny; anything beyond this is cut.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Which wire dialect an account speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Amazon Q Developer (CLI style).
    #[default]
    AmazonQ,
    /// Kiro IDE style.
    Kiro,
}

/// How the account's token was obtained; decides whether `profileArn` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthKind {
    /// AWS Builder ID (SSO OIDC): never a profile ARN.
    #[default]
    BuilderId,
    /// IAM Identity Center (SSO OIDC): profile ARN in the Amazon Q dialect.
    IdentityCenter,
    /// Kiro social login: profile ARN in the Kiro dialect.
    Social,
}

/// Per-call account data. `Debug` hides the token.
#[derive(Clone, Default)]
pub struct Credentials {
    pub dialect: Dialect,
    pub auth_kind: AuthKind,
    pub access_token: String,
    pub profile_arn: Option<String>,
    /// Overrides [`ClientConfig::base_url`] (e.g. the profile's region).
    pub base_url: Option<String>,
    /// Proxy for this account; `None` uses the environment's proxies.
    pub proxy: Option<String>,
    /// 64-hex machine id for Kiro user agents ([`kiro_machine_id`]).
    pub machine_id: Option<String>,
}

crate::redact::redacted_debug!(Credentials {
    dialect, auth_kind, profile_arn, base_url, proxy, machine_id
} secret { access_token });

impl Credentials {
    /// The `profileArn` to send, per R17 and §3.
    pub fn effective_profile_arn(&self) -> Option<&str> {
        match (self.dialect, self.auth_kind) {
            (Dialect::Kiro, AuthKind::Social) | (Dialect::AmazonQ, AuthKind::IdentityCenter) => {
                self.profile_arn.as_deref()
            }
            _ => None,
        }
    }
}

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
    pub base_url: String,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub idle_timeout: Duration,
    /// Whole-call timeout of the small JSON account calls.
    pub request_timeout: Duration,
    /// `x-amzn-codewhisperer-optout` (true: do not use content for training).
    pub opt_out: bool,
    /// Kiro IDE version in user agents.
    pub kiro_version: String,
    /// `x-amzn-kiro-agent-mode` for the Kiro dialect.
    pub kiro_agent_mode: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_Q_ENDPOINT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_mins(1),
            idle_timeout: Duration::from_mins(2),
            request_timeout: Duration::from_secs(30),
            opt_out: true,
            kiro_version: "0.8.0".to_owned(),
            kiro_agent_mode: "vibe".to_owned(),
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
    /// The chat URLs of `config.base_url` (Amazon Q, Kiro), parsed once: parsing them on every
    /// call was a visible share of a small request's CPU. `None` if the base does not parse (the
    /// per-call parse then reports the error).
    chat_urls: Option<(reqwest::Url, reqwest::Url)>,
    /// The Amazon Q dialect's user agents (`user-agent`, `x-amz-user-agent`) for the chat API.
    q_chat_agents: (String, String),
}

/// The Amazon Q dialect's `user-agent` and `x-amz-user-agent` for `api`.
fn q_agents(api: &str) -> (String, String) {
    (
        format!(
            "aws-sdk-rust/1.3.9 ua/2.1 api/{api}/0.1.11582 os/linux lang/rust/1.87.0 app/AmazonQ-For-CLI"
        ),
        format!(
            "aws-sdk-rust/1.3.9 ua/2.1 api/{api}/0.1.11582 os/linux lang/rust/1.87.0 m/F app/AmazonQ-For-CLI"
        ),
    )
}

/// The chat API's name in user agents.
const CHAT_API: &str = "codewhispererstreaming";

/// Body with the profile ARN decided by [`Credentials`], without cloning the
/// (possibly large) conversation.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ChatBody<'a> {
    conversation_state: &'a ConversationState,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_arn: Option<&'a str>,
}

impl QClient {
    /// Builds the client (installs the rustls provider first).
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let http = HttpClients::new(config.connect_timeout)?;
        let parse = |path: &str| reqwest::Url::parse(&join(&config.base_url, path)).ok();
        let chat_urls = parse("/").zip(parse("/generateAssistantResponse"));
        Ok(Self {
            config,
            http,
            chat_urls,
            q_chat_agents: q_agents(CHAT_API),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sends a chat request. `request.profile_arn` is ignored in favour of
    /// [`Credentials::effective_profile_arn`].
    pub async fn generate_assistant_response(
        &self,
        creds: &Credentials,
        request: &GenerateAssistantResponseRequest,
    ) -> Result<ChatResponse, ClientError> {
        let body = serde_json::to_vec(&ChatBody {
            conversation_state: &request.conversation_state,
            profile_arn: creds.effective_profile_arn(),
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
            return Err(error_from(response, deadline).await.unwrap_or_else(|e| e));
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

    /// The chat `POST` with the dialect's path and headers (§4.1).
    fn chat_request(&self, creds: &Credentials) -> Result<reqwest::RequestBuilder, ClientError> {
        let post = reqwest::Method::POST;
        let path = match creds.dialect {
            Dialect::AmazonQ => "/",
            Dialect::Kiro => "/generateAssistantResponse",
        };
        // The URLs parsed at start-up serve every account without its own base URL.
        let builder = match self.chat_urls.as_ref().filter(|_| creds.base_url.is_none()) {
            Some((q, kiro)) => {
                let url = match creds.dialect {
                    Dialect::AmazonQ => q.clone(),
                    Dialect::Kiro => kiro.clone(),
                };
                self.request(creds, post, url, CHAT_API)?
            }
            None => self.request(creds, post, join(self.base_url(creds), path), CHAT_API)?,
        };
        Ok(match creds.dialect {
            Dialect::AmazonQ => builder
                .header("content-type", "application/x-amz-json-1.0")
                .header(
                    "x-amz-target",
                    "AmazonCodeWhispererStreamingService.GenerateAssistantResponse",
                ),
            Dialect::Kiro => builder
                .header("content-type", "application/json")
                .header("x-amzn-kiro-agent-mode", &self.config.kiro_agent_mode)
                .header("connection", "close"),
        })
    }

    fn base_url<'a>(&'a self, creds: &'a Credentials) -> &'a str {
        creds.base_url.as_deref().unwrap_or(&self.config.base_url)
    }

    /// A request with the dialect's common headers; `api` names the service in
    /// the user agent (`codewhispererstreaming` / `codewhispererruntime`).
    fn request(
        &self,
        creds: &Credentials,
        method: reqwest::Method,
        url: impl reqwest::IntoUrl,
        api: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let client = self.http.get(creds.proxy.as_deref())?;
        let invocation = uuid::Uuid::new_v4().to_string();
        let builder = client
            .request(method, url)
            .bearer_auth(&creds.access_token)
            .header(
                "x-amzn-codewhisperer-optout",
                if self.config.opt_out { "true" } else { "false" },
            )
            .header("amz-sdk-invocation-id", invocation)
            .header("amz-sdk-request", "attempt=1; max=1");
        Ok(match creds.dialect {
            Dialect::AmazonQ => {
                let (ua, amz_ua) = if api == CHAT_API {
                    self.q_chat_agents.clone()
                } else {
                    q_agents(api)
                };
                builder
                    .header("user-agent", ua)
                    .header("x-amz-user-agent", amz_ua)
            }
            Dialect::Kiro => {
                let kiro = format!(
                    "KiroIDE-{}-{}",
                    self.config.kiro_version,
                    creds.machine_id.as_deref().unwrap_or("0")
                );
                builder
                    .header(
                        "user-agent",
                        format!("aws-sdk-js/1.0.34 ua/2.1 os/linux lang/js md/nodejs#22.21.1 api/{api}#1.0.34 m/E {kiro}"),
                    )
                    .header("x-amz-user-agent", format!("aws-sdk-js/1.0.34 {kiro}"))
            }
        })
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
