//! AWS SSO OIDC client (spec §2): RegisterClient, StartDeviceAuthorization,
//! CreateToken (device code and refresh), and the device-login loop of §2.7.
//!
//! Hand-written over reqwest rather than `aws-sdk-ssooidc`: three unsigned
//! JSON POSTs, and it avoids a second TLS/HTTP stack (crates.md §3.2).
//! [`AuthError`] is shared with the Kiro refresh ([`crate::kiro_auth`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth_http::{expires_at, send_json};
use crate::http::{HttpClients, join};
use crate::types::{
    CreateTokenRequest, CreateTokenResponse, GRANT_DEVICE_CODE, GRANT_REFRESH_TOKEN,
    RegisterClientRequest, RegisterClientResponse, StartDeviceAuthorizationRequest,
    StartDeviceAuthorizationResponse,
};

pub use crate::auth_http::AuthError;
pub use crate::types::{BUILDER_ID_START_URL, Q_SCOPES};

/// Builder ID OIDC endpoint (us-east-1).
pub const DEFAULT_OIDC_ENDPOINT: &str = "https://oidc.us-east-1.amazonaws.com";
/// Client name Amazon Q registers with.
pub const Q_CLIENT_NAME: &str = "Amazon Q Developer for command line";

/// The OIDC endpoint of a region.
pub fn oidc_endpoint(region: &str) -> String {
    format!("https://oidc.{region}.amazonaws.com")
}

/// How often the device loop may restart with a fresh code or registration
/// before giving up (each restart needs the user again, so a few is plenty).
const MAX_RESTARTS: u32 = 3;

/// A cached client registration (§2.3): reuse until it expires.
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ClientRegistration {
    pub client_id: String,
    pub client_secret: String,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

crate::redact::redacted_debug!(ClientRegistration { client_id, expires_at, scopes } secret { client_secret });
crate::redact::redacted_debug!(TokenSet { expires_at } secret { access_token, refresh_token });

impl ClientRegistration {
    /// Usable at `now` for `scopes`: not within a minute of expiry, same scope set.
    pub fn is_usable(&self, now: DateTime<Utc>, scopes: &[&str]) -> bool {
        let mut mine: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let mut wanted = scopes.to_vec();
        mine.sort_unstable();
        wanted.sort_unstable();
        self.expires_at - chrono::Duration::seconds(60) > now && mine == wanted
    }
}

/// Tokens from CreateToken.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    /// After a refresh this is the rotated token, or the old one if none came back.
    pub refresh_token: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A started device authorization: show `user_code`, open `verification_uri_complete`.
pub type DeviceAuthorization = StartDeviceAuthorizationResponse;

/// Result of a device login: the registration actually used (persist it) and the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLogin {
    pub registration: ClientRegistration,
    pub token: TokenSet,
}

/// The OIDC client.
#[derive(Debug)]
pub struct OidcClient {
    base_url: String,
    http: HttpClients,
    request_timeout: Duration,
    time_unit: Duration,
    proxy: Option<String>,
}

impl OidcClient {
    /// A client for `base_url` (e.g. [`DEFAULT_OIDC_ENDPOINT`] or a simulator).
    pub fn new(base_url: impl Into<String>, connect_timeout: Duration) -> Result<Self, AuthError> {
        Ok(Self {
            base_url: base_url.into(),
            http: HttpClients::new(connect_timeout)?,
            request_timeout: Duration::from_secs(30),
            time_unit: Duration::from_secs(1),
            proxy: None,
        })
    }

