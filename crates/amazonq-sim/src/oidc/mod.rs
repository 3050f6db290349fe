//! AWS SSO OIDC fake (amazon-q-protocol.md §2.3–§2.7, §8.2): RegisterClient, StartDeviceAuthorization,
//! CreateToken (device code and refresh grants) with the exact error model of §2.6.
#![allow(
    clippy::result_large_err,
    reason = "errors here are finished HTTP responses, built once per request"
)]

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::authfaults::AuthCall;
use crate::errors::oidc_error;
use crate::state::{Device, DeviceState, OidcClient, Shared};

mod grants;
use grants::{device_grant, refresh_grant};

pub const KNOWN_SCOPES: [&str; 5] = [
    "codewhisperer:completions",
    "codewhisperer:analysis",
    "codewhisperer:conversations",
    "codewhisperer:taskassist",
    "codewhisperer:transformations",
];

/// `invalid_grant` for a refresh token that is unknown, spent or not this client's (also Kiro
/// auth's answer when configured for 400).
pub(crate) fn invalid_refresh_token() -> Response {
    oidc_error(
        400,
        "InvalidGrantException",
        "invalid_grant",
        "Invalid refresh token provided",
    )
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
    o.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_request(&format!("{key} is required")))
}

/// Checks clientId/clientSecret; wrong or expired → 401 InvalidClientException.
fn client_ok(s: &Shared, id: &str, secret: &str) -> Result<(), Response> {
    let now = s.clock.now_secs();
    match s.reg().clients.get(id) {
        Some(c) if c.client_secret == secret && c.secret_expires_at_s > now => Ok(()),
        Some(c) if c.client_secret == secret => Err(oidc_error(
            401,
            "InvalidClientException",
            "invalid_client",
            "Client registration has expired",
        )),
        _ => Err(oidc_error(
            401,
            "InvalidClientException",
            "invalid_client",
            "Invalid client credentials",
        )),
    }
}

/// `POST /client/register`
pub async fn register(call: AuthCall) -> Response {
    call.answer("oidc", |s, body| {
        (register_inner(s, body).unwrap_or_else(|e| e), None)
    })
    .await
}

fn register_inner(s: &Shared, body: &[u8]) -> Result<Response, Response> {
    let o = parse(body)?;
    req(&o, "clientName")?;
    if req(&o, "clientType")? != "public" {
        return Err(oidc_error(
            400,
            "InvalidClientMetadataException",
            "invalid_client_metadata",
            "clientType must be public",
        ));
    }
    if let Some(scopes) = o.get("scopes") {
        let list = scopes
            .as_array()
            .ok_or_else(|| invalid_request("scopes must be a list"))?;
        if let Some(bad) = list
            .iter()
            .find(|x| x.as_str().is_none_or(|sc| !KNOWN_SCOPES.contains(&sc)))
        {
            return Err(oidc_error(
                400,
                "InvalidScopeException",
                "invalid_scope",
                &format!("Invalid scope: {bad}"),
            ));
        }
    }
    let now = s.clock.now_secs();
    let id = s.ids.token("", 22);
    let secret = s.ids.token("eyJraWQiOiJrZXktMTU2", 400);
    let mut reg = s.reg();
    let expires = now + reg.config.oidc.registration_lifetime_s;
    reg.clients.insert(
        id.clone(),
        OidcClient {
            client_secret: secret.clone(),
            secret_expires_at_s: expires,
        },
    );
    Ok(Json(json!({ "clientId": id, "clientSecret": secret, "clientIdIssuedAt": now, "clientSecretExpiresAt": expires })).into_response())
}

/// `POST /device_authorization`
pub async fn device_authorization(call: AuthCall) -> Response {
    let host = call
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    call.answer("oidc", |s, body| {
        (start_inner(s, body, &host).unwrap_or_else(|e| e), None)
    })
    .await
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
    let (expires_in, interval) = (
        reg.config.oidc.device_expires_in_s,
        reg.config.oidc.device_interval_s,
    );
    reg.devices.insert(
        device_code.clone(),
        Device {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id: id.to_owned(),
            state: DeviceState::Pending,
            expires_at_ms: now.saturating_add(expires_in.saturating_mul(1000)),
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
pub async fn token(call: AuthCall) -> Response {
    call.answer("oidc", |s, body| match token_inner(s, body) {
        Ok(answer) | Err(answer) => answer,
    })
    .await
}

pub(crate) type TokenResult = Result<(Response, Option<String>), (Response, Option<String>)>;

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
        "authorization_code" => Err((
            oidc_error(
                400,
                "InvalidGrantException",
                "invalid_grant",
                "Invalid authorization code provided",
            ),
            None,
        )),
        _ => Err((
            oidc_error(
                400,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Unsupported grant type",
            ),
            None,
        )),
    }
}
