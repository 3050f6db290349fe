//! The interface the admin API calls the pool through: [`AccountOps`] (refresh, usage, device
//! login, Kiro GitHub / Google sign-in, background validation, profiles) and the request and
//! answer types of those calls (ADMIN_API.md `/v2/auth/*`, `/v2/accounts/:id/*`). The pool owns
//! it because the pool implements it (`ops`); embedders and tests may substitute their own
//! through `Extensions::account_ops`.

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// `POST /v2/auth/start` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct DeviceLoginRequest {
    /// OIDC region (default us-east-1).
    pub region: Option<String>,
    /// IAM Identity Center start URL (absent = Builder ID).
    pub start_url: Option<String>,
}

/// `POST /v2/auth/start` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct DeviceLoginStart {
    /// Id to poll with `GET /v2/auth/status/:auth_id`.
    pub auth_id: String,
    /// Code the user confirms.
    pub user_code: String,
    /// Page where the user signs in.
    pub verification_uri: String,
    /// The same page with the code filled in.
    pub verification_uri_complete: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Poll interval in seconds.
    pub interval: u64,
}

/// One IAM Identity Center profile an account may use (`GET /v2/accounts/:id/profiles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccountProfile {
    pub arn: String,
    /// `profileName`, when the service gives one.
    pub name: Option<String>,
    /// The region in the ARN (the account's API region once picked).
    pub region: Option<String>,
    /// The profile the account uses now.
    pub selected: bool,
}

/// `GET /v2/auth/status/:auth_id` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct DeviceLoginStatus {
    /// `pending`, `completed`, `expired`, `denied` or `error`.
    pub status: String,
    /// The created account once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account_id: Option<String>,
    /// Failure text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// `POST /v2/auth/social/start` body (Kiro GitHub / Google sign-in, issue 21).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct SocialLoginRequest {
    /// `github` or `google`.
    pub provider: amazonq::kiro_login::SocialProvider,
    /// Region of the Kiro sign-in host (default us-east-1).
    pub region: Option<String>,
    /// Label of the account to create (default `Kiro <provider> <date>`).
    pub label: Option<String>,
}

/// `POST /v2/auth/social/start` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct SocialLoginStart {
    /// Id to finish the sign-in with.
    pub login_id: String,
    /// The address the user opens.
    pub url: String,
    /// When the login id stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /v2/auth/social/finish` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialLoginFinish {
    /// From the start answer.
    pub login_id: String,
    /// The `kiro://…?code=…&state=…` address the browser was sent to.
    pub callback_url: String,
}

/// Upstream-facing account operations used by the admin API; implemented by the account pool.
pub trait AccountOps: Send + Sync {
    /// Forces a token refresh of account `id` now; returns the updated account.
    fn refresh<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Fetches the quota of account `id`; returns the updated account.
    fn fetch_usage<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Starts an OIDC device authorization.
    fn start_device_login(
        &self,
        req: DeviceLoginRequest,
    ) -> BoxFuture<'_, Result<DeviceLoginStart, Error>>;
    /// State of a device authorization started earlier.
    fn device_login_status<'a>(
        &'a self,
        auth_id: &'a str,
    ) -> BoxFuture<'a, Result<DeviceLoginStatus, Error>>;
    /// Starts a Kiro GitHub / Google sign-in bound to the admin session `session` (a hash of
    /// its token).
    fn start_social_login<'a>(
        &'a self,
        req: SocialLoginRequest,
        session: &'a str,
    ) -> BoxFuture<'a, Result<SocialLoginStart, Error>>;
    /// Finishes a sign-in started by the same session: exchanges the code, stores and
    /// validates the account. Nothing is stored on failure.
    fn finish_social_login<'a>(
        &'a self,
        req: SocialLoginFinish,
        session: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Newly stored accounts (feed/import): validate them in the background (e.g. one refresh
    /// each). Must return quickly.
    fn validate_new(&self, ids: Vec<String>);
    /// The IAM Identity Center profiles account `id` can use (asked upstream now).
    fn list_profiles<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<AccountProfile>, Error>>;
    /// Makes `arn` (one of [`Self::list_profiles`]) the profile of account `id`.
    fn pick_profile<'a>(
        &'a self,
        id: &'a str,
        arn: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// The host the account's calls go to now (`runtime` or `legacy_q`), if this instance
    /// holds the account.
    fn upstream_host(&self, id: &str) -> Option<&'static str>;
}
