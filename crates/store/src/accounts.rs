//! Upstream accounts (issue 4 "Accounts", ADMIN_API.md Accounts): records, CRUD, token rotation,
//! status, counters and quota. Credentials are encrypted with the store's [`Cipher`] on the way in
//! and decrypted on the way out; callers only ever see [`Secret`]s.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, EntityTrait as _, PaginatorTrait as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use serde::{Deserialize, Serialize};

use crate::entity::accounts::{self, Column, Entity};
use crate::page::{Page, clamp};
use crate::time::{from_ms, now_ms, opt_from_ms, opt_to_ms, to_ms};
use crate::{Cipher, Secret, Store, StoreError};

/// How the account signs in (protocol doc §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub used: f64,
    pub limit: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// One stored account with its credentials decrypted. `Serialize` leaves the secrets out.
#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub id: String,
    pub label: String,
    pub auth_method: AuthMethod,
    /// Region of the OIDC (token) service.
    pub oidc_region: String,
    /// Region of the Amazon Q API endpoint (may differ from the OIDC region).
    pub api_region: String,
    pub start_url: Option<String>,
    pub client_id: Option<String>,
    #[serde(skip)]
    pub client_secret: Option<Secret>,
    /// When the OIDC client registration expires.
    pub client_expires_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub refresh_token: Secret,
    #[serde(skip)]
    pub access_token: Option<Secret>,
    /// Access token expiry.
    pub expires_at: Option<DateTime<Utc>>,
    pub profile_arn: Option<String>,
    pub weight: u32,
    pub max_concurrency: u32,
    pub proxy_url: Option<String>,
    pub enabled: bool,
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
    pub label: Option<String>,
    pub auth_method: AuthMethod,
    pub oidc_region: String,
    pub api_region: String,
    pub start_url: Option<String>,
    pub client: Option<ClientRegistration>,
    pub refresh_token: Secret,
    pub access_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
    pub profile_arn: Option<String>,
    pub weight: u32,
    pub max_concurrency: u32,
    pub proxy_url: Option<String>,
    pub enabled: bool,
}

/// Default region of both services.
pub const DEFAULT_REGION: &str = "us-east-1";

