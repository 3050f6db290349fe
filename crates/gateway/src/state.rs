//! Shared application state and the seams other parts plug into.
//!
//! - [`AppState`]: config by value, the store, hot-swapped snapshots (settings, key ring,
//!   blocklist) read lock-free by the guards, the limiter/notifier seams (in-memory now; Redis
//!   implementations slot in when `redis.url` is set, issue 8), and [`AccountOps`].
//! - [`AccountOps`]: the upstream-facing account operations the admin API needs (refresh, usage,
//!   device login, Kiro GitHub / Google sign-in, background validation). The account pool
//!   (`pool::Pool`) implements it;
//!   embedders and tests may substitute their own through `Extensions::account_ops`.
//! - [`ChangeNotifier`]: "something the admin API edits has changed" — reloaded locally at once and
//!   published so other instances (and the pool) reload too.

use std::sync::Arc;

use arc_swap::ArcSwap;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::auth::LoginLockout;
use crate::config::Config;
use crate::error::Error;
use crate::guard::limiter::{ConcurrencyLimiter, RateLimiter};
use crate::guard::{Blocklist, KeyEntry, KeyRing};
use crate::tasks::Supervisor;

/// What changed (published on [`ChangeNotifier`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Runtime settings.
    Settings,
    /// API keys.
    Keys,
    /// IP blocklist.
    Blocklist,
    /// Accounts (created, edited, deleted).
    Accounts,
}

/// Fan-out of [`Change`] events (in-process broadcast now; Redis pub/sub in fleet mode).
pub trait ChangeNotifier: Send + Sync {
    /// Announces a change to every subscriber (including other instances).
    fn publish(&self, change: Change);
    /// A new subscription.
    fn subscribe(&self) -> broadcast::Receiver<Change>;
}

/// In-process notifier.
pub struct MemoryNotifier {
    tx: broadcast::Sender<Change>,
}

impl Default for MemoryNotifier {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(64).0,
        }
    }
}

impl ChangeNotifier for MemoryNotifier {
    fn publish(&self, change: Change) {
        // No subscriber is fine: nobody needs to hear it.
        let _ = self.tx.send(change);
    }
    fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

/// `POST /v2/auth/start` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct DeviceLoginRequest {
    /// OIDC region (default us-east-1).
    pub region: Option<String>,
    /// IAM Identity Center start URL (absent = Builder ID).
    pub start_url: Option<String>,
}

/// `POST /v2/auth/start` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct DeviceLoginStart {
    /// Id to poll with `GET /v2/auth/status/:auth_id`.
    pub auth_id: String,
    /// Code the user confirms.
    pub user_code: String,
    /// Page where the user signs in.
    pub verification_uri: String,
    /// The same page with the code filled in.
    pub verification_uri_complete: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Poll interval in seconds.
    pub interval: u64,
}

/// One IAM Identity Center profile an account may use (`GET /v2/accounts/:id/profiles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccountProfile {
    pub arn: String,
    /// `profileName`, when the service gives one.
    pub name: Option<String>,
    /// The region in the ARN (the account's API region once picked).
    pub region: Option<String>,
    /// The profile the account uses now.
    pub selected: bool,
}

/// `GET /v2/auth/status/:auth_id` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct DeviceLoginStatus {
    /// `pending`, `completed`, `expired`, `denied` or `error`.
    pub status: String,
    /// The created account once completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub account_id: Option<String>,
    /// Failure text.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
}

/// `POST /v2/auth/social/start` body (Kiro GitHub / Google sign-in, issue 21).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(ts_rs::TS)]
#[ts(optional_fields)]
pub struct SocialLoginRequest {
    /// `github` or `google`.
    pub provider: amazonq::kiro_login::SocialProvider,
    /// Region of the Kiro sign-in host (default us-east-1).
    pub region: Option<String>,
    /// Label of the account to create (default `Kiro <provider> <date>`).
    pub label: Option<String>,
}

/// `POST /v2/auth/social/start` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct SocialLoginStart {
    /// Id to finish the sign-in with.
    pub login_id: String,
    /// The address the user opens.
    pub url: String,
    /// When the login id stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /v2/auth/social/finish` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialLoginFinish {
    /// From the start answer.
    pub login_id: String,
    /// The `kiro://…?code=…&state=…` address the browser was sent to.
    pub callback_url: String,
}

