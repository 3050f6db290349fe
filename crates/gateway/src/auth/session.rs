//! Admin sessions (shared/ADMIN_API.md §Session): a random token returned by `POST /v2/login` and
//! set as an HttpOnly, SameSite=Strict cookie; the store keeps only its SHA-256. Sessions expire
//! (`security.session_ttl_hours`) and are revoked by logout or a password change.
//!
//! [`require_admin`] guards every `/v2` route except login: `Authorization: Bearer <token>` or the
//! cookie. Cookie-authenticated state-changing requests must carry
//! `X-Requested-With: XMLHttpRequest` — a cross-site form cannot set that header, so this closes
//! CSRF even for browsers that ignore SameSite.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

use super::audit::AuditActor;
use crate::error::Error;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "claude_api_session";

/// The authenticated admin (request extension).
#[derive(Debug, Clone)]
pub struct AdminCtx {
    /// The raw session token (for logout / password change).
    pub token: String,
    /// True when the token came from the cookie.
    pub via_cookie: bool,
}

impl AdminCtx {
    /// Audit identity: `admin` plus a short, non-secret session tag.
    pub fn actor(&self) -> String {
        let hash = store::hash_secret(&self.token);
        format!("admin#{}", &hash[..8])
    }
}

/// A fresh 256-bit session token (base64url).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `Set-Cookie` value for a session token (`max_age` seconds; 0 clears it). `secure` adds
/// `Secure` (the client reached us over HTTPS through a trusted proxy).
pub fn cookie(token: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")
}

/// The session token from the bearer header, else the cookie; the flag tells which.
pub fn token_from(headers: &HeaderMap) -> Option<(String, bool)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(t) = bearer {
        return Some((t.to_string(), false));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE_NAME && !value.is_empty())
        .map(|(_, value)| (value.to_string(), true))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware: 401 without a valid session; 403 `csrf_required` for cookie writes without the
/// `X-Requested-With` header. Inserts [`AdminCtx`].
pub async fn require_admin(
    State(store): State<store::Store>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some((token, via_cookie)) = token_from(req.headers()) else {
        return Error::Unauthorized("not logged in".into()).into_response();
    };
    match store.validate_session(&token, chrono::Utc::now()).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Error::Unauthorized("session expired or revoked".into()).into_response();
        }
        Err(e) => return Error::from(e).into_response(),
    }
    let xhr = req
        .headers()
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("XMLHttpRequest"));
    if via_cookie && is_state_changing(req.method()) && !xhr {
        return Error::Forbidden {
            code: "csrf_required",
            message: "cookie-authenticated requests that change state must send \
                      `X-Requested-With: XMLHttpRequest`"
                .into(),
        }
        .into_response();
    }
    let ctx = AdminCtx { token, via_cookie };
    let actor = AuditActor(ctx.actor());
    req.extensions_mut().insert(ctx);
    let mut response = next.run(req).await;
    response.extensions_mut().insert(actor);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_sources() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            format!("a=b; {COOKIE_NAME}=tok1").parse().unwrap(),
        );
        assert_eq!(token_from(&h), Some(("tok1".into(), true)));
        h.insert(header::AUTHORIZATION, "Bearer tok2".parse().unwrap());
        assert_eq!(token_from(&h), Some(("tok2".into(), false)));
        assert_eq!(token_from(&HeaderMap::new()), None);
    }

    #[test]
    fn tokens_are_random_and_cookie_is_strict() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 43);
        let c = cookie("t", 60, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && !c.contains("Secure"));
        assert!(cookie("t", 60, true).ends_with("; Secure"));
    }
}
