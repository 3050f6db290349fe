//! `/v2/accounts*` and device login `/v2/auth/*` (shared/ADMIN_API.md §Accounts). Thin handlers:
//! documents are decoded in `transfer.rs`, upstream work goes through [`AccountOps`].
//!
//! [`AccountOps`]: crate::pool::AccountOps

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{Account, AccountFilter, AccountPatch, AccountStatus, Quota};

use super::extract::{Body, Params};
use super::transfer::{self, AccountInput};
use super::views::{AccountList, Done, Paging, ProfileList};
use crate::auth::AuditDetail;
use crate::change::Change;
use crate::error::Error;
use crate::pool::DeviceLoginRequest;
use crate::state::AppState;

/// The Account object of the admin API (no secrets).
#[derive(Debug, Serialize, ts_rs::TS)]
#[ts(rename = "Account")]
pub struct AccountView {
    id: String,
    label: String,
    auth_method: store::AuthMethod,
    region: String,
    /// The region whose hosts serve the account: its own profile ARN's, else mapped from the
    /// stored one (kiro-2026-endpoints.md §1).
    api_region: String,
    /// `runtime` (the 2026 hosts) or `legacy_q` (fallen back); `null` when this instance does
    /// not hold the account.
    upstream_host: Option<&'static str>,
    status: AccountStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    status_reason: Option<String>,
    enabled: bool,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    last_refresh_at: Option<chrono::DateTime<chrono::Utc>>,
    last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    inflight: u32,
    success_count: u64,
    error_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    quota: Option<Quota>,
    weight: u32,
    max_concurrency: u32,
    proxy_url: Option<String>,
    profile_arn: Option<String>,
    start_url: Option<String>,
    /// The model ids of the account's live catalog (ListAvailableModels), `null` until fetched.
    models: Option<Vec<String>>,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The admin API view of a stored account.
pub(super) fn view(state: &AppState, a: Account) -> AccountView {
    let own_profile = a
        .settings
        .profile_arn
        .as_deref()
        .filter(|_| a.auth_method != store::AuthMethod::BuilderId);
    AccountView {
        inflight: state.concurrency.in_flight(&crate::pool::lease_key(&a.id)),
        upstream_host: state.account_ops.upstream_host(&a.id),
        api_region: amazonq::client::api_region(own_profile, &a.settings.api_region),
        id: a.id,
        label: a.settings.label,
        auth_method: a.auth_method,
        region: a.settings.oidc_region,
        status: a.status,
        status_reason: a.status_reason,
        enabled: a.settings.enabled,
        expires_at: a.credentials.expires_at,
        last_refresh_at: a.last_refresh_at,
        last_used_at: a.last_used_at,
        success_count: a.success_count,
        error_count: a.error_count,
        quota: a.quota,
        weight: a.settings.weight,
        max_concurrency: a.settings.max_concurrency,
        proxy_url: a.settings.proxy_url,
        profile_arn: a.settings.profile_arn,
        start_url: a.settings.start_url,
        models: a.models,
        created_at: a.created_at,
    }
}

/// `GET /v2/accounts` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
}

/// `GET /v2/accounts`
pub async fn list(
    State(state): State<AppState>,
    Params(q): Params<ListQuery>,
) -> Result<Json<AccountList>, Error> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            AccountStatus::parse(s)
                .ok_or_else(|| Error::field("status", format!("unknown status `{s}`")))?,
        ),
    };
    let filter = AccountFilter {
        status,
        q: q.q.filter(|s| !s.is_empty()),
        // Absent is 0, which the store reads as its defaults (page 1, 50 a page).
        page: q.page.unwrap_or_default(),
        per_page: q.per_page.unwrap_or_default(),
    };
    let page = state.store.list_accounts(&filter).await?;
    let (accounts, paging) = Paging::split(page, |a| view(&state, a));
    Ok(Json(AccountList { accounts, paging }))
}

/// `POST /v2/accounts`
pub async fn create(
    State(state): State<AppState>,
    Body(input): Body<AccountInput>,
) -> Result<Response, Error> {
    let account = state.store.create_account(input.into_new()?).await?;
    state.changed(Change::Accounts).await?;
    state.account_ops.validate_new(vec![account.id.clone()]);
    Ok((StatusCode::CREATED, Json(view(&state, account))).into_response())
}

/// `POST /v2/accounts/feed` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedRequest {
    accounts: Vec<Value>,
}

/// `POST /v2/accounts/feed`: stores at once, validates in the background.
pub async fn feed(
    State(state): State<AppState>,
    Body(req): Body<FeedRequest>,
) -> Result<Response, Error> {
    let entries = transfer::decode(&Value::Array(req.accounts))?;
    finish_import(&state, entries).await
}

