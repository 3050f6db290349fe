//! `POST /v2/auth/social/start` and `POST /v2/auth/social/finish` (shared/ADMIN_API.md, issue 21):
//! Kiro GitHub / Google sign-in. Thin handlers: the PKCE state and the exchange live in the pool
//! (`pool::social`); here the admin session is named and every outcome gets an audit detail.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::accounts::view;
use super::extract::Body;
use crate::auth::{AdminCtx, AuditDetail};
use crate::change::Change;
use crate::error::Error;
use crate::pool::{SocialLoginFinish, SocialLoginRequest};
use crate::state::AppState;

/// The session a sign-in is bound to: a hash, so the raw token is not kept twice.
fn session_of(ctx: &AdminCtx) -> String {
    store::hash_secret(&ctx.token)
}

fn with_detail(mut response: Response, detail: serde_json::Value) -> Response {
    response.extensions_mut().insert(AuditDetail(detail));
    response
}

/// `POST /v2/auth/social/start`
pub async fn start(
    State(state): State<AppState>,
    Extension(ctx): Extension<AdminCtx>,
    Body(req): Body<SocialLoginRequest>,
) -> Result<Response, Error> {
    let provider = req.provider;
    let started = state
        .account_ops
        .start_social_login(req, &session_of(&ctx))
        .await?;
    let detail = json!({"provider": provider, "login_id": started.login_id});
    Ok(with_detail(Json(started).into_response(), detail))
}

/// `POST /v2/auth/social/finish`
pub async fn finish(
    State(state): State<AppState>,
    Extension(ctx): Extension<AdminCtx>,
    Body(req): Body<SocialLoginFinish>,
) -> Response {
    let login_id = req.login_id.clone();
    let result = state
        .account_ops
        .finish_social_login(req, &session_of(&ctx))
        .await;
    match result {
        Ok(account) => {
            if let Err(e) = state.changed(Change::Accounts).await {
                tracing::warn!(error = %e, "announcing the new social account failed");
            }
            let detail = json!({"login_id": login_id, "account_id": account.id});
            let response = (StatusCode::CREATED, Json(view(&state, account))).into_response();
            with_detail(response, detail)
        }
        Err(e) => {
            let detail = json!({"login_id": login_id, "error": e.public_message()});
            with_detail(e.into_response(), detail)
        }
    }
}
