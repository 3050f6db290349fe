//! One account as the pool holds it in memory: its settings ([`Info`], replaced on edits), its
//! current tokens ([`Token`], swapped atomically after each persisted refresh), its health and
//! the counters flushed to the store in batches.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use amazonq::client::Host;
use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use store::{Account, AccountStatus, AuthMethod};
use tokio::time::Instant;
use translate::models::{Catalog, CatalogModel};

/// Account settings (from the store; replaced when the operator edits the account).
#[derive(Debug, Clone)]
pub(crate) struct Info {
    pub label: String,
    pub auth_method: AuthMethod,
    pub oidc_region: String,
    pub api_region: String,
    pub proxy_url: Option<String>,
    pub weight: u32,
    pub max_concurrency: u32,
    /// The account's model catalog (ListAvailableModels: ids, token limits, native effort
    /// schema), when known. Restored from the store as ids only; the quota job fills in the rest.
    pub models: Option<Arc<Catalog>>,
}

/// An OIDC client registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client {
    pub id: String,
    pub secret: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Credentials in use.
#[expect(
    clippy::struct_field_names,
    reason = "the wire names of the two tokens"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub access_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub refresh_token: String,
    pub client: Option<Client>,
    pub profile_arn: Option<String>,
    /// When this pair came from a refresh (`last_refresh_at` in the store), if known.
    pub refreshed_at: Option<DateTime<Utc>>,
}

impl Token {
    /// Usable until at least `now + margin`.
    pub fn fresh_for(&self, margin: chrono::Duration) -> bool {
        self.access_token.as_deref().is_some_and(|t| !t.is_empty())
            && self.expires_at.is_some_and(|e| e > Utc::now() + margin)
    }
}

/// Health as the pool tracks it.
#[derive(Debug, Clone)]
pub(crate) struct Health {
    pub status: AccountStatus,
    pub reason: Option<String>,
    /// Consecutive throttles (cooldown exponent).
    pub throttle_streak: u32,
    /// Background refresh paused until then after a failed (non-fatal) refresh.
    pub refresh_paused_until: Option<Instant>,
    /// Quota reset moment while exhausted.
    pub exhausted_until: Option<DateTime<Utc>>,
}

/// One account.
pub(crate) struct Slot {
    pub id: String,
    pub info: ArcSwap<Info>,
    pub token: ArcSwap<Token>,
    health: Mutex<Health>,
    /// Successes / errors not yet written to the store.
    pub ok_pending: AtomicU64,
    pub err_pending: AtomicU64,
    /// Last request start (epoch ms, 0 = never) not yet written to the store.
    pub last_used_ms: AtomicI64,
    /// The token in memory is newer than the stored one (its write failed): the next refresh
    /// writes unconditionally instead of comparing with the older stored refresh token.
    pub unpersisted: AtomicBool,
    /// When the account fell back to the legacy `q.*` host (epoch ms; 0 = on the new hosts).
    legacy_since_ms: AtomicI64,
}

/// How long an account stays on the legacy host before it tries the new hosts again.
pub(crate) const LEGACY_STAY_MS: i64 = 30 * 60 * 1000;

impl Slot {
    pub fn from_account(a: &Account) -> Self {
        Self {
            id: a.id.clone(),
            info: ArcSwap::from_pointee(info_of(a)),
            token: ArcSwap::from_pointee(token_of(a)),
            health: Mutex::new(Health {
                status: a.status,
                reason: a.status_reason.clone(),
                throttle_streak: 0,
                refresh_paused_until: None,
                exhausted_until: a.quota.as_ref().and_then(|q| q.resets_at),
            }),
            ok_pending: AtomicU64::new(0),
            err_pending: AtomicU64::new(0),
            last_used_ms: AtomicI64::new(0),
            unpersisted: AtomicBool::new(false),
            legacy_since_ms: AtomicI64::new(0),
        }
    }

