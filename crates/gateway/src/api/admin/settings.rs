//! `GET/PUT /v2/settings` (shared/ADMIN_API.md §Keys, settings): the original settings by their
//! original names and types. `adminPassword` is write-only (hashed with argon2 before storing).
//! Unknown names or wrong types → 400 naming the setting; nothing is stored unless every entry
//! is valid.

use axum::Json;
use axum::extract::{Extension, State};
use serde_json::{Map, Value};

use super::extract::Body;
use crate::auth::{AdminCtx, password};
use crate::change::Change;
use crate::error::Error;
use crate::state::AppState;

/// `GET /v2/settings`
pub async fn get(State(state): State<AppState>) -> Json<store::PublicSettings> {
    Json(state.settings.load().public())
}

/// `PUT /v2/settings` with any subset of the settings.
pub async fn put(
    State(state): State<AppState>,
    Extension(ctx): Extension<AdminCtx>,
    Body(changes): Body<Map<String, Value>>,
) -> Result<Json<store::PublicSettings>, Error> {
    // Read the current values from the store, not the snapshot, so two quick PUTs compose.
    let mut settings = state.store.settings().await?;
    let mut new_password = None;
    for (name, value) in &changes {
        if name == store::SettingName::AdminPassword.as_str() {
            let pw = value.as_str().ok_or_else(|| {
                Error::field(name.clone(), "setting adminPassword must be a string")
            })?;
            password::validate_new("", pw)
                .map_err(|e| Error::field(name.clone(), e.to_string()))?;
            new_password = Some(pw.to_string());
            continue;
        }
        settings
            .apply_json(name, value)
            .map_err(|e| Error::field(name.clone(), e.to_string()))?;
    }
    if let Some(pw) = new_password {
        let hash = password::hash(pw).await?;
        state.store.set_admin_password_hash(&hash).await?;
        state.store.revoke_all_sessions(Some(&ctx.token)).await?;
    }
    state.store.save_settings(&settings).await?;
    state.changed(Change::Settings).await?;
    Ok(Json(state.settings.load().public()))
}