/// `POST /v2/accounts/import`: any supported document, or a kiro-cli SQLite database.
pub async fn import(
    State(state): State<AppState>,
    body: axum::body::Body,
) -> Result<Response, Error> {
    let bytes = super::extract::raw(body).await?;
    let doc: Value = if super::kiro_cli::is_sqlite(&bytes) {
        super::kiro_cli::read_db(&bytes).await?
    } else {
        super::extract::parse(&bytes)?
    };
    let entries = transfer::decode(&doc)?;
    finish_import(&state, entries).await
}

async fn finish_import(
    state: &AppState,
    entries: Vec<Result<store::NewAccount, Error>>,
) -> Result<Response, Error> {
    let result = transfer::store_all(&state.store, entries).await;
    if !result.created.is_empty() {
        state.changed(Change::Accounts).await?;
        state.account_ops.validate_new(result.created.clone());
    }
    let detail = json!({"created": result.created.len(), "rejected": result.rejected.len()});
    let mut response = Json(result).into_response();
    response.extensions_mut().insert(AuditDetail(detail));
    Ok(response)
}

/// `GET /v2/accounts/export` (secrets included; audit-logged by the audit middleware).
pub async fn export(State(state): State<AppState>) -> Result<Response, Error> {
    let doc = transfer::export(&state.store).await?;
    let count = doc["accounts"].as_array().map_or(0, Vec::len);
    let mut response = Json(doc).into_response();
    response
        .extensions_mut()
        .insert(AuditDetail(json!({"accounts": count})));
    Ok(response)
}

async fn load(state: &AppState, id: &str) -> Result<Account, Error> {
    state
        .store
        .get_account(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("account {id} not found")))
}

/// `GET /v2/accounts/:id`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, Error> {
    let account = load(&state, &id).await?;
    Ok(Json(view(&state, account)))
}

/// `PATCH /v2/accounts/:id` body.
#[derive(Debug, Deserialize)]
#[expect(
    clippy::option_option,
    reason = "absent (keep) vs null (clear) vs value"
)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(rename = "AccountPatch", optional_fields)]
pub struct PatchRequest {
    label: Option<String>,
    enabled: Option<bool>,
    weight: Option<u32>,
    /// 0 = the pool default (`pool.default_max_concurrency`), as new accounts store it.
    max_concurrency: Option<u32>,
    #[serde(default, with = "super::nullable")]
    #[ts(as = "Option<Option<String>>")]
    proxy_url: Option<Option<String>>,
}

/// `PATCH /v2/accounts/:id`
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<PatchRequest>,
) -> Result<Json<AccountView>, Error> {
    let patch = AccountPatch {
        label: req.label,
        enabled: req.enabled,
        weight: req.weight,
        max_concurrency: req.max_concurrency,
        proxy_url: req.proxy_url,
        ..AccountPatch::default()
    };
    let account = state.store.update_account(&id, patch).await?;
    state.changed(Change::Accounts).await?;
    Ok(Json(view(&state, account)))
}

/// `DELETE /v2/accounts/:id`
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Done>, Error> {
    let found = state.store.delete_account(&id).await?;
    super::removed(&state, found, Change::Accounts, || {
        format!("account {id} not found")
    })
    .await
}

/// `POST /v2/accounts/:id/refresh`
pub async fn refresh(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, Error> {
    load(&state, &id).await?;
    let account = state.account_ops.refresh(&id).await?;
    Ok(Json(view(&state, account)))
}

/// `POST /v2/accounts/:id/usage`
pub async fn usage(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, Error> {
    load(&state, &id).await?;
    let account = state.account_ops.fetch_usage(&id).await?;
    Ok(Json(view(&state, account)))
}

/// `GET /v2/accounts/:id/profiles`: the IAM Identity Center profiles the account can use.
pub async fn profiles(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProfileList>, Error> {
    load(&state, &id).await?;
    let profiles = state.account_ops.list_profiles(&id).await?;
    Ok(Json(ProfileList { profiles }))
}

/// `POST /v2/accounts/:id/profile` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickProfile {
    profile_arn: String,
}

/// `POST /v2/accounts/:id/profile`: picks one of the listed profiles.
pub async fn pick_profile(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<PickProfile>,
) -> Result<Json<AccountView>, Error> {
    load(&state, &id).await?;
    let account = state
        .account_ops
        .pick_profile(&id, &req.profile_arn)
        .await?;
    state.changed(Change::Accounts).await?;
    Ok(Json(view(&state, account)))
}

/// `POST /v2/auth/start` (an empty body means Builder ID in the default region).
pub async fn device_start(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    let req: DeviceLoginRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DeviceLoginRequest::default()
    } else {
        super::extract::parse(&body)?
    };
    let started = state.account_ops.start_device_login(req).await?;
    Ok(Json(started).into_response())
}

/// `GET /v2/auth/status/:auth_id`
pub async fn device_status(
    State(state): State<AppState>,
    Path(auth_id): Path<String>,
) -> Result<Response, Error> {
    let status = state.account_ops.device_login_status(&auth_id).await?;
    Ok(Json(status).into_response())
}