    /// Whole-call timeout of each request (default 30 s).
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Length of one protocol "second" in the polling loop (`interval`,
    /// `expiresIn`, the +5 of slow_down). 1 s for real use; tests shrink it.
    #[must_use]
    pub fn with_time_unit(mut self, unit: Duration) -> Self {
        self.time_unit = unit;
        self
    }

    /// Sends every call through this proxy.
    #[must_use]
    pub fn with_proxy(mut self, proxy: Option<String>) -> Self {
        self.proxy = proxy;
        self
    }

    /// RegisterClient (public client, device flow).
    pub async fn register_client(
        &self,
        client_name: &str,
        scopes: &[&str],
    ) -> Result<ClientRegistration, AuthError> {
        let request = RegisterClientRequest {
            client_name: client_name.to_owned(),
            client_type: "public".to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        };
        let r: RegisterClientResponse = self.post("/client/register", &request).await?;
        let expires_at = DateTime::from_timestamp(r.client_secret_expires_at, 0)
            .ok_or_else(|| AuthError::Decode("clientSecretExpiresAt out of range".into()))?;
        Ok(ClientRegistration {
            client_id: r.client_id,
            client_secret: r.client_secret,
            expires_at,
            scopes: request.scopes,
        })
    }

    /// StartDeviceAuthorization.
    pub async fn start_device_authorization(
        &self,
        registration: &ClientRegistration,
        start_url: &str,
    ) -> Result<DeviceAuthorization, AuthError> {
        let request = StartDeviceAuthorizationRequest {
            client_id: registration.client_id.clone(),
            client_secret: registration.client_secret.clone(),
            start_url: start_url.to_owned(),
        };
        self.post("/device_authorization", &request).await
    }

    /// One CreateToken poll with the device code.
    pub async fn create_token_device(
        &self,
        registration: &ClientRegistration,
        device_code: &str,
    ) -> Result<TokenSet, AuthError> {
        self.create_token(registration, Grant::DeviceCode(device_code))
            .await
    }

    /// CreateToken with the refresh grant. A rotated refresh token replaces the
    /// old one; if none is returned the old one is kept (§2.5).
    pub async fn refresh(
        &self,
        registration: &ClientRegistration,
        refresh_token: &str,
    ) -> Result<TokenSet, AuthError> {
        self.create_token(registration, Grant::RefreshToken(refresh_token))
            .await
    }

    /// CreateToken: `registration` trades `grant` for tokens.
    async fn create_token(
        &self,
        registration: &ClientRegistration,
        grant: Grant<'_>,
    ) -> Result<TokenSet, AuthError> {
        let (grant_type, device_code, refresh_token) = match grant {
            Grant::DeviceCode(code) => (GRANT_DEVICE_CODE, Some(code), None),
            Grant::RefreshToken(token) => (GRANT_REFRESH_TOKEN, None, Some(token)),
        };
        let request = CreateTokenRequest {
            client_id: registration.client_id.clone(),
            client_secret: registration.client_secret.clone(),
            grant_type: grant_type.to_owned(),
            device_code: device_code.map(str::to_owned),
            refresh_token: refresh_token.map(str::to_owned),
            ..Default::default()
        };
        let r: CreateTokenResponse = self.post("/token", &request).await?;
        Ok(token_set(r, refresh_token))
    }

    /// The whole device login (§2.7): reuse `cached` if usable, else register;
    /// start an authorization and call `on_code` so the user can approve; poll
    /// every `interval` (+5 after each `slow_down`); on `expired_token` start a
    /// new authorization, on `invalid_client` register again, on
    /// `access_denied` stop. Gives up after the code's lifetime or
    /// three restarts.
    pub async fn device_login(
        &self,
        cached: Option<ClientRegistration>,
        client_name: &str,
        scopes: &[&str],
        start_url: &str,
        mut on_code: impl FnMut(&DeviceAuthorization),
    ) -> Result<DeviceLogin, AuthError> {
        let mut registration = cached.filter(|r| r.is_usable(Utc::now(), scopes));
        let mut restarts = 0;
        loop {
            let reg = match registration.take() {
                Some(r) => r,
                None => self.register_client(client_name, scopes).await?,
            };
            match self.authorize_and_poll(&reg, start_url, &mut on_code).await {
                Ok(token) => {
                    return Ok(DeviceLogin {
                        registration: reg,
                        token,
                    });
                }
                Err(Restart::NewCode) => registration = Some(reg),
                Err(Restart::Register) => registration = None,
                Err(Restart::Fail(e)) => return Err(e),
            }
            restarts += 1;
            if restarts > MAX_RESTARTS {
                return Err(AuthError::Expired);
            }
            tracing::info!(restarts, "device login restarting");
        }
    }

    async fn authorize_and_poll(
        &self,
        reg: &ClientRegistration,
        start_url: &str,
        on_code: &mut impl FnMut(&DeviceAuthorization),
    ) -> Result<TokenSet, Restart> {
        let auth = match self.start_device_authorization(reg, start_url).await {
            Ok(a) => a,
            Err(e) if e.code() == Some("invalid_client") => return Err(Restart::Register),
            Err(e) => return Err(Restart::Fail(e)),
        };
        on_code(&auth);
        let unit = self.time_unit;
        let mut wait = unit * u32::try_from(auth.interval.max(0)).unwrap_or(5);
        let deadline = tokio::time::Instant::now()
            + unit * u32::try_from(auth.expires_in.max(0)).unwrap_or(u32::MAX);
        loop {
            tokio::time::sleep(wait).await;
            if tokio::time::Instant::now() >= deadline {
                return Err(Restart::Fail(AuthError::Expired));
            }
            match self.create_token_device(reg, &auth.device_code).await {
                Ok(token) => return Ok(token),
                Err(e) => match e.code() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => wait += unit * 5,
                    Some("expired_token") => return Err(Restart::NewCode),
                    Some("access_denied") => return Err(Restart::Fail(AuthError::Denied)),
                    Some("invalid_client") => return Err(Restart::Register),
                    _ => return Err(Restart::Fail(e)),
                },
            }
        }
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AuthError> {
        let client = self.http.get(self.proxy.as_deref())?;
        let request = client.post(join(&self.base_url, path)).json(body).send();
        send_json(request, self.request_timeout).await
    }
}

/// What a CreateToken call trades for tokens.
enum Grant<'a> {
    /// An approved device authorization.
    DeviceCode(&'a str),
    /// A refresh token; it is kept when the answer rotates none in (§2.5).
    RefreshToken(&'a str),
}

enum Restart {
    NewCode,
    Register,
    Fail(AuthError),
}

fn token_set(r: CreateTokenResponse, old_refresh: Option<&str>) -> TokenSet {
    let refresh_token = r.grant.given_refresh_token().or(old_refresh);
    TokenSet {
        refresh_token: refresh_token.map(str::to_owned),
        expires_at: expires_at(r.grant.expires_in),
        access_token: r.grant.access_token,
    }
}
