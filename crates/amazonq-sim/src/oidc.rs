//! AWS SSO OIDC fake (amazon-q-protocol.md §2.3–§2.7, §8.2): RegisterClient, StartDeviceAuthorization,
//! CreateToken (device code and refresh grants) with the exact error model of §2.6.
#![allow(clippy::result_large_err, reason = "errors here are finished HTTP responses, built once per request")]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::errors::oidc_error;
use crate::log::LogMeta;
use crate::server::ConnInfo;
use crate::state::{Device, DeviceState, OidcClient, Shared};

pub const KNOWN_SCOPES: [&str; 5] = [
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
    "codewhisperer:taskassist",
    "codewhisperer:transformations",
];

fn tag(mut r: Response, operation: &'static str, account: Option<String>, faults: Vec<String>) -> Response {
    r.extensions_mut().insert(LogMeta { operation, account, faults });
    r
}

fn invalid_request(msg: &str) -> Response {
    oidc_error(400, "InvalidRequestException", "invalid_request", msg)
}

fn parse(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(invalid_request("Request body must be a JSON object")),
    }
}

fn req<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Result<&'a str, Response> {
    o.get(key).and_then(Value::as_str).ok_or_else(|| invalid_request(&format!("{key} is required")))
}

/// Checks clientId/clientSecret; wrong or expired → 401 InvalidClientException.
fn client_ok(s: &Shared, id: &str, secret: &str) -> Result<(), Response> {
    let now = s.clock.now_secs();
    match s.reg().clients.get(id) {
        Some(c) if c.client_secret == secret && c.secret_expires_at_s > now => Ok(()),
        Some(c) if c.client_secret == secret => Err(oidc_error(401, "InvalidClientException", "invalid_client", "Client registration has expired")),
        _ => Err(oidc_error(401, "InvalidClientException", "invalid_client", "Invalid client credentials")),
    }
}

/// `POST /client/register`
pub async fn register(State(s): State<Arc<Shared>>, ConnectInfo(ci): ConnectInfo<ConnInfo>, headers: HeaderMap, body: Bytes) -> Response {
    let (short, faults) = crate::authfaults::apply(&s, &ci, &headers, "oidc").await;
    let r = match short {
        Some(r) => r,
        None => register_inner(&s, &body).unwrap_or_else(|e| e),
    };
    tag(r, "oidc", None, faults)
}

fn register_inner(s: &Shared, body: &[u8]) -> Result<Response, Response> {
    let o = parse(body)?;
    req(&o, "clientName")?;
    if req(&o, "clientType")? != "public" {
        return Err(oidc_error(400, "InvalidClientMetadataException", "invalid_client_metadata", "clientType must be public"));
    }
    if let Some(scopes) = o.get("scopes") {
        let list = scopes.as_array().ok_or_else(|| invalid_request("scopes must be a list"))?;
        if let Some(bad) = list.iter().find(|x| x.as_str().is_none_or(|sc| !KNOWN_SCOPES.contains(&sc))) {
            return Err(oidc_error(400, "InvalidScopeException", "invalid_scope", &format!("Invalid scope: {bad}")));
        }
    }
    let now = s.clock.now_secs();
    let id = s.ids.token("", 22);
    let secret = s.ids.token("eyJraWQiOiJrZXktMTU2", 400);
    let mut reg = s.reg();
    let expires = now + reg.config.oidc.registration_lifetime_s;
    reg.clients.insert(id.clone(), OidcClient { client_secret: secret.clone(), secret_expires_at_s: expires });
    Ok(Json(json!({ "clientId": id, "clientSecret": secret, "clientIdIssuedAt": now, "clientSecretExpiresAt": expires })).into_response())
}

/// `POST /device_authorization`
pub async fn device_authorization(State(s): State<Arc<Shared>>, ConnectInfo(ci): ConnectInfo<ConnInfo>, headers: HeaderMap, body: Bytes) -> Response {
    let (short, faults) = crate::authfaults::apply(&s, &ci, &headers, "oidc").await;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_owned();
    let r = match short {
        Some(r) => r,
        None => start_inner(&s, &body, &host).unwrap_or_else(|e| e),
    };
    tag(r, "oidc", None, faults)
}

fn start_inner(s: &Shared, body: &[u8], host: &str) -> Result<Response, Response> {
    let o = parse(body)?;
    let id = req(&o, "clientId")?;
    let secret = req(&o, "clientSecret")?;
    req(&o, "startUrl")?;
    client_ok(s, id, secret)?;
    let now = s.clock.now_ms();
    let device_code = s.ids.token("", 86);
    let user_code = s.ids.user_code();
    let mut reg = s.reg();
    let (expires_in, interval) = (reg.config.oidc.device_expires_in_s, reg.config.oidc.device_interval_s);
    reg.devices.insert(
        device_code.clone(),
        Device {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id: id.to_owned(),
            state: DeviceState::Pending,
            expires_at_ms: now + expires_in * 1000,
            interval_s: interval,
            last_poll_ms: None,
            polls: 0,
        },
    );
    let uri = format!("http://{host}/device");
    Ok(Json(json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": uri,
        "verificationUriComplete": format!("{uri}?user_code={user_code}"),
        "expiresIn": expires_in,
        "interval": interval,
    }))
    .into_response())
}

/// `GET /device` — the page a user would open; the control API does the approving.
pub async fn device_page(Query(q): Query<BTreeMap<String, String>>) -> Response {
    let code = q.get("user_code").map_or("", String::as_str);
    format!("amazonq-sim device authorization for {code}: approve with POST /__sim/oidc/approve {{\"userCode\":\"{code}\"}}").into_response()
}

