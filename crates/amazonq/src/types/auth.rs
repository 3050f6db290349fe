//! Wire types of the token services: AWS SSO OIDC (§2.3–§2.6), Kiro social
//! refresh (§3) and the Q service's HTTP error body (§5.1).
//!
//! OIDC bodies are camelCase JSON; its errors are snake_case
//! `{"error", "error_description"}`. The Kiro refresh call is camelCase.

use serde::{Deserialize, Serialize};

use crate::redact::redacted_debug;

/// The three scopes Amazon Q and Kiro request (§2.1); never `sso:account:access`.
pub const Q_SCOPES: [&str; 3] = [
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
];

/// Builder ID start URL (§2.1).
pub const BUILDER_ID_START_URL: &str = "https://view.awsapps.com/start";

/// Grant type of the device flow.
pub const GRANT_DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Grant type of a refresh.
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";

/// `POST /client/register` body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterClientRequest {
    pub client_name: String,
    /// Always `public`.
    pub client_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
}

/// `POST /client/register` answer. Timestamps are epoch seconds.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterClientResponse {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub client_id_issued_at: i64,
    #[serde(default)]
    pub client_secret_expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
}

/// `POST /device_authorization` body.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartDeviceAuthorizationRequest {
    pub client_id: String,
    pub client_secret: String,
    pub start_url: String,
}

/// `POST /device_authorization` answer; durations are seconds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartDeviceAuthorizationResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub verification_uri_complete: String,
    pub expires_in: i64,
    #[serde(default = "default_interval")]
    pub interval: i64,
}

fn default_interval() -> i64 {
    // RFC 8628 §3.2: clients must assume 5 s when the server sends none.
    5
}

/// `POST /token` body, for every grant (§2.5).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTokenRequest {
    pub client_id: String,
    pub client_secret: String,
    pub grant_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
}

/// The tokens every token answer carries: OIDC CreateToken (§2.5) and Kiro's `/refreshToken`
/// and `/oauth/token` (§3).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenGrant {
    pub access_token: String,
    /// Seconds; peers assume 3600 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    /// Absent means "keep the refresh token you have" (§2.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl TokenGrant {
    /// The refresh token the answer gives; an empty one counts as none.
    pub fn given_refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref().filter(|t| !t.is_empty())
    }
}

/// `POST /token` answer.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTokenResponse {
    #[serde(flatten)]
    pub grant: TokenGrant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// OIDC error body (§2.6).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OidcErrorBody {
    #[serde(default)]
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Kiro `POST /refreshToken` body (§3).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KiroRefreshRequest {
    pub refresh_token: String,
}

/// Kiro `POST /refreshToken` answer, also the answer of the social login's `POST /oauth/token`.
/// Its secrets sit in [`TokenGrant`], whose `Debug` hides them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KiroRefreshResponse {
    #[serde(flatten)]
    pub grant: TokenGrant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_arn: Option<String>,
}

/// Error body of the Q service (§5.1 and Addendum): `{"message", "reason"}`,
/// plus `__type` (`com.amazon.aws.codewhisperer#ThrottlingException`) in the
/// Amazon Q dialect. Some services spell the message `Message`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QErrorBody {
    #[serde(default, alias = "Message", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(rename = "__type", default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

redacted_debug!(RegisterClientResponse {
    client_id, client_id_issued_at, client_secret_expires_at, authorization_endpoint, token_endpoint
} secret { client_secret });
redacted_debug!(StartDeviceAuthorizationRequest { client_id, start_url } secret { client_secret });
redacted_debug!(CreateTokenRequest {
    client_id, grant_type, redirect_uri, scope
} secret { client_secret, device_code, refresh_token, code, code_verifier });
redacted_debug!(TokenGrant { expires_in } secret { access_token, refresh_token });
redacted_debug!(CreateTokenResponse { grant, token_type } secret { id_token });
redacted_debug!(KiroRefreshRequest {} secret { refresh_token });
