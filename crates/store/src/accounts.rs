//! Upstream accounts (issue 4 "Accounts", ADMIN_API.md Accounts): the record types and their
//! decoding. The queries are in `account_queries.rs`. Credentials are encrypted with the store's [`Cipher`] on the way in
//! and decrypted on the way out; callers only ever see [`Secret`]s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::accounts;
use crate::model_ids;
use crate::time::{from_ms, opt_from_ms};
use crate::{Cipher, Secret, StoreError};

/// How the account signs in (protocol doc §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    BuilderId,
    Idc,
    Social,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BuilderId => "builder_id",
            Self::Idc => "idc",
            Self::Social => "social",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "builder_id" => Some(Self::BuilderId),
            "idc" => Some(Self::Idc),
            "social" => Some(Self::Social),
            _ => None,
        }
    }
}

/// Account health as the pool sees it (ADMIN_API.md Account `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    CoolingDown,
    Exhausted,
    NeedsLogin,
    Banned,
    Disabled,
}

impl AccountStatus {
    pub const ALL: [Self; 6] = [
        Self::Active,
        Self::CoolingDown,
        Self::Exhausted,
        Self::NeedsLogin,
        Self::Banned,
        Self::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::CoolingDown => "cooling_down",
            Self::Exhausted => "exhausted",
            Self::NeedsLogin => "needs_login",
            Self::Banned => "banned",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Monthly usage from GetUsageLimits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Quota {
    pub used: f64,
    pub limit: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// What an operator sets on an account: its name, where it signs in and is served, and how the
/// pool uses it. [`NewAccount`] brings it in, [`Account`] reads it back and [`AccountPatch`] edits
/// it field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSettings {
    pub label: String,
    /// Region of the OIDC (token) service.
    pub oidc_region: String,
    /// Region of the Amazon Q API endpoint (may differ from the OIDC region).
    pub api_region: String,
    pub start_url: Option<String>,
    pub profile_arn: Option<String>,
    pub weight: u32,
    pub max_concurrency: u32,
    pub proxy_url: Option<String>,
    pub enabled: bool,
}

impl Default for AccountSettings {
    /// Region us-east-1 for both services, weight 1, max concurrency 0 (= the pool's
    /// `default_max_concurrency`), enabled, no label.
    fn default() -> Self {
        Self {
            label: String::new(),
            oidc_region: DEFAULT_REGION.into(),
            api_region: DEFAULT_REGION.into(),
            start_url: None,
            profile_arn: None,
            weight: 1,
            max_concurrency: 0,
            proxy_url: None,
            enabled: true,
        }
    }
}

/// An account's credentials, decrypted (stored encrypted; `Debug` of a [`Secret`] hides it).
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The OIDC client registration (builder_id / idc).
    pub client: Option<ClientRegistration>,
    pub refresh_token: Secret,
    pub access_token: Option<Secret>,
    /// Access token expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Just a refresh token (no access token yet, no client registration).
    pub fn new(refresh_token: impl Into<Secret>) -> Self {
        Self {
            client: None,
            refresh_token: refresh_token.into(),
            access_token: None,
            expires_at: None,
        }
    }
}

/// One stored account with its credentials decrypted.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub auth_method: AuthMethod,
    pub settings: AccountSettings,
    pub credentials: Credentials,
    pub status: AccountStatus,
    pub status_reason: Option<String>,
    /// Model ids the account is entitled to (from ListAvailableModels), when known.
    pub models: Option<Vec<String>>,
    pub quota: Option<Quota>,
    pub success_count: u64,
    pub error_count: u64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// OIDC client registration (builder_id / idc).
#[derive(Clone, Debug)]
pub struct ClientRegistration {
    pub client_id: String,
    pub client_secret: Secret,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new account. Build with [`NewAccount::new`] and set the optional fields.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// `None` generates a UUID; imports may keep their ids.
    pub id: Option<String>,
    pub auth_method: AuthMethod,
    pub settings: AccountSettings,
    pub credentials: Credentials,
}

/// Default region of both services.
pub const DEFAULT_REGION: &str = "us-east-1";

impl NewAccount {
    /// [`AccountSettings::default`] and just the refresh token.
    pub fn new(auth_method: AuthMethod, refresh_token: impl Into<Secret>) -> Self {
        Self {
            id: None,
            auth_method,
            settings: AccountSettings::default(),
            credentials: Credentials::new(refresh_token),
        }
    }
}

/// Operator edits (`PATCH /v2/accounts/:id` and a few the pool makes). `None` leaves a field as is;
/// for the `Option<Option<_>>` fields `Some(None)` clears the value.
#[derive(Clone, Debug, Default)]
pub struct AccountPatch {
    pub label: Option<String>,
    pub enabled: Option<bool>,
    pub weight: Option<u32>,
    pub max_concurrency: Option<u32>,
    pub proxy_url: Option<Option<String>>,
    pub profile_arn: Option<Option<String>>,
    pub oidc_region: Option<String>,
    pub api_region: Option<String>,
    pub start_url: Option<Option<String>>,
}

/// The result of a token refresh, persisted in one statement before the new token is used.
#[derive(Clone, Debug)]
pub struct TokenUpdate {
    pub access_token: Secret,
    pub expires_at: DateTime<Utc>,
    /// A rotated refresh token, when the OIDC service returned one.
    pub refresh_token: Option<Secret>,
    pub refreshed_at: DateTime<Utc>,
}

/// `GET /v2/accounts?status=&q=&page=&per_page=`.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    pub status: Option<AccountStatus>,
    /// Case-insensitive substring of id, label, profile ARN or start URL.
    pub q: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

pub(crate) fn ctx(column: &str, id: &str) -> String {
    format!("accounts.{column}:{id}")
}

/// Decrypts a row's credentials; the error names the first column that does not decrypt. A
/// client id without a secret is no usable registration and reads as none.
pub(crate) fn decrypt_credentials(
    m: &accounts::Model,
    cipher: &Cipher,
) -> Result<Credentials, StoreError> {
    let dec = |column: &str, v: &str| cipher.decrypt(&ctx(column, &m.id), v);
    let client_secret = m
        .client_secret
        .as_deref()
        .map(|v| dec("client_secret", v))
        .transpose()?;
    let access_token = m
        .access_token
        .as_deref()
        .map(|v| dec("access_token", v))
        .transpose()?;
    let refresh_token = dec("refresh_token", &m.refresh_token)?;
    let client = match (&m.client_id, client_secret) {
        (Some(client_id), Some(client_secret)) => Some(ClientRegistration {
            client_id: client_id.clone(),
            client_secret,
            expires_at: opt_from_ms(m.client_expires_at),
        }),
        _ => None,
    };
    Ok(Credentials {
        client,
        refresh_token,
        access_token,
        expires_at: opt_from_ms(m.expires_at),
    })
}

/// Why an account whose credentials do not decrypt is `needs_login` (issue 16 §6).
pub const UNDECRYPTABLE_REASON: &str =
    "stored credentials cannot be decrypted (wrong encryption key or tampered value): log in again";

/// Decodes a row. A row whose credentials do not decrypt is still returned, so one bad row does
/// not hide the others (issue 16 §6): with empty credentials, status `needs_login` and
/// [`UNDECRYPTABLE_REASON`], so nothing can use it and the console shows why.
pub(crate) fn decode(m: accounts::Model, cipher: &Cipher) -> Result<Account, StoreError> {
    let (credentials, locked) = match decrypt_credentials(&m, cipher) {
        Ok(c) => (c, false),
        // The expiry is no secret: the console keeps showing it.
        Err(StoreError::Crypto(_)) => (
            Credentials {
                expires_at: opt_from_ms(m.expires_at),
                ..Credentials::new("")
            },
            true,
        ),
        Err(e) => return Err(e),
    };
    let auth_method = AuthMethod::parse(&m.auth_method).ok_or_else(|| {
        StoreError::Corrupt(format!("account {}: auth_method {:?}", m.id, m.auth_method))
    })?;
    let mut status = AccountStatus::parse(&m.status)
        .ok_or_else(|| StoreError::Corrupt(format!("account {}: status {:?}", m.id, m.status)))?;
    let mut status_reason = m.status_reason;
    if locked {
        status = AccountStatus::NeedsLogin;
        status_reason = Some(UNDECRYPTABLE_REASON.to_owned());
    }
    let models = model_ids::from_json(m.models.as_deref(), &format!("account {}", m.id))?;
    let quota = match (m.quota_used, m.quota_limit) {
        (Some(used), Some(limit)) => Some(Quota {
            used,
            limit,
            resets_at: opt_from_ms(m.quota_resets_at),
        }),
        _ => None,
    };
    Ok(Account {
        auth_method,
        settings: AccountSettings {
            label: m.label,
            oidc_region: m.oidc_region,
            api_region: m.api_region,
            start_url: m.start_url,
            profile_arn: m.profile_arn,
            weight: std::cmp::max(m.weight, 0) as u32,
            max_concurrency: std::cmp::max(m.max_concurrency, 0) as u32,
            proxy_url: m.proxy_url,
            enabled: m.enabled,
        },
        credentials,
        status,
        status_reason,
        models,
        quota,
        success_count: std::cmp::max(m.success_count, 0) as u64,
        error_count: std::cmp::max(m.error_count, 0) as u64,
        last_used_at: opt_from_ms(m.last_used_at),
        last_refresh_at: opt_from_ms(m.last_refresh_at),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        id: m.id,
    })
}

pub(crate) fn clamp_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}