/// `POST /token`
pub async fn token(State(s): State<Arc<Shared>>, ConnectInfo(ci): ConnectInfo<ConnInfo>, headers: HeaderMap, body: Bytes) -> Response {
    let (short, faults) = crate::authfaults::apply(&s, &ci, &headers, "oidc").await;
    let (r, account) = match short {
        Some(r) => (r, None),
        None => match token_inner(&s, &body) {
            Ok((r, a)) | Err((r, a)) => (r, a),
        },
    };
    tag(r, "oidc", account, faults)
}

type TokenResult = Result<(Response, Option<String>), (Response, Option<String>)>;

fn token_inner(s: &Shared, body: &[u8]) -> TokenResult {
    let o = parse(body).map_err(|e| (e, None))?;
    let id = req(&o, "clientId").map_err(|e| (e, None))?;
    let secret = req(&o, "clientSecret").map_err(|e| (e, None))?;
    let grant = req(&o, "grantType").map_err(|e| (e, None))?;
    client_ok(s, id, secret).map_err(|e| (e, None))?;
    match grant {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = req(&o, "deviceCode").map_err(|e| (e, None))?;
            device_grant(s, id, code)
        }
        "refresh_token" => {
            let rt = req(&o, "refreshToken").map_err(|e| (e, None))?;
            refresh_grant(s, id, rt)
        }
        "authorization_code" => Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid authorization code provided"), None)),
        _ => Err((oidc_error(400, "UnsupportedGrantTypeException", "unsupported_grant_type", "Unsupported grant type"), None)),
    }
}

fn device_grant(s: &Shared, client_id: &str, code: &str) -> TokenResult {
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let enforce = reg.config.oidc.enforce_slow_down;
    let Some(dev) = reg.devices.get_mut(code).filter(|d| d.client_id == client_id) else {
        return Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid device code provided"), None));
    };
    dev.polls += 1;
    if dev.state == DeviceState::Consumed {
        return Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Device code has already been used"), None));
    }
    if now >= dev.expires_at_ms {
        return Err((oidc_error(400, "ExpiredTokenException", "expired_token", "Device code has expired"), None));
    }
    let too_fast = dev.last_poll_ms.is_some_and(|last| now - last < dev.interval_s * 1000);
    dev.last_poll_ms = Some(now);
    if enforce && too_fast {
        // RFC 8628 §3.5: the client must add 5 s to its interval from now on.
        dev.interval_s += 5;
        return Err((oidc_error(400, "SlowDownException", "slow_down", "Client is polling too fast"), None));
    }
    let approved_for = match &dev.state {
        DeviceState::Pending => return Err((oidc_error(400, "AuthorizationPendingException", "authorization_pending", "Authorization is still pending"), None)),
        DeviceState::Denied => return Err((oidc_error(400, "AccessDeniedException", "access_denied", "The user denied the authorization request"), None)),
        DeviceState::Approved { account } => account.clone(),
        DeviceState::Consumed => None,
    };
    dev.state = DeviceState::Consumed;
    let spec = crate::config::AccountSpec { id: approved_for.unwrap_or_default(), ..Default::default() };
    let ttl = reg.config.oidc.access_ttl_s;
    // Bind the new tokens to the registering client so refresh validates the client.
    let existing = reg.accounts.accounts.get(&spec.id).cloned();
    let tokens = match existing {
        Some(a) => {
            let access = crate::accounts::mint_access(&s.ids);
            let refresh = crate::accounts::mint_refresh(&s.ids);
            let ttl = a.access_ttl_s.unwrap_or(ttl);
            reg.accounts.access.insert(access.clone(), crate::accounts::AccessToken { account: a.id.clone(), expires_at_ms: now + ttl * 1000, revoked: false });
            reg.accounts.refresh.insert(refresh.clone(), crate::accounts::RefreshToken { account: a.id.clone(), client_id: Some(client_id.to_owned()), revoked: false });
            crate::accounts::AccountTokens { account: a.id, access_token: access, refresh_token: refresh, expires_at_ms: now + ttl * 1000, expires_in: ttl, client_id: None, client_secret: None, profile_arn: None }
        }
        None => reg.accounts.create(&spec, &s.ids, now, ttl, Some(client_id.to_owned())),
    };
    let body = json!({ "accessToken": tokens.access_token, "tokenType": "Bearer", "expiresIn": tokens.expires_in, "refreshToken": tokens.refresh_token });
    Ok((Json(body).into_response(), Some(tokens.account)))
}

fn refresh_grant(s: &Shared, client_id: &str, rt: &str) -> TokenResult {
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let Some(tok) = reg.accounts.refresh.get(rt).cloned() else {
        return Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided"), None));
    };
    if let Some(a) = reg.accounts.accounts.get_mut(&tok.account) {
        a.refresh_calls += 1;
    }
    if tok.revoked || tok.client_id.as_deref().is_some_and(|c| c != client_id) {
        return Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided"), Some(tok.account)));
    }
    let (ttl, rotation) = (reg.config.oidc.access_ttl_s, reg.config.oidc.rotation);
    let Some((access, expires_in, new_rt)) = reg.accounts.refresh(&tok.account, rt, &s.ids, now, ttl, rotation) else {
        return Err((oidc_error(400, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided"), Some(tok.account)));
    };
    let mut body = json!({ "accessToken": access, "tokenType": "Bearer", "expiresIn": expires_in });
    if let (Some(r), Some(o)) = (new_rt, body.as_object_mut()) {
        o.insert("refreshToken".to_owned(), json!(r));
    }
    Ok((Json(body).into_response(), Some(tok.account)))
}
