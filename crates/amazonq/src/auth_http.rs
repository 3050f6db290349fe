//! Request/response handling shared by the token services (SSO OIDC §2.6 and
//! Kiro auth §3): one error type, [`AuthError`], and JSON calls that decode
//! either a success body or the service's error body.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::{ErrorClass, sanitize_error_type};
use crate::http::{TransportError, header, read_body_capped};
use crate::types::{OidcErrorBody, QErrorBody};

const BODY_LIMIT: usize = 1024 * 1024;

/// Failure of an OIDC or Kiro-auth call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The service answered with an error.
    #[error("auth service HTTP {status} {code}: {description}")]
    Service {
        status: u16,
        code: String,
        description: String,
    },
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("unexpected auth response body: {0}")]
    Decode(String),
    /// The user refused the device authorization.
    #[error("the user denied the authorization")]
    Denied,
    /// The device code (or the whole login) ran out of time.
    #[error("the device authorization expired")]
    Expired,
}

impl AuthError {
    /// The OIDC error code (`authorization_pending`, `invalid_grant`, …).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// What the failure means for the account (§2.6, §2.8).
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Service {
                status,
                code,
                description,
            } => match code.as_str() {
                "invalid_grant" | "invalid_client" | "unauthorized_client" | "access_denied" => {
                    ErrorClass::RefreshTokenDead
                }
                "slow_down" => ErrorClass::Throttled {
                    retry_after: Some(Duration::from_secs(5)),
                },
                _ if *status == 401 => ErrorClass::RefreshTokenDead,
                _ if *status == 429 => ErrorClass::Throttled { retry_after: None },
                _ if *status >= 500 => ErrorClass::Transient,
                _ => {
                    let class = crate::error::classify(*status, None, None, description, None);
                    match class {
                        // A 403 on a token endpoint means the grant is unusable (token
                        // endpoints know no profiles, whatever the wording).
                        ErrorClass::Forbidden
                        | ErrorClass::NeedsRefresh
                        | ErrorClass::ProfileRejected => ErrorClass::RefreshTokenDead,
                        other => other,
                    }
                }
            },
            Self::Transport(_) | Self::Decode(_) => ErrorClass::Transient,
            Self::Denied | Self::Expired => ErrorClass::RefreshTokenDead,
        }
    }
}

/// `now + expires_in` (3600 s when absent, as peers assume).
pub(crate) fn expires_at(expires_in: Option<i64>) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(expires_in.unwrap_or(3600).clamp(0, 10 * 365 * 86_400))
}

/// Sends an auth request under `timeout` and decodes a JSON success body or
/// an OIDC/Kiro error body (`error`/`error_description`, or `message`).
pub(crate) async fn send_json<T: DeserializeOwned>(
    request: impl Future<Output = reqwest::Result<reqwest::Response>>,
    timeout: Duration,
) -> Result<T, AuthError> {
    let deadline = tokio::time::Instant::now() + timeout;
    let timed_out = || {
        AuthError::Transport(TransportError::Timeout(format!(
            "no answer within {timeout:?}"
        )))
    };
    let response = tokio::time::timeout_at(deadline, request)
        .await
        .map_err(|_| timed_out())?
        .map_err(TransportError::from)?;
    let status = response.status().as_u16();
    let error_type = header(&response, "x-amzn-errortype");
    let body = tokio::time::timeout_at(deadline, read_body_capped(response, BODY_LIMIT))
        .await
        .map_err(|_| timed_out())??;
    if (200..300).contains(&status) {
        return serde_json::from_slice(&body).map_err(|e| AuthError::Decode(e.to_string()));
    }
    Err(service_error(status, error_type.as_deref(), &body))
}

fn service_error(status: u16, error_type: Option<&str>, body: &[u8]) -> AuthError {
    let oidc: Option<OidcErrorBody> = serde_json::from_slice(body).ok();
    let kiro: Option<QErrorBody> = serde_json::from_slice(body).ok();
    let mut code = oidc.as_ref().map(|b| b.error.clone()).unwrap_or_default();
    if code.is_empty() {
        // The header carries the exception name; map it to the snake code.
        code = error_type
            .map(sanitize_error_type)
            .map(exception_to_code)
            .unwrap_or_default();
    }
    let description = oidc
        .and_then(|b| b.error_description)
        .or_else(|| kiro.and_then(|k| k.message))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(512).collect());
    AuthError::Service {
        status,
        code,
        description,
    }
}

/// OIDC exception names (§2.6) to their `error` codes.
fn exception_to_code(name: &str) -> String {
    match name {
        "AuthorizationPendingException" => "authorization_pending",
        "SlowDownException" => "slow_down",
        "ExpiredTokenException" => "expired_token",
        "AccessDeniedException" => "access_denied",
        "InvalidGrantException" => "invalid_grant",
        "InvalidClientException" => "invalid_client",
        "InvalidRequestException" => "invalid_request",
        "InvalidScopeException" => "invalid_scope",
        "UnauthorizedClientException" => "unauthorized_client",
        "UnsupportedGrantTypeException" => "unsupported_grant_type",
        "InternalServerException" => "server_error",
        _ => "",
    }
    .to_owned()
}