impl NewAccount {
    /// Defaults: region us-east-1 for both services, weight 1, max concurrency 2, enabled.
    pub fn new(auth_method: AuthMethod, refresh_token: impl Into<Secret>) -> Self {
        Self {
            id: None,
            label: None,
            auth_method,
            oidc_region: DEFAULT_REGION.into(),
            api_region: DEFAULT_REGION.into(),
            start_url: None,
            client: None,
            refresh_token: refresh_token.into(),
            access_token: None,
            expires_at: None,
            profile_arn: None,
            weight: 1,
            max_concurrency: 2,
            proxy_url: None,
            enabled: true,
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
    /// A renewed client registration, when one was made.
    pub client: Option<ClientRegistration>,
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

fn ctx(column: &str, id: &str) -> String {
    format!("accounts.{column}:{id}")
}

/// `%q%` with LIKE wildcards escaped by `!` (backslash means different things in MySQL literals).
pub(crate) fn like_pattern(q: &str) -> LikeExpr {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    LikeExpr::new(p).escape('!')
}

/// `LOWER(col) LIKE '%q%'` for any column.
pub(crate) fn icontains(col: impl sea_orm::sea_query::IntoColumnRef, q: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(col))).like(like_pattern(q))
}

fn decode(m: accounts::Model, cipher: &Cipher) -> Result<Account, StoreError> {
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
    let auth_method = AuthMethod::parse(&m.auth_method).ok_or_else(|| {
        StoreError::Corrupt(format!("account {}: auth_method {:?}", m.id, m.auth_method))
    })?;
    let status = AccountStatus::parse(&m.status)
        .ok_or_else(|| StoreError::Corrupt(format!("account {}: status {:?}", m.id, m.status)))?;
    let models = m
        .models
        .as_deref()
        .map(serde_json::from_str::<Vec<String>>)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("account {}: models: {e}", m.id)))?;
    let quota = match (m.quota_used, m.quota_limit) {
        (Some(used), Some(limit)) => Some(Quota {
            used,
            limit,
            resets_at: opt_from_ms(m.quota_resets_at),
        }),
        _ => None,
    };
    Ok(Account {
        label: m.label,
        auth_method,
        oidc_region: m.oidc_region,
        api_region: m.api_region,
        start_url: m.start_url,
        client_id: m.client_id,
        client_secret,
        client_expires_at: opt_from_ms(m.client_expires_at),
        refresh_token,
        access_token,
        expires_at: opt_from_ms(m.expires_at),
        profile_arn: m.profile_arn,
        weight: std::cmp::max(m.weight, 0) as u32,
        max_concurrency: std::cmp::max(m.max_concurrency, 0) as u32,
        proxy_url: m.proxy_url,
        enabled: m.enabled,
        status,
        status_reason: m.status_reason,
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

fn clamp_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl Store {
    /// Stores a new account (secrets encrypted) and returns it as read back.
    pub async fn create_account(&self, new: NewAccount) -> Result<Account, StoreError> {
        let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if id.is_empty() || id.len() > 64 {
            return Err(StoreError::Invalid(
                "account id must be 1..=64 characters".into(),
            ));
        }
        if new.refresh_token.is_empty() {
            return Err(StoreError::Invalid("refresh_token is required".into()));
        }
        let cipher = self.cipher();
        let enc = |column: &str, s: &Secret| cipher.encrypt(&ctx(column, &id), s.expose());
        let now = now_ms();
        let (client_id, client_secret, client_expires_at) = match &new.client {
            Some(c) => (
                Some(c.client_id.clone()),
                Some(enc("client_secret", &c.client_secret)?),
                opt_to_ms(c.expires_at),
            ),
            None => (None, None, None),
        };
        let model = accounts::ActiveModel {
            id: Set(id.clone()),
            label: Set(new.label.unwrap_or_default()),
            auth_method: Set(new.auth_method.as_str().to_owned()),
            oidc_region: Set(new.oidc_region),
            api_region: Set(new.api_region),
            start_url: Set(new.start_url),
            client_id: Set(client_id),
            client_secret: Set(client_secret),
            client_expires_at: Set(client_expires_at),
            refresh_token: Set(enc("refresh_token", &new.refresh_token)?),
            access_token: Set(new
                .access_token
                .as_ref()
                .map(|t| enc("access_token", t))
                .transpose()?),
            expires_at: Set(opt_to_ms(new.expires_at)),
            profile_arn: Set(new.profile_arn),
            weight: Set(clamp_i32(new.weight)),
            max_concurrency: Set(clamp_i32(new.max_concurrency)),
            proxy_url: Set(new.proxy_url),
            enabled: Set(new.enabled),
            status: Set(if new.enabled {
                AccountStatus::Active
            } else {
                AccountStatus::Disabled
            }
            .as_str()
            .to_owned()),
            status_reason: Set(None),
            models: Set(None),
            quota_used: Set(None),
            quota_limit: Set(None),
            quota_resets_at: Set(None),
            success_count: Set(0),
            error_count: Set(0),
            last_used_at: Set(None),
            last_refresh_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let exists = Entity::find_by_id(id.clone()).count(self.db()).await? > 0;
        if exists {
            return Err(StoreError::Conflict(format!("account {id} already exists")));
        }
        Entity::insert(model)
            .exec_without_returning(self.db())
            .await?;
        self.get_account(&id)
            .await?
            .ok_or_else(|| StoreError::not_found("account", id))
    }

    pub async fn get_account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .map(|m| decode(m, self.cipher()))
            .transpose()
    }

    /// Every account, oldest first (the pool loads these at start).
    pub async fn all_accounts(&self) -> Result<Vec<Account>, StoreError> {
        Entity::find()
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| decode(m, self.cipher()))
            .collect()
    }

    pub async fn list_accounts(&self, filter: &AccountFilter) -> Result<Page<Account>, StoreError> {
        let (page, per_page) = clamp(filter.page, filter.per_page);
        let mut cond = Condition::all();
        if let Some(status) = filter.status {
            cond = cond.add(Column::Status.eq(status.as_str()));
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.is_empty()) {
            cond = cond.add(
                Condition::any()
                    .add(icontains(Column::Id, q))
                    .add(icontains(Column::Label, q))
                    .add(icontains(Column::ProfileArn, q))
                    .add(icontains(Column::StartUrl, q)),
            );
        }
        let total = Entity::find().filter(cond.clone()).count(self.db()).await?;
        let items = Entity::find()
            .filter(cond)
            .order_by_asc(Column::CreatedAt)
            .order_by_asc(Column::Id)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| decode(m, self.cipher()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Applies an operator edit; `enabled: false` also sets status `disabled`, `enabled: true`
    /// brings a disabled account back to `active`.
    pub async fn update_account(
        &self,
        id: &str,
        patch: AccountPatch,
    ) -> Result<Account, StoreError> {
        let mut q = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id));
        if let Some(v) = patch.label {
            q = q.col_expr(Column::Label, Expr::val(v));
        }
        if let Some(v) = patch.weight {
            q = q.col_expr(Column::Weight, Expr::val(clamp_i32(v)));
        }
        if let Some(v) = patch.max_concurrency {
            q = q.col_expr(Column::MaxConcurrency, Expr::val(clamp_i32(v)));
        }
        if let Some(v) = patch.proxy_url {
            q = q.col_expr(Column::ProxyUrl, Expr::val(v));
        }
        if let Some(v) = patch.profile_arn {
            q = q.col_expr(Column::ProfileArn, Expr::val(v));
        }
        if let Some(v) = patch.oidc_region {
            q = q.col_expr(Column::OidcRegion, Expr::val(v));
        }
        if let Some(v) = patch.api_region {
            q = q.col_expr(Column::ApiRegion, Expr::val(v));
        }
        if let Some(v) = patch.start_url {
            q = q.col_expr(Column::StartUrl, Expr::val(v));
        }
        if let Some(enabled) = patch.enabled {
            q = q.col_expr(Column::Enabled, Expr::val(enabled));
            if enabled {
                // Only a disabled account comes back; a banned one stays banned.
                q = q.col_expr(
                    Column::Status,
                    Expr::case(
                        Expr::col(Column::Status).eq(AccountStatus::Disabled.as_str()),
                        AccountStatus::Active.as_str(),
                    )
                    .finally(Expr::col(Column::Status))
                    .into(),
                );
            } else {
                q = q.col_expr(Column::Status, Expr::val(AccountStatus::Disabled.as_str()));
            }
        }
        let res = q.exec(self.db()).await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        self.get_account(id)
            .await?
            .ok_or_else(|| StoreError::not_found("account", id))
    }

    /// Returns whether a row was deleted.
    pub async fn delete_account(&self, id: &str) -> Result<bool, StoreError> {
        let res = Entity::delete_many()
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Persists a refresh result in one UPDATE: the new access token and expiry, and the rotated
    /// refresh token / client registration when present. Call this *before* using the new token so
    /// a crash never loses a rotated refresh token.
    pub async fn update_tokens(&self, id: &str, update: TokenUpdate) -> Result<(), StoreError> {
        let cipher = self.cipher();
        let enc = |column: &str, s: &Secret| cipher.encrypt(&ctx(column, id), s.expose());
        let mut q = Entity::update_many()
            .col_expr(
                Column::AccessToken,
                Expr::val(Some(enc("access_token", &update.access_token)?)),
            )
            .col_expr(Column::ExpiresAt, Expr::val(Some(to_ms(update.expires_at))))
            .col_expr(
                Column::LastRefreshAt,
                Expr::val(Some(to_ms(update.refreshed_at))),
            )
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id));
        if let Some(rt) = &update.refresh_token {
            if rt.is_empty() {
                return Err(StoreError::Invalid("rotated refresh_token is empty".into()));
            }
            q = q.col_expr(Column::RefreshToken, Expr::val(enc("refresh_token", rt)?));
        }
        if let Some(c) = &update.client {
            q = q
                .col_expr(Column::ClientId, Expr::val(Some(c.client_id.clone())))
                .col_expr(
                    Column::ClientSecret,
                    Expr::val(Some(enc("client_secret", &c.client_secret)?)),
                )
                .col_expr(Column::ClientExpiresAt, Expr::val(opt_to_ms(c.expires_at)));
        }
        let res = q.exec(self.db()).await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        Ok(())
    }

    /// Sets the health status and its reason (e.g. `needs_login` + "invalid_grant").
    pub async fn set_account_status(
        &self,
        id: &str,
        status: AccountStatus,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let res = Entity::update_many()
            .col_expr(Column::Status, Expr::val(status.as_str()))
            .col_expr(Column::StatusReason, Expr::val(reason.map(str::to_owned)))
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        Ok(())
    }

    /// Adds to the success/error counters (increments in SQL, so concurrent writers do not lose
    /// counts) and moves `last_used_at` forward when given.
    pub async fn record_account_usage(
        &self,
        id: &str,
        successes: u64,
        errors: u64,
        last_used_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let s = i64::try_from(successes).unwrap_or(i64::MAX);
        let e = i64::try_from(errors).unwrap_or(i64::MAX);
        let mut q = Entity::update_many()
            .col_expr(Column::SuccessCount, Expr::col(Column::SuccessCount).add(s))
            .col_expr(Column::ErrorCount, Expr::col(Column::ErrorCount).add(e))
            .filter(Column::Id.eq(id));
        if let Some(at) = last_used_at {
            q = q.col_expr(Column::LastUsedAt, Expr::val(Some(to_ms(at))));
        }
        let res = q.exec(self.db()).await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        Ok(())
    }

    /// Stores (or clears) the quota snapshot from GetUsageLimits.
    pub async fn set_account_quota(
        &self,
        id: &str,
        quota: Option<Quota>,
    ) -> Result<(), StoreError> {
        let (used, limit, resets) = match quota {
            Some(q) => (Some(q.used), Some(q.limit), opt_to_ms(q.resets_at)),
            None => (None, None, None),
        };
        let res = Entity::update_many()
            .col_expr(Column::QuotaUsed, Expr::val(used))
            .col_expr(Column::QuotaLimit, Expr::val(limit))
            .col_expr(Column::QuotaResetsAt, Expr::val(resets))
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        Ok(())
    }

    /// Stores (or clears) the list of model ids the account may use.
    pub async fn set_account_models(
        &self,
        id: &str,
        models: Option<&[String]>,
    ) -> Result<(), StoreError> {
        let json = models
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let res = Entity::update_many()
            .col_expr(Column::Models, Expr::val(json))
            .col_expr(Column::UpdatedAt, Expr::val(now_ms()))
            .filter(Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::not_found("account", id));
        }
        Ok(())
    }

    /// The raw stored text of a credential column, for tests and audits that must prove the value
    /// at rest is ciphertext. `column` is `refresh_token`, `access_token` or `client_secret`.
    pub async fn raw_account_secret_column(
        &self,
        id: &str,
        column: &str,
    ) -> Result<Option<String>, StoreError> {
        let col = match column {
            "refresh_token" => Column::RefreshToken,
            "access_token" => Column::AccessToken,
            "client_secret" => Column::ClientSecret,
            other => return Err(StoreError::Invalid(format!("not a secret column: {other}"))),
        };
        let row: Option<Option<String>> = Entity::find_by_id(id.to_owned())
            .select_only()
            .column(col)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.flatten())
    }
}
