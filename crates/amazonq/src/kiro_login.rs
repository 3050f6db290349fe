//! Kiro GitHub / Google sign-in (amazon-q-protocol.md §3 "Login (browser)" and "Exchange"):
//! the `/login` address the user opens, the callback the browser is sent to
//! (`kiro://kiro.kiroAgent/authenticate-success?code=…&state=…`, or `?error=…`), and
//! `POST /oauth/token {"code","code_verifier","redirect_uri"}` (snake_case) →
//! `{"accessToken","refreshToken","profileArn","expiresIn"}`.
//!
//! PKCE values and `state` are made and kept by the caller; this module only speaks the wire.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth_http::{AuthError, expires_at, send_json};
use crate::http::{HttpClients, join};
use crate::kiro_auth::{KiroTokenSet, kiro_post};
use crate::types::KiroRefreshResponse;

/// Where Kiro's sign-in sends the browser; the code exchange must name the same address.
pub const KIRO_REDIRECT_URI: &str = "kiro://kiro.kiroAgent/authenticate-success";

/// Identity providers of the Kiro sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum SocialProvider {
    /// Sign in with GitHub (`idp=Github`).
    Github,
    /// Sign in with Google (`idp=Google`).
    Google,
}

impl SocialProvider {
    /// The `idp` value of the login address.
    pub fn idp(self) -> &'static str {
        match self {
            Self::Github => "Github",
            Self::Google => "Google",
        }
    }

    /// Name for people (labels, messages).
    pub fn display(self) -> &'static str {
        match self {
            Self::Github => "GitHub",
            Self::Google => "Google",
        }
    }
}

/// The browser address that starts a sign-in (`code_challenge` is the S256 challenge).
pub fn login_url(base_url: &str, provider: SocialProvider, challenge: &str, state: &str) -> String {
    // A base URL that does not parse cannot be reached either; keep the plain join so the
    // operator sees the address they configured.
    let Ok(mut url) = reqwest::Url::parse(&join(base_url, "/login")) else {
        return join(base_url, "/login");
    };
    url.query_pairs_mut()
        .append_pair("idp", provider.idp())
        .append_pair("redirect_uri", KIRO_REDIRECT_URI)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", state);
    url.into()
}

/// What the callback address carried.
#[derive(Clone, PartialEq, Eq)]
pub enum Callback {
    /// Signed in: the authorization code and the echoed state.
    Code { code: String, state: String },
    /// The sign-in page reported a failure (`error`, `error_description`), with its state if any.
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

// The code is a one-time secret: never print it.
impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code { state, .. } => f
                .debug_struct("Code")
                .field("code", &"***")
                .field("state", state)
                .finish(),
            Self::Error {
                error,
                description,
                state,
            } => f
                .debug_struct("Error")
                .field("error", error)
                .field("description", description)
                .field("state", state)
                .finish(),
        }
    }
}

/// Why a pasted callback address was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// No `?query` at all.
    #[error("the address has no query (expected kiro://…?code=…&state=…)")]
    NoQuery,
    /// A query without `code` or without `state`, and no `error`.
    #[error("the address carries no {0} (expected kiro://…?code=…&state=…)")]
    Missing(&'static str),
}

/// Reads the callback address the browser shows (or complains it cannot open). Accepts the whole
/// `kiro://…` address or anything ending in its `?query`; a `#fragment` is ignored.
pub fn parse_callback(address: &str) -> Result<Callback, CallbackError> {
    let address = address.trim();
    let query = address
        .split_once('?')
        .map(|(_, q)| q.split_once('#').map_or(q, |(q, _)| q))
        .filter(|q| !q.is_empty())
        .ok_or(CallbackError::NoQuery)?;
    let url = reqwest::Url::parse(&format!("http://callback.invalid/?{query}"))
        .map_err(|_| CallbackError::NoQuery)?;
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url.query_pairs() {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_description" => &mut description,
            _ => continue,
        };
        if slot.is_none() && !v.is_empty() {
            *slot = Some(v.into_owned());
        }
    }
    if let Some(error) = error {
        return Ok(Callback::Error {
            error,
            description,
            state,
        });
    }
    let code = code.ok_or(CallbackError::Missing("code"))?;
    let state = state.ok_or(CallbackError::Missing("state"))?;
    Ok(Callback::Code { code, state })
}

