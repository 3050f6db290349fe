//! Device login started from the admin API (spec §2.7; ADMIN_API.md `POST /v2/auth/start`,
//! `GET /v2/auth/status/:auth_id`).
//!
//! `start` registers an OIDC client and starts a device authorization right away (so the answer
//! carries the user code and link), then a background job polls CreateToken: every `interval`,
//! `+5` after each `slow_down`, until approval (→ the account is created and loaded), denial,
//! expiry of the code, or another error. Status is kept in memory for an hour after it settles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amazonq::oidc::{
    BUILDER_ID_START_URL, ClientRegistration, OidcClient, Q_CLIENT_NAME, Q_SCOPES,
};
use store::{AuthMethod, ClientRegistration as StoredClient, NewAccount, Secret};
use tokio::time::Instant;

use super::Inner;
use super::account_ops::{DeviceLoginRequest, DeviceLoginStart, DeviceLoginStatus};

/// How long a settled login's status stays readable.
const KEEP_SETTLED: Duration = Duration::from_hours(1);

#[derive(Debug, Clone)]
struct Entry {
    status: DeviceLoginStatus,
    settled_at: Option<Instant>,
}

/// Device logins in progress or recently settled, by auth id.
#[derive(Default)]
pub(crate) struct Devices {
    map: Mutex<HashMap<String, Entry>>,
}

impl Devices {
    fn set(&self, id: &str, status: &str, account_id: Option<String>, error: Option<String>) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, e| {
            e.settled_at
                .is_none_or(|t| now.duration_since(t) < KEEP_SETTLED)
        });
        map.insert(
            id.to_owned(),
            Entry {
                status: DeviceLoginStatus {
                    status: status.to_owned(),
                    account_id,
                    error,
                },
                settled_at: (status != "pending").then_some(now),
            },
        );
    }

    pub fn get(&self, id: &str) -> Option<DeviceLoginStatus> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .map(|e| e.status.clone())
    }
}

/// What failed in `start`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StartError(pub String);

struct Poll {
    auth_id: String,
    client: Arc<OidcClient>,
    registration: ClientRegistration,
    device_code: String,
    interval: i64,
    expires_in: i64,
    region: String,
    start_url: Option<String>,
}

impl Inner {
    pub(crate) async fn start_device_login(
        &self,
        req: DeviceLoginRequest,
    ) -> Result<DeviceLoginStart, StartError> {
        let region = req
            .region
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| store::DEFAULT_REGION.to_owned());
        let start_url = req.start_url.filter(|u| !u.is_empty());
        let client = self
            .upstream
            .oidc(&region, self.upstream_proxy())
            .map_err(|e| StartError(e.to_string()))?;
        let registration = client
            .register_client(Q_CLIENT_NAME, &Q_SCOPES)
            .await
            .map_err(|e| StartError(format!("OIDC client registration failed: {e}")))?;
        let auth = client
            .start_device_authorization(
                &registration,
                start_url.as_deref().unwrap_or(BUILDER_ID_START_URL),
            )
            .await
            .map_err(|e| StartError(format!("device authorization failed: {e}")))?;
        let auth_id = uuid::Uuid::new_v4().to_string();
        self.devices.set(&auth_id, "pending", None, None);
        let Some(inner) = self.self_arc() else {
            return Err(StartError("account pool is shutting down".into()));
        };
        let poll = Poll {
            auth_id: auth_id.clone(),
            client,
            registration,
            device_code: auth.device_code.clone(),
            interval: auth.interval,
            expires_in: auth.expires_in,
            region,
            start_url,
        };
        self.jobs
            .submit(async move { inner.poll_device(poll).await });
        Ok(DeviceLoginStart {
            auth_id,
            user_code: auth.user_code,
            verification_uri: auth.verification_uri,
            verification_uri_complete: auth.verification_uri_complete,
            expires_in: auth.expires_in.max(0) as u64,
            interval: auth.interval.max(0) as u64,
        })
    }

    pub(crate) fn device_login_status(&self, auth_id: &str) -> Option<DeviceLoginStatus> {
        self.devices.get(auth_id)
    }

    fn upstream_proxy(&self) -> Option<String> {
        self.upstream.default_proxy()
    }

    async fn poll_device(&self, p: Poll) {
        let (status, account_id, error) = self.settle_device(&p).await;
        self.devices.set(&p.auth_id, status, account_id, error);
    }

    /// Polls the OIDC service until the device login settles: its status, and the created
    /// account or the failure text.
    async fn settle_device(&self, p: &Poll) -> (&'static str, Option<String>, Option<String>) {
        let expired = || ("expired", None, Some("the device code expired".to_owned()));
        let unit = super::config::ms(self.cfg.device_time_unit_ms.max(1));
        let mut wait = unit * u32::try_from(p.interval.max(1)).unwrap_or(5);
        let deadline =
            Instant::now() + unit * u32::try_from(p.expires_in.max(0)).unwrap_or(u32::MAX);
        loop {
            tokio::time::sleep(wait).await;
            if Instant::now() >= deadline {
                return expired();
            }
            match p
                .client
                .create_token_device(&p.registration, &p.device_code)
                .await
            {
                Ok(token) => {
                    return match self.create_device_account(p, token).await {
                        Ok(id) => ("completed", Some(id), None),
                        Err(e) => ("error", None, Some(e)),
                    };
                }
                Err(e) => match e.code() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => wait += unit * 5,
                    Some("expired_token") => return expired(),
                    Some("access_denied") => {
                        let denied = "the user denied the authorization".to_owned();
                        return ("denied", None, Some(denied));
                    }
                    _ => return ("error", None, Some(e.to_string())),
                },
            }
        }
    }

    async fn create_device_account(
        &self,
        p: &Poll,
        token: amazonq::oidc::TokenSet,
    ) -> Result<String, String> {
        let refresh = token
            .refresh_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| "the OIDC service returned no refresh token".to_owned())?;
        let builder_id = p
            .start_url
            .as_deref()
            .is_none_or(|u| u == BUILDER_ID_START_URL);
        let mut new = NewAccount::new(
            if builder_id {
                AuthMethod::BuilderId
            } else {
                AuthMethod::Idc
            },
            Secret::new(refresh),
        );
        new.settings.label = format!(
            "device login {}",
            chrono::Utc::now().format("%Y-%m-%d %H:%M")
        );
        new.settings.oidc_region.clone_from(&p.region);
        new.settings.start_url.clone_from(&p.start_url);
        new.credentials.client = Some(StoredClient {
            client_id: p.registration.client_id.clone(),
            client_secret: Secret::new(p.registration.client_secret.clone()),
            expires_at: Some(p.registration.expires_at),
        });
        if !builder_id {
            // IAM Identity Center: chat needs the profile ARN, whose region is the API region.
            if let Some(arn) = self.discover_profile(&token.access_token).await {
                if let Some(region) = amazonq::types::arn_region(&arn) {
                    region.clone_into(&mut new.settings.api_region);
                }
                new.settings.profile_arn = Some(arn);
            }
        }
        new.credentials.access_token = Some(Secret::new(token.access_token));
        new.credentials.expires_at = Some(token.expires_at);
        let account = self
            .store
            .create_account(new)
            .await
            .map_err(|e| e.to_string())?;
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "pool reload after device login failed");
        }
        if let Some(slot) = self.slot(&account.id) {
            let _ = self.fetch_models(&slot).await;
            let _ = self.fetch_quota(&slot).await;
        }
        tracing::info!(account = %account.id, "device login completed");
        Ok(account.id)
    }
}