/// Upstream-facing account operations used by the admin API; implemented by the account pool.
pub trait AccountOps: Send + Sync {
    /// Forces a token refresh of account `id` now; returns the updated account.
    fn refresh<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Fetches the quota of account `id`; returns the updated account.
    fn fetch_usage<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Starts an OIDC device authorization.
    fn start_device_login(
        &self,
        req: DeviceLoginRequest,
    ) -> BoxFuture<'_, Result<DeviceLoginStart, Error>>;
    /// State of a device authorization started earlier.
    fn device_login_status<'a>(
        &'a self,
        auth_id: &'a str,
    ) -> BoxFuture<'a, Result<DeviceLoginStatus, Error>>;
    /// Starts a Kiro GitHub / Google sign-in bound to the admin session `session` (a hash of
    /// its token).
    fn start_social_login<'a>(
        &'a self,
        req: SocialLoginRequest,
        session: &'a str,
    ) -> BoxFuture<'a, Result<SocialLoginStart, Error>>;
    /// Finishes a sign-in started by the same session: exchanges the code, stores and
    /// validates the account. Nothing is stored on failure.
    fn finish_social_login<'a>(
        &'a self,
        req: SocialLoginFinish,
        session: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// Newly stored accounts (feed/import): validate them in the background (e.g. one refresh
    /// each). Must return quickly.
    fn validate_new(&self, ids: Vec<String>);
    /// The IAM Identity Center profiles account `id` can use (asked upstream now).
    fn list_profiles<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<AccountProfile>, Error>>;
    /// Makes `arn` (one of [`Self::list_profiles`]) the profile of account `id`.
    fn pick_profile<'a>(
        &'a self,
        id: &'a str,
        arn: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>>;
    /// The host the account's calls go to now (`runtime` or `legacy_q`), if this instance
    /// holds the account.
    fn upstream_host(&self, id: &str) -> Option<&'static str>;
}

/// Everything handlers and guards share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Bootstrap configuration.
    pub config: Arc<Config>,
    /// Persistence.
    pub store: store::Store,
    /// Runtime settings snapshot.
    pub settings: Arc<ArcSwap<store::Settings>>,
    /// API key snapshot.
    pub keyring: Arc<ArcSwap<KeyRing>>,
    /// IP blocklist snapshot.
    pub blocklist: Arc<ArcSwap<Blocklist>>,
    /// Rate-limit counters (memory or Redis).
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Concurrency slots (memory or Redis).
    pub concurrency: Arc<dyn ConcurrencyLimiter>,
    /// Change fan-out (memory or Redis).
    pub notifier: Arc<dyn ChangeNotifier>,
    /// Upstream account operations (the pool, unless replaced through `Extensions`).
    pub account_ops: Arc<dyn AccountOps>,
    /// The upstream account pool used by the `/v1` handlers.
    pub pool: crate::pool::Pool,
    /// Admin login failure tracking.
    pub lockout: Arc<LoginLockout>,
    /// Request-log queue (the chat handlers send rows here; never blocks).
    pub log_sender: store::LogSender,
    /// Background tasks.
    pub supervisor: Supervisor,
    /// Upstream model ids recently refused (same-family fallback, `api::chat::fallback`).
    pub model_refusals: Arc<crate::api::chat::fallback::ModelRefusals>,
    /// The alias table from `models.*`, built once at start-up (`config` never changes at run time).
    pub models: Arc<translate::models::ModelTable>,
}

impl AppState {
    /// Reloads the snapshot for `change` from the store now and tells everyone else.
    pub async fn changed(&self, change: Change) -> Result<(), Error> {
        self.reload(change).await?;
        self.notifier.publish(change);
        Ok(())
    }

    /// Reloads the snapshot for `change` from the store.
    pub async fn reload(&self, change: Change) -> Result<(), Error> {
        match change {
            Change::Settings | Change::Keys => {
                let settings = self.store.settings().await?;
                let keys = self.store.list_api_keys().await?;
                let hashes = self.store.api_key_hashes().await?;
                let ring =
                    KeyRing::new(keys.iter().map(KeyEntry::from).collect(), &settings.api_key)
                        .with_digests(&hashes);
                crate::log_level::apply(settings.debug_log);
                self.settings.store(Arc::new(settings));
                self.keyring.store(Arc::new(ring));
            }
            Change::Blocklist => {
                let now = chrono::Utc::now();
                let rows = self.store.list_blocked_ips(Some(now)).await?;
                let list = Blocklist::new(
                    rows.into_iter()
                        .map(|b| (b.ip, b.expires_at.map(|t| t.timestamp_millis()))),
                );
                self.blocklist.store(Arc::new(list));
            }
            Change::Accounts => {}
        }
        Ok(())
    }

    /// Reloads every snapshot (start-up and the periodic safety net).
    pub async fn reload_all(&self) -> Result<(), Error> {
        self.reload(Change::Settings).await?;
        self.reload(Change::Blocklist).await
    }

    /// True until the seed admin password has been changed.
    pub fn must_change_password(&self) -> bool {
        self.settings.load().admin_password_hash.is_none()
    }
}
