//! `/v2/keys` (shared/ADMIN_API.md §Keys): client API keys. The secret is returned once, at
//! creation; afterwards only its prefix is shown. Every change rebuilds the guard's key ring.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use store::{ApiKeyPatch, KeyLimits, NewApiKey};

use super::extract::Body;
use super::views::{CreatedKey, Done, KeyList};
use crate::change::Change;
use crate::error::Error;
use crate::state::AppState;

/// `POST /v2/keys` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(rename = "NewKey", optional_fields)]
pub struct CreateKey {
    name: String,
    enabled: Option<bool>,
    models: Option<Vec<String>>,
    rpm: Option<u32>,
    max_concurrency: Option<u32>,
    expires_at: Option<DateTime<Utc>>,
}

/// `PATCH /v2/keys/:id` body (`null` clears an optional limit).
#[derive(Debug, Deserialize)]
#[expect(
    clippy::option_option,
    reason = "absent (keep) vs null (clear) vs value"
)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(rename = "KeyPatch", optional_fields)]
pub struct PatchKey {
    name: Option<String>,
    enabled: Option<bool>,
    #[serde(default, with = "super::nullable")]
    #[ts(as = "Option<Option<Vec<String>>>")]
    models: Option<Option<Vec<String>>>,
    #[serde(default, with = "super::nullable")]
    #[ts(as = "Option<Option<u32>>")]
    rpm: Option<Option<u32>>,
    #[serde(default, with = "super::nullable")]
    #[ts(as = "Option<Option<u32>>")]
    max_concurrency: Option<Option<u32>>,
    #[serde(default, with = "super::nullable")]
    #[ts(as = "Option<Option<DateTime<Utc>>>")]
    expires_at: Option<Option<DateTime<Utc>>>,
}

fn check_limits(rpm: Option<u32>, max_concurrency: Option<u32>) -> Result<(), Error> {
    if rpm == Some(0) {
        return Err(Error::field(
            "rpm",
            "must be at least 1 (omit it for no limit)",
        ));
    }
    if max_concurrency == Some(0) {
        return Err(Error::field(
            "max_concurrency",
            "must be at least 1 (omit it for no limit)",
        ));
    }
    Ok(())
}

fn check_models(models: Option<&Vec<String>>) -> Result<(), Error> {
    if models.is_some_and(|m| m.iter().any(|s| s.trim().is_empty())) {
        return Err(Error::field("models", "model ids must not be empty"));
    }
    Ok(())
}

/// `GET /v2/keys`
pub async fn list(State(state): State<AppState>) -> Result<Json<KeyList>, Error> {
    let keys = state.store.list_api_keys().await?;
    let legacy_api_key_set = !state.settings.load().api_key.is_empty();
    Ok(Json(KeyList {
        keys,
        legacy_api_key_set,
    }))
}

/// `POST /v2/keys` → 201 with the key and its secret (shown once).
pub async fn create(
    State(state): State<AppState>,
    Body(req): Body<CreateKey>,
) -> Result<Response, Error> {
    if req.name.trim().is_empty() {
        return Err(Error::field("name", "must not be empty"));
    }
    check_limits(req.rpm, req.max_concurrency)?;
    check_models(req.models.as_ref())?;
    let new = NewApiKey {
        name: req.name.trim().to_string(),
        enabled: req.enabled,
        limits: KeyLimits {
            models: req.models,
            rpm: req.rpm,
            max_concurrency: req.max_concurrency,
        },
        expires_at: req.expires_at,
    };
    let (key, secret) = state.store.create_api_key(new).await?;
    state.changed(Change::Keys).await?;
    let body = CreatedKey {
        key,
        secret: secret.expose().to_string(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `PATCH /v2/keys/:id`
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(req): Body<PatchKey>,
) -> Result<Json<store::ApiKey>, Error> {
    if req.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(Error::field("name", "must not be empty"));
    }
    check_limits(req.rpm.flatten(), req.max_concurrency.flatten())?;
    check_models(req.models.as_ref().and_then(Option::as_ref))?;
    let patch = ApiKeyPatch {
        name: req.name.map(|n| n.trim().to_string()),
        enabled: req.enabled,
        models: req.models,
        rpm: req.rpm,
        max_concurrency: req.max_concurrency,
        expires_at: req.expires_at,
    };
    let key = state.store.update_api_key(&id, patch).await?;
    super::announced(&state, Change::Keys, key).await
}

/// `DELETE /v2/keys/:id`
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Done>, Error> {
    let found = state.store.delete_api_key(&id).await?;
    super::removed(&state, found, Change::Keys, || {
        format!("API key {id} not found")
    })
    .await
}
