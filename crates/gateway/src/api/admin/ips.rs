//! `/v2/ips/*` (shared/ADMIN_API.md §IPs): the blocklist. Addresses or CIDR ranges with optional
//! expiry; every change rebuilds the guard's snapshot at once. Blocks apply to the whole service,
//! this API included (issue 16 §3), so blocking a range that holds the calling admin's own address
//! needs `confirm_self_block: true`; without it the answer is a 400 naming that field, and the
//! console asks before sending it.

use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::extract::Body;
use super::views::{BlockedList, Done};
use crate::change::Change;
use crate::error::Error;
use crate::guard::ClientIp;
use crate::guard::client_ip::canonical;
use crate::guard::ip_block::parse_net;
use crate::state::AppState;

/// `POST /v2/ips/block` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct BlockRequest {
    ip: String,
    reason: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    /// Required (true) when the range holds the caller's own address.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    confirm_self_block: bool,
}

/// `POST /v2/ips/unblock` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnblockRequest {
    ip: String,
}

/// `GET /v2/ips/blocked` (expired entries are not shown).
pub async fn list(State(state): State<AppState>) -> Result<Json<BlockedList>, Error> {
    let blocked = state.store.list_blocked_ips(Some(Utc::now())).await?;
    Ok(Json(BlockedList { blocked }))
}

/// `POST /v2/ips/block`
pub async fn block(
    State(state): State<AppState>,
    caller: Option<Extension<ClientIp>>,
    Body(req): Body<BlockRequest>,
) -> Result<Json<store::BlockedIp>, Error> {
    let net = parse_net(&req.ip)?;
    if let Some(Extension(ClientIp(own))) = caller
        && net.contains(&canonical(own))
        && !req.confirm_self_block
    {
        return Err(Error::field(
            "confirm_self_block",
            format!(
                "{} includes your own address {own}: blocking it locks you out of the console and \
                 the API; send confirm_self_block: true to block it anyway",
                req.ip.trim()
            ),
        ));
    }
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(Error::field("expires_at", "must be in the future"));
    }
    let b = state
        .store
        .block_ip(
            &req.ip,
            req.reason.as_deref().filter(|r| !r.is_empty()),
            req.expires_at,
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Invalid(m) => Error::field("ip", m),
            other => Error::from(other),
        })?;
    super::announced(&state, Change::Blocklist, b).await
}

/// `POST /v2/ips/unblock`
pub async fn unblock(
    State(state): State<AppState>,
    Body(req): Body<UnblockRequest>,
) -> Result<Json<Done>, Error> {
    parse_net(&req.ip)?;
    let found = state.store.unblock_ip(&req.ip).await?;
    super::removed(&state, found, Change::Blocklist, || {
        format!("{} is not blocked", req.ip)
    })
    .await
}
