//! Kiro social-auth fake (amazon-q-protocol.md §3, §8.3): `/refreshToken`, `/login` (`idp`,
//! `state`, PKCE S256; an `error` redirect on request) and `/oauth/token` (the verifier must hash
//! to the challenge of its `/login`). Refresh tokens shorter than 100 characters are never
//! valid, like truncated tokens copied out of the Kiro UI.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::Digest;

use crate::authfaults::AuthCall;
use crate::config::{AccountSpec, AuthKind};
use crate::errors::oidc_error;
use crate::log::LogMeta;
use crate::state::{KiroLogin, Shared};

const MIN_REFRESH_LEN: usize = 100;

const OPERATION: &str = "kiro-auth";

/// A `kiro-auth` answer that no fault shaped, with its log decision.
fn tag(r: Response, account: Option<String>) -> Response {
    LogMeta {
        account,
        ..LogMeta::new(OPERATION)
    }
    .attach(r)
}

fn invalid_grant(status: u16) -> Response {
    if status == 401 {
        return oidc_error(
            401,
            "UnauthorizedException",
            "unauthorized",
            "Invalid refresh token provided",
        );
    }
    crate::oidc::invalid_refresh_token()
}

/// `POST /refreshToken {"refreshToken"}`
pub async fn refresh(call: AuthCall) -> Response {
    call.answer(OPERATION, refresh_inner).await
}

/// The refresh itself: the answer and the account it concerns.
fn refresh_inner(s: &Shared, body: &[u8]) -> (Response, Option<String>) {
    let rt = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.get("refreshToken")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(rt) = rt else {
        let e = oidc_error(
            400,
            "InvalidRequestException",
            "invalid_request",
            "refreshToken is required",
        );
        return (e, None);
    };
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let status = reg.config.kiro.invalid_status;
    let tok = reg.accounts.refresh.get(&rt).cloned();
    let Some(tok) = tok.filter(|_| rt.len() >= MIN_REFRESH_LEN) else {
        return (invalid_grant(status), None);
    };
    if let Some(a) = reg.accounts.accounts.get_mut(&tok.account) {
        a.refresh_calls += 1;
    }
    if !tok.usable(now, reg.config.kiro.rotation_grace_ms) || tok.client_id.is_some() {
        return (invalid_grant(status), Some(tok.account));
    }
    let (ttl, rotation) = (reg.config.kiro.access_ttl_s, reg.config.kiro.rotation);
    let profile = reg
        .accounts
        .accounts
        .get(&tok.account)
        .and_then(|a| a.profile_arn.clone());
    let Some((access, expires_in, new_rt)) =
        reg.accounts
            .refresh(&tok.account, &rt, &s.ids, now, ttl, rotation)
    else {
        return (invalid_grant(status), Some(tok.account));
    };
    let mut body = json!({ "accessToken": access, "expiresIn": expires_in, "profileArn": profile });
    if let (Some(r), Some(o)) = (new_rt, body.as_object_mut()) {
        o.insert("refreshToken".to_owned(), json!(r));
    }
    (Json(body).into_response(), Some(tok.account))
}

/// What a query value percent-encodes: all but RFC 3986's unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query value.
fn encode(v: &str) -> String {
    utf8_percent_encode(v, QUERY_VALUE).to_string()
}

fn bad_login(message: &'static str) -> Response {
    tag((StatusCode::BAD_REQUEST, message).into_response(), None)
}

/// `GET /login?idp=Google|Github&redirect_uri=…&code_challenge=…&code_challenge_method=S256&state=…`
/// plus simulator-only `account=<id>` (the account the sign-in creates) and `sim_error=<code>`
/// (the sign-in fails: the redirect carries `error=<code>` instead of a code, as when the user
/// cancels at the identity provider). Signs in at once — the simulator has no browser UI — and
/// redirects to `redirect_uri` with `code` and `state`, percent-encoded.
pub async fn login(
    State(s): State<Arc<Shared>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(redirect), Some(challenge)) = (get("redirect_uri"), get("code_challenge")) else {
        return bad_login("redirect_uri and code_challenge are required");
    };
    if get("code_challenge_method") != Some("S256") {
        return bad_login("code_challenge_method must be S256");
    }
    // An S256 challenge is the base64url SHA-256 of the verifier: 43 characters, no padding.
    if challenge.len() != 43
        || !challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return bad_login("code_challenge is not an S256 challenge (43 base64url characters)");
    }
    if !matches!(get("idp"), Some("Google" | "Github")) {
        return bad_login("idp must be Google or Github");
    }
    let Some(state) = get("state") else {
        return bad_login("state is required");
    };
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = if let Some(error) = get("sim_error") {
        format!(
            "{redirect}{sep}error={}&error_description={}&state={}",
            encode(error),
            encode("The sign-in was not completed"),
            encode(state)
        )
    } else {
        let code = s.ids.token("sim-code-", 32);
        s.reg().logins.insert(
            code.clone(),
            KiroLogin {
                challenge: challenge.to_owned(),
                redirect_uri: redirect.to_owned(),
                account: q.get("account").cloned(),
            },
        );
        format!(
            "{redirect}{sep}code={}&state={}",
            encode(&code),
            encode(state)
        )
    };
    tag(
        (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        None,
    )
}

/// `POST /oauth/token {"code","code_verifier","redirect_uri"}` (snake_case, §3).
pub async fn exchange(State(s): State<Arc<Shared>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (code, verifier, redirect) = (get("code"), get("code_verifier"), get("redirect_uri"));
    let now = s.clock.now_ms();
    let mut reg = s.reg();
    let Some(login) = reg.logins.remove(&code) else {
        return tag(
            oidc_error(
                400,
                "InvalidGrantException",
                "invalid_grant",
                "Invalid authorization code",
            ),
            None,
        );
    };
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if computed != login.challenge || redirect != login.redirect_uri {
        return tag(
            oidc_error(
                400,
                "InvalidGrantException",
                "invalid_grant",
                "PKCE verification failed",
            ),
            None,
        );
    }
    let spec = AccountSpec {
        id: login.account.unwrap_or_default(),
        kind: AuthKind::Social,
        ..AccountSpec::default()
    };
    let t = reg.add_account(&spec, &s.ids, now);
    let body = json!({ "accessToken": t.access_token, "refreshToken": t.refresh_token, "profileArn": t.profile_arn, "expiresIn": t.expires_in });
    tag(Json(body).into_response(), Some(t.account))
}
