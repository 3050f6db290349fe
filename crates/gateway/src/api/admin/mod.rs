//! The admin JSON API under `/v2` (shared/ADMIN_API.md), used by the console and scripts.
//!
//! Layers, outermost first: `auth::audit::record` (every state-changing call, login included) →
//! `auth::require_admin` (session + CSRF; every route except login) → handler.
//! Handlers are thin: they parse strictly (`extract::Body`), call the store or
//! [`AccountOps`](crate::pool::AccountOps), and publish a [`Change`](crate::change::Change).

pub mod accounts;
pub mod audit;
pub mod diagnose;
pub mod drift;
pub mod error;
pub mod extract;
pub mod ips;
pub mod keys;
pub mod kiro_cli;
pub mod logs;
pub mod nullable;
pub mod session;
pub mod settings;
pub mod social;
pub mod transfer;
pub mod ts;
pub mod views;

use axum::middleware::from_fn_with_state;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use views::Done;

use crate::auth::{audit as audit_trail, require_admin};
use crate::change::Change;
use crate::error::Error;
use crate::state::AppState;

/// Every `/v2` route.
pub fn router(state: &AppState) -> Router<AppState> {
    let protected = Router::new()
        .route("/v2/logout", post(session::logout))
        .route("/v2/password", post(session::change_password))
        .route("/v2/system", get(session::system))
        .route("/v2/accounts", get(accounts::list).post(accounts::create))
        .route("/v2/accounts/feed", post(accounts::feed))
        .route("/v2/accounts/import", post(accounts::import))
        .route("/v2/accounts/export", get(accounts::export))
        .route(
            "/v2/accounts/{id}",
            get(accounts::get)
                .patch(accounts::patch)
                .delete(accounts::delete),
        )
        .route("/v2/accounts/{id}/refresh", post(accounts::refresh))
        .route("/v2/accounts/{id}/usage", post(accounts::usage))
        .route("/v2/accounts/{id}/diagnose", post(diagnose::diagnose))
        .route("/v2/accounts/{id}/profiles", get(accounts::profiles))
        .route("/v2/accounts/{id}/profile", post(accounts::pick_profile))
        .route("/v2/auth/start", post(accounts::device_start))
        .route("/v2/auth/status/{auth_id}", get(accounts::device_status))
        .route("/v2/auth/social/start", post(social::start))
        .route("/v2/auth/social/finish", post(social::finish))
        .route("/v2/keys", get(keys::list).post(keys::create))
        .route("/v2/keys/{id}", patch(keys::patch).delete(keys::delete))
        .route("/v2/settings", get(settings::get).put(settings::put))
        .route("/v2/logs", get(logs::list))
        .route("/v2/logs/stats", get(logs::stats))
        .route("/v2/logs/cleanup", post(logs::cleanup))
        .route("/v2/logs/{id}", get(logs::get))
        .route("/v2/ips/blocked", get(ips::list))
        .route("/v2/ips/block", post(ips::block))
        .route("/v2/ips/unblock", post(ips::unblock))
        .route("/v2/audit", get(audit::list))
        .route("/v2/upstream/drift", get(drift::get).delete(drift::reset))
        .route_layer(from_fn_with_state(state.clone(), require_admin));
    Router::new()
        .route("/v2/login", post(session::login))
        .merge(protected)
        .route_layer(from_fn_with_state(state.clone(), audit_trail::record))
        .route("/v2", get(not_found))
        .route(
            "/v2/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .patch(not_found)
                .delete(not_found),
        )
}

async fn not_found() -> Error {
    Error::NotFound("no such admin endpoint".into())
}

/// `answer`, once the snapshots and the other instances know of `change`: the last step of a
/// write whose answer does not depend on the rebuilt snapshots.
async fn announced<T>(state: &AppState, change: Change, answer: T) -> Result<Json<T>, Error> {
    state.changed(change).await?;
    Ok(Json(answer))
}

/// The answer to a removal (a delete, an unblock): 404 `missing` when there was nothing to
/// remove, else `{"ok": true}` once announced.
async fn removed(
    state: &AppState,
    found: bool,
    change: Change,
    missing: impl FnOnce() -> String,
) -> Result<Json<Done>, Error> {
    if !found {
        return Err(Error::NotFound(missing()));
    }
    announced(state, change, Done::OK).await
}
