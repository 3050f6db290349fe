//! The application state: what `serve` builds once and every request reads (issue 19).
//!
//! [`AppState`] is one `Arc` around [`Inner`]: cloning it per middleware layer and per handler
//! costs one reference count, not one per field. Parts that read a narrow slice take a sub-state
//! through axum's `FromRef`, so each one states what it reads:
//! - [`Guards`] (the address screen and the `/v1` guard stack: snapshots, limiters, refusal log);
//! - [`ChatState`] (the `/v1` chat, Responses and model-list handlers);
//! - [`store::Store`] (the admin session and audit middlewares, `/healthz`);
//! - the admin handlers read most of [`Inner`] and take the whole `AppState`.
//!
//! This module composes the floors below it (`config`, `change`, `limits`, `pool`, `guard`,
//! `auth`, `tasks`) and none of them imports it; `api` and `lib.rs` sit above it.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::extract::FromRef;
use translate::models::ModelTable;

use crate::auth::LoginLockout;
use crate::change::{Change, ChangeNotifier};
use crate::config::{Config, ImagesConfig};
use crate::error::Error;
use crate::guard::{Blocklist, Guards, KeyEntry, KeyRing};
use crate::limits::ConcurrencyLimiter;
use crate::pool::{AccountOps, ModelRefusals, Pool};
use crate::tasks::Supervisor;

/// Everything handlers and guards share: one `Arc`, cheap to clone (module docs).
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// Bootstrap configuration.
    pub config: Arc<Config>,
    /// Persistence.
    pub store: store::Store,
    /// Runtime settings snapshot (shared with [`Guards`] and [`ChatState`]).
    pub settings: Arc<ArcSwap<store::Settings>>,
    /// What the guards read (also the key ring and blocklist snapshots).
    pub guards: Arc<Guards>,
    /// What the chat handlers read.
    pub chat: Arc<ChatState>,
    /// Concurrency slots (memory or Redis); the admin API reads accounts' in-flight counts.
    pub concurrency: Arc<dyn ConcurrencyLimiter>,
    /// Change fan-out (memory or Redis).
    pub notifier: Arc<dyn ChangeNotifier>,
    /// Upstream account operations (the pool, unless replaced through `Extensions`).
    pub account_ops: Arc<dyn AccountOps>,
    /// The upstream account pool.
    pub pool: Pool,
    /// Admin login failure tracking.
    pub lockout: Arc<LoginLockout>,
    /// Request-log queue (never blocks).
    pub log_sender: store::LogSender,
    /// Background tasks.
    pub supervisor: Supervisor,
    /// Serializes [`AppState::reload`]: each reload reads the store, then swaps its snapshot in,
    /// so without it a reload that read earlier (the periodic safety net, a fan-out listener) could
    /// swap its older snapshot in after a newer one — a key created a moment ago unknown again, a
    /// deleted one back. Seen as flaky guard tests under load.
    pub reload_lock: tokio::sync::Mutex<()>,
}

/// What the `/v1` chat, Responses and model-list handlers read (`api::chat`).
pub struct ChatState {
    /// The upstream account pool (and its live model catalog).
    pub pool: Pool,
    /// Stored Responses API answers, and the cipher sealing reasoning.
    pub store: store::Store,
    /// Runtime settings (`enableRequestLog`, `debugLog`).
    pub settings: Arc<ArcSwap<store::Settings>>,
    /// Request-log queue.
    pub log_sender: store::LogSender,
    /// The alias table from `models.*`, built once at start-up (`config` never changes at run
    /// time; rebuilding it per request cloned every row).
    pub models: ModelTable,
    /// Upstream model ids recently refused (same-family fallback).
    pub refusals: ModelRefusals,
    /// `images.*`: remote images in client requests.
    pub images: ImagesConfig,
    /// `stream.keepalive_ms`, at least 1 ms.
    pub keepalive: Duration,
    /// Whether Responses API answers are stored at all (`responses.store_max_count` > 0).
    pub keep_responses: bool,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl FromRef<AppState> for Arc<Guards> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.guards)
    }
}

impl FromRef<AppState> for Arc<ChatState> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.chat)
    }
}

impl FromRef<AppState> for store::Store {
    fn from_ref(state: &AppState) -> Self {
        state.store.clone()
    }
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
        let _serial = self.reload_lock.lock().await;
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
                self.guards.keyring.store(Arc::new(ring));
            }
            Change::Blocklist => {
                let now = chrono::Utc::now();
                let rows = self.store.list_blocked_ips(Some(now)).await?;
                let list = Blocklist::new(
                    rows.into_iter()
                        .map(|b| (b.ip, b.expires_at.map(|t| t.timestamp_millis()))),
                );
                self.guards.blocklist.store(Arc::new(list));
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
