//! CreateToken grants of the OIDC fake (amazon-q-protocol.md §2.5, §2.7, §8.2): the device-code
//! state machine (pending, slow_down, denied, expired, single use) and refresh with rotation.
#![allow(
    clippy::result_large_err,
    reason = "errors here are finished HTTP responses, built once per request"
)]

use axum::Json;
use axum::response::IntoResponse;
use serde_json::json;

use super::{TokenResult, invalid_refresh_token};
use crate::errors::oidc_error;
use crate::state::{Device, DeviceState, Registry, Shared};

pub(super) fn device_grant(s: &Shared, client_id: &str, code: &str) -> TokenResult {
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let enforce = reg.config.oidc.enforce_slow_down;
    let Some(dev) = reg
        .devices
        .get_mut(code)
        .filter(|d| d.client_id == client_id)
    else {
        return Err(grant_error(
            "InvalidGrantException",
            "invalid_grant",
            "Invalid device code provided",
        ));
    };
    let approved_for = poll(dev, now, enforce)?;
    let ttl = reg.config.oidc.access_ttl_s;
    let tokens = mint(
        &mut reg,
        s,
        approved_for.unwrap_or_default(),
        client_id,
        now,
        ttl,
    );
    let body = json!({ "accessToken": tokens.access_token, "tokenType": "Bearer", "expiresIn": tokens.expires_in, "refreshToken": tokens.refresh_token });
    Ok((Json(body).into_response(), Some(tokens.account)))
}

/// A 400 of the OIDC error model (§2.6), for no account.
fn grant_error(
    exception: &str,
    error: &str,
    description: &str,
) -> (axum::response::Response, Option<String>) {
    (oidc_error(400, exception, error, description), None)
}

/// One poll of the device-code state machine (RFC 8628 §3.4–§3.5): the account the user
/// approved (if any) once, else why not yet. The code is consumed on success.
fn poll(
    dev: &mut Device,
    now: i64,
    enforce_slow_down: bool,
) -> Result<Option<String>, (axum::response::Response, Option<String>)> {
    dev.polls += 1;
    if dev.state == DeviceState::Consumed {
        return Err(grant_error(
            "InvalidGrantException",
            "invalid_grant",
            "Device code has already been used",
        ));
    }
    if now >= dev.expires_at_ms {
        return Err(grant_error(
            "ExpiredTokenException",
            "expired_token",
            "Device code has expired",
        ));
    }
    let too_fast = dev
        .last_poll_ms
        .is_some_and(|last| now - last < dev.interval_s.saturating_mul(1000));
    dev.last_poll_ms = Some(now);
    if enforce_slow_down && too_fast {
        // RFC 8628 §3.5: the client must add 5 s to its interval from now on.
        dev.interval_s += 5;
        return Err(grant_error(
            "SlowDownException",
            "slow_down",
            "Client is polling too fast",
        ));
    }
    let approved_for = match &dev.state {
        DeviceState::Pending => {
            return Err(grant_error(
                "AuthorizationPendingException",
                "authorization_pending",
                "Authorization is still pending",
            ));
        }
        DeviceState::Denied => {
            return Err(grant_error(
                "AccessDeniedException",
                "access_denied",
                "The user denied the authorization request",
            ));
        }
        DeviceState::Approved { account } => account.clone(),
        DeviceState::Consumed => None,
    };
    dev.state = DeviceState::Consumed;
    Ok(approved_for)
}

/// New tokens for `account`, bound to the registering client so refresh validates the client:
/// a known account gets a fresh pair, an unknown id a new account.
fn mint(
    reg: &mut Registry,
    s: &Shared,
    account: String,
    client_id: &str,
    now: i64,
    ttl: i64,
) -> crate::accounts::AccountTokens {
    let client_id = Some(client_id.to_owned());
    if let Some(tokens) = reg
        .accounts
        .issue(&account, &s.ids, now, ttl, client_id.clone())
    {
        return tokens;
    }
    let spec = crate::config::AccountSpec {
        id: account,
        ..Default::default()
    };
    reg.accounts.create(&spec, &s.ids, now, ttl, client_id)
}

pub(super) fn refresh_grant(s: &Shared, client_id: &str, rt: &str) -> TokenResult {
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let Some(tok) = reg.accounts.refresh.get(rt).cloned() else {
        return Err((invalid_refresh_token(), None));
    };
    if let Some(a) = reg.accounts.accounts.get_mut(&tok.account) {
        a.refresh_calls += 1;
    }
    if !tok.usable(now, reg.config.oidc.rotation_grace_ms)
        || tok.client_id.as_deref().is_some_and(|c| c != client_id)
    {
        return Err((invalid_refresh_token(), Some(tok.account)));
    }
    let (ttl, rotation) = (reg.config.oidc.access_ttl_s, reg.config.oidc.rotation);
    let Some((access, expires_in, new_rt)) =
        reg.accounts
            .refresh(&tok.account, rt, &s.ids, now, ttl, rotation)
    else {
        return Err((invalid_refresh_token(), Some(tok.account)));
    };
    let mut body = json!({ "accessToken": access, "tokenType": "Bearer", "expiresIn": expires_in });
    if let (Some(r), Some(o)) = (new_rt, body.as_object_mut()) {
        o.insert("refreshToken".to_owned(), json!(r));
    }
    Ok((Json(body).into_response(), Some(tok.account)))
}
