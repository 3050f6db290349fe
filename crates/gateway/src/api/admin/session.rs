//! `POST /v2/login`, `POST /v2/logout`, `POST /v2/password`, `GET /v2/system`
//! (shared/ADMIN_API.md §Session).

use std::time::Duration;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::extract::Body;
use super::views::{Done, LoginAnswer, PasswordChanged, SystemInfo};
use crate::auth::{AdminCtx, AuditActor, password, session};
use crate::change::Change;
use crate::error::Error;
use crate::guard::ClientIp;
use crate::guard::client_ip::ForwardedHttps;
use crate::state::AppState;

/// `POST /v2/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    password: String,
}

/// `POST /v2/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    old_password: String,
    new_password: String,
}

/// `POST /v2/login`
pub async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Extension(ForwardedHttps(https)): Extension<ForwardedHttps>,
    Body(req): Body<LoginRequest>,
) -> Result<Response, Error> {
    if let Err(wait) = state.lockout.check(ip) {
        return Err(locked_out(wait));
    }
    let stored = state.settings.load().admin_password_hash.clone();
    if !password::verify(req.password, stored).await? {
        metrics::counter!("gateway_admin_login_failures_total").increment(1);
        tracing::warn!(%ip, "failed admin login");
        if let Some(wait) = state.lockout.record_failure(ip) {
            tracing::warn!(%ip, ?wait, "admin login locked out after repeated failures");
            return Err(locked_out(wait));
        }
        return Err(Error::Unauthorized("wrong password".into()));
    }
    state.lockout.record_success(ip);
    let token = session::new_token();
    let ttl = state.config.security.session_ttl_hours * 3600;
    let expires_at = Utc::now() + Duration::from_secs(ttl);
    state
        .store
        .create_session(&token, Some(&ip.to_string()), expires_at)
        .await?;
    let actor = AdminCtx {
        token: token.clone(),
        via_cookie: false,
    }
    .actor();
    let body = LoginAnswer {
        token: token.clone(),
        expires_at,
        must_change_password: state.must_change_password(),
    };
    let mut response = (
        [(header::SET_COOKIE, session::cookie(&token, ttl, https))],
        Json(body),
    )
        .into_response();
    response.extensions_mut().insert(AuditActor(actor));
    Ok(response)
}

fn locked_out(wait: Duration) -> Error {
    Error::TooManyRequests {
        code: "locked_out",
        message: "too many failed logins from this address; try again later".into(),
        retry_after: wait,
    }
}

/// `POST /v2/logout`
pub async fn logout(
    State(state): State<AppState>,
    Extension(ctx): Extension<AdminCtx>,
) -> Result<Response, Error> {
    state.store.revoke_session(&ctx.token).await?;
    Ok((
        [(header::SET_COOKIE, session::cookie("", 0, false))],
        Json(Done::OK),
    )
        .into_response())
}

/// `POST /v2/password`: checks the old password, stores the new hash, revokes every other session.
pub async fn change_password(
    State(state): State<AppState>,
    Extension(ctx): Extension<AdminCtx>,
    Body(req): Body<PasswordRequest>,
) -> Result<Json<PasswordChanged>, Error> {
    let stored = state.settings.load().admin_password_hash.clone();
    if !password::verify(req.old_password.clone(), stored).await? {
        return Err(Error::field("old_password", "the old password is wrong"));
    }
    password::validate_new(&req.old_password, &req.new_password)?;
    let hash = password::hash(req.new_password).await?;
    state.store.set_admin_password_hash(&hash).await?;
    let revoked = state.store.revoke_all_sessions(Some(&ctx.token)).await?;
    state.changed(Change::Settings).await?;
    tracing::info!(revoked, "admin password changed; other sessions revoked");
    Ok(Json(PasswordChanged {
        ok: true,
        must_change_password: state.must_change_password(),
    }))
}

/// `GET /v2/system`: what the console shows in its header and first-run banner.
pub async fn system(State(state): State<AppState>) -> Json<SystemInfo> {
    Json(SystemInfo {
        version: crate::VERSION,
        demo: state.config.test,
        must_change_password: state.must_change_password(),
        data_dir: state.config.data_dir().display().to_string(),
        database_type: state.config.database_type().as_str(),
    })
}
