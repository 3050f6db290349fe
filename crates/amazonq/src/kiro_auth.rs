//! Kiro social-token refresh (spec §3): `POST {base}/refreshToken` with
//! `{"refreshToken"}` → `{"accessToken", "refreshToken"?, "profileArn"?, "expiresIn"?}`.
//!
//! The returned `profileArn` must be sent in chat bodies of social accounts,
//! so it is surfaced; a missing refresh token or profile ARN keeps the old one.
//! `400 invalid_grant` / `401` mean the refresh token is dead.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::auth_http::{AuthError, expires_at, send_json};
use crate::http::{HttpClients, join};
use crate::types::{KiroRefreshRequest, KiroRefreshResponse};

/// Kiro auth endpoint (us-east-1).
pub const DEFAULT_KIRO_AUTH_ENDPOINT: &str = "https://prod.us-east-1.auth.desktop.kiro.dev";

/// The Kiro auth endpoint of a region.
pub fn kiro_auth_endpoint(region: &str) -> String {
    format!("https://prod.{region}.auth.desktop.kiro.dev")
}

/// Result of a social refresh.
#[derive(Clone, PartialEq, Eq)]
pub struct KiroTokenSet {
    pub access_token: String,
    /// Rotated, or the old one when the answer had none.
    pub refresh_token: String,
    pub profile_arn: Option<String>,
    pub expires_at: DateTime<Utc>,
}

crate::redact::redacted_debug!(KiroTokenSet { profile_arn, expires_at } secret { access_token, refresh_token });

/// `POST {base_url}{path}` through `proxy`, accepting what the Kiro IDE accepts.
pub(crate) fn kiro_post(
    http: &HttpClients,
    proxy: Option<&str>,
    base_url: &str,
    path: &str,
) -> Result<reqwest::RequestBuilder, AuthError> {
    let request = http.get(proxy)?.post(join(base_url, path));
    Ok(request.header("accept", "application/json, text/plain, */*"))
}

/// The Kiro auth client.
#[derive(Debug)]
pub struct KiroAuthClient {
    base_url: String,
    http: HttpClients,
    request_timeout: Duration,
    kiro_version: String,
}

impl KiroAuthClient {
    /// A client for `base_url` (e.g. [`DEFAULT_KIRO_AUTH_ENDPOINT`] or a simulator).
    pub fn new(base_url: impl Into<String>, connect_timeout: Duration) -> Result<Self, AuthError> {
        Ok(Self {
            base_url: base_url.into(),
            http: HttpClients::new(connect_timeout)?,
            request_timeout: Duration::from_secs(30),
            kiro_version: "0.8.0".to_owned(),
        })
    }

    /// Whole-call timeout (default 30 s).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Refreshes a social token. `previous_profile_arn` is kept if the answer
    /// has none; `machine_id` goes into the user agent as Kiro does.
    pub async fn refresh(
        &self,
        refresh_token: &str,
        previous_profile_arn: Option<&str>,
        machine_id: Option<&str>,
        proxy: Option<&str>,
    ) -> Result<KiroTokenSet, AuthError> {
        let request = kiro_post(&self.http, proxy, &self.base_url, "/refreshToken")?
            .header(
                "user-agent",
                format!(
                    "KiroIDE-{}-{}",
                    self.kiro_version,
                    machine_id.unwrap_or("0")
                ),
            )
            .header("connection", "close")
            .json(&KiroRefreshRequest {
                refresh_token: refresh_token.to_owned(),
            })
            .send();
        let r: KiroRefreshResponse = send_json(request, self.request_timeout).await?;
        Ok(KiroTokenSet {
            refresh_token: r
                .grant
                .given_refresh_token()
                .unwrap_or(refresh_token)
                .to_owned(),
            expires_at: expires_at(r.grant.expires_in),
            access_token: r.grant.access_token,
            profile_arn: r
                .profile_arn
                .or_else(|| previous_profile_arn.map(str::to_owned)),
        })
    }
}