/// `POST /oauth/token` body (snake_case on this endpoint, unlike `/refreshToken`).
#[derive(Serialize)]
struct ExchangeRequest<'a> {
    code: &'a str,
    code_verifier: &'a str,
    redirect_uri: &'a str,
}

/// Client of the sign-in endpoints of one Kiro auth host.
#[derive(Debug)]
pub struct KiroLoginClient {
    base_url: String,
    http: HttpClients,
    request_timeout: Duration,
}

impl KiroLoginClient {
    /// A client for `base_url` (`https://prod.<region>.auth.desktop.kiro.dev` or a simulator).
    pub fn new(base_url: impl Into<String>, connect_timeout: Duration) -> Result<Self, AuthError> {
        Ok(Self {
            base_url: base_url.into(),
            http: HttpClients::new(connect_timeout)?,
            request_timeout: Duration::from_secs(30),
        })
    }

    /// Whole-call timeout (default 30 s).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The address the user opens.
    pub fn login_url(&self, provider: SocialProvider, challenge: &str, state: &str) -> String {
        login_url(&self.base_url, provider, challenge, state)
    }

    /// Trades the authorization code for tokens. A missing refresh token is a decode error: an
    /// account without one could never be refreshed.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        proxy: Option<&str>,
    ) -> Result<KiroTokenSet, AuthError> {
        let request = kiro_post(&self.http, proxy, &self.base_url, "/oauth/token")?
            .json(&ExchangeRequest {
                code,
                code_verifier: verifier,
                redirect_uri: KIRO_REDIRECT_URI,
            })
            .send();
        let r: KiroRefreshResponse = send_json(request, self.request_timeout).await?;
        let refresh_token = r
            .grant
            .given_refresh_token()
            .ok_or_else(|| AuthError::Decode("the answer has no refreshToken".into()))?
            .to_owned();
        Ok(KiroTokenSet {
            refresh_token,
            expires_at: expires_at(r.grant.expires_in),
            access_token: r.grant.access_token,
            profile_arn: r.profile_arn.filter(|a| !a.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_address_carries_the_pkce_parameters() {
        let url = login_url(
            "https://prod.us-east-1.auth.desktop.kiro.dev",
            SocialProvider::Github,
            "abc-_",
            "st 1",
        );
        assert_eq!(
            url,
            "https://prod.us-east-1.auth.desktop.kiro.dev/login?idp=Github&redirect_uri=kiro%3A%2F%2Fkiro.kiroAgent%2Fauthenticate-success&code_challenge=abc-_&code_challenge_method=S256&state=st+1"
        );
    }

    #[test]
    fn callbacks_parse() {
        assert_eq!(
            parse_callback(" kiro://kiro.kiroAgent/authenticate-success?code=c%201&state=s#x ")
                .unwrap(),
            Callback::Code {
                code: "c 1".into(),
                state: "s".into()
            }
        );
        assert_eq!(
            parse_callback("?error=access_denied&error_description=no&state=s").unwrap(),
            Callback::Error {
                error: "access_denied".into(),
                description: Some("no".into()),
                state: Some("s".into())
            }
        );
        assert_eq!(
            parse_callback("kiro://kiro.kiroAgent/authenticate-success"),
            Err(CallbackError::NoQuery)
        );
        assert_eq!(
            parse_callback("kiro://x?state=s"),
            Err(CallbackError::Missing("code"))
        );
        assert_eq!(
            parse_callback("kiro://x?code=c"),
            Err(CallbackError::Missing("state"))
        );
        let dbg = format!(
            "{:?}",
            parse_callback("kiro://x?code=secret&state=s").unwrap()
        );
        assert!(!dbg.contains("secret"), "{dbg}");
    }
}