    /// The host the account's calls go to: the legacy host for [`LEGACY_STAY_MS`] after a
    /// fallback, the new hosts otherwise (kiro-2026-endpoints.md §1: `q.*` is only a fallback).
    pub fn host(&self) -> Host {
        let since = self.legacy_since_ms.load(Ordering::Relaxed);
        if since != 0 && Utc::now().timestamp_millis() - since < LEGACY_STAY_MS {
            Host::LegacyQ
        } else {
            Host::Runtime
        }
    }

    /// Moves the account to `host`.
    pub fn set_host(&self, host: Host) {
        let since = match host {
            Host::Runtime => 0,
            Host::LegacyQ => Utc::now().timestamp_millis().max(1),
        };
        self.legacy_since_ms.store(since, Ordering::Relaxed);
    }

    /// A copy of the health record.
    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Edits the health record under its lock (never held across I/O).
    pub fn with_health<R>(&self, f: impl FnOnce(&mut Health) -> R) -> R {
        f(&mut self.health.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Whether the model may be sent to this account (unknown entitlement = yes).
    pub fn entitled(&self, model: &str) -> bool {
        self.info
            .load()
            .models
            .as_ref()
            .is_none_or(|m| model.is_empty() || m.contains(model))
    }

    #[cfg(test)]
    pub fn test(id: &str) -> Self {
        Self::from_account(&test_account(id))
    }
}

/// A stored account for unit tests.
#[cfg(test)]
pub(crate) fn test_account(id: &str) -> Account {
    Account {
        id: id.into(),
        auth_method: AuthMethod::BuilderId,
        settings: store::AccountSettings {
            max_concurrency: 1,
            ..store::AccountSettings::default()
        },
        credentials: store::Credentials::new("r"),
        status: AccountStatus::Active,
        status_reason: None,
        models: None,
        quota: None,
        success_count: 0,
        error_count: 0,
        last_used_at: None,
        last_refresh_at: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

/// Settings part of a stored account.
pub(crate) fn info_of(a: &Account) -> Info {
    Info {
        label: a.settings.label.clone(),
        auth_method: a.auth_method,
        oidc_region: a.settings.oidc_region.clone(),
        api_region: a.settings.api_region.clone(),
        proxy_url: a.settings.proxy_url.clone().filter(|p| !p.is_empty()),
        weight: a.settings.weight,
        max_concurrency: a.settings.max_concurrency,
        models: a
            .models
            .as_ref()
            .map(|m| Arc::new(Catalog::new(m.iter().map(CatalogModel::id_only)))),
    }
}

/// [`info_of`] for an account already in memory: when the stored model ids are the ones the
/// in-memory catalog holds, that catalog (with its limits and effort schemas) is kept, so a
/// reload does not forget what the last ListAvailableModels said.
pub(crate) fn info_keeping_catalog(a: &Account, old: &Info) -> Info {
    let mut info = info_of(a);
    if let (Some(stored), Some(mem)) = (&a.models, &old.models)
        && stored.len() == mem.len()
        && stored.iter().all(|id| mem.contains(id))
    {
        info.models = Some(Arc::clone(mem));
    }
    info
}

/// Token part of a stored account.
pub(crate) fn token_of(a: &Account) -> Token {
    Token {
        access_token: a
            .credentials
            .access_token
            .as_ref()
            .map(|t| t.expose().to_owned())
            .filter(|t| !t.is_empty()),
        expires_at: a.credentials.expires_at,
        refresh_token: a.credentials.refresh_token.expose().to_owned(),
        client: a.credentials.client.as_ref().map(|c| Client {
            id: c.client_id.clone(),
            secret: c.client_secret.expose().to_owned(),
            expires_at: c.expires_at,
        }),
        profile_arn: a.settings.profile_arn.clone(),
        refreshed_at: a.last_refresh_at,
    }
}

/// Statuses under which the pool may send requests (cooling/exhausted are time holds on top).
pub(crate) fn usable(status: AccountStatus) -> bool {
    matches!(
        status,
        AccountStatus::Active | AccountStatus::CoolingDown | AccountStatus::Exhausted
    )
}
