//! [`AccountOps`] for the admin API (ADMIN_API.md: force refresh, fetch quota, device login,
//! Kiro GitHub / Google sign-in, background validation of fed/imported accounts — one forced
//! refresh each, the IdC profile when missing, then models and quota; the profile list and the
//! operator's pick).

use std::sync::Arc;

use amazonq::error::ErrorClass;
use futures_util::future::BoxFuture;

use super::account_ops::{
    AccountOps, AccountProfile, DeviceLoginRequest, DeviceLoginStart, DeviceLoginStatus,
    SocialLoginFinish, SocialLoginRequest, SocialLoginStart,
};
use super::refresh::Need;
use super::slot::Slot;
use super::{Inner, Pool, class_name};
use crate::error::Error;

impl Inner {
    /// The slot of `id`, reloading once if the account was created after the last load.
    async fn slot_or_reload(&self, id: &str) -> Result<Arc<Slot>, Error> {
        if let Some(s) = self.slot(id) {
            return Ok(s);
        }
        self.reload().await?;
        self.slot(id)
            .ok_or_else(|| Error::NotFound(format!("account {id} not found")))
    }

    async fn account(&self, id: &str) -> Result<store::Account, Error> {
        self.store
            .get_account(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("account {id} not found")))
    }

    /// Validation of one new account: a refresh unless one happened since `need`'s moment (the
    /// request path may have refreshed the account first), then models and quota.
    pub(crate) async fn validate(&self, id: &str, need: Need<'_>) {
        let Ok(slot) = self.slot_or_reload(id).await else {
            return;
        };
        match self
            .fresh_token_for(&slot, need, super::refresh::Reason::Validation)
            .await
        {
            Ok(token) => {
                // IdC: the profile every chat on the new hosts needs (kiro-2026-endpoints.md §2).
                self.ensure_profile(&slot, &token).await;
                let _ = self.fetch_models(&slot).await;
                let _ = self.fetch_quota(&slot).await;
                tracing::info!(account = %id, "account validated");
            }
            Err(e) => {
                tracing::warn!(account = %id, class = class_name(&e.class), error = %e.message, "account validation failed");
            }
        }
    }
}

/// The admin answer for an upstream call (`what`) that failed: 503 naming its error class.
fn unavailable(what: &str, class: &ErrorClass, message: &str) -> Error {
    Error::UpstreamUnavailable(format!("{what} failed ({}): {message}", class_name(class)))
}

impl AccountOps for Pool {
    fn refresh<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>> {
        Box::pin(async move {
            let inner = &self.inner;
            let slot = inner.slot_or_reload(id).await?;
            inner
                .fresh_token(&slot, Need::from_now())
                .await
                .map_err(|e| unavailable("token refresh", &e.class, &e.message))?;
            inner.account(id).await
        })
    }

    fn fetch_usage<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<store::Account, Error>> {
        Box::pin(async move {
            let inner = &self.inner;
            let slot = inner.slot_or_reload(id).await?;
            inner
                .fetch_quota(&slot)
                .await
                .map_err(|e| unavailable("usage fetch", &e.class, &e.message))?;
            inner.account(id).await
        })
    }

    fn start_device_login(
        &self,
        req: DeviceLoginRequest,
    ) -> BoxFuture<'_, Result<DeviceLoginStart, Error>> {
        Box::pin(async move {
            self.inner
                .start_device_login(req)
                .await
                .map_err(|e| Error::UpstreamUnavailable(e.to_string()))
        })
    }

    fn device_login_status<'a>(
        &'a self,
        auth_id: &'a str,
    ) -> BoxFuture<'a, Result<DeviceLoginStatus, Error>> {
        Box::pin(async move {
            self.inner
                .device_login_status(auth_id)
                .ok_or_else(|| Error::NotFound(format!("device login {auth_id} not found")))
        })
    }

    fn start_social_login<'a>(
        &'a self,
        req: SocialLoginRequest,
        session: &'a str,
    ) -> BoxFuture<'a, Result<SocialLoginStart, Error>> {
        Box::pin(async move { self.inner.start_social_login(req, session) })
    }

    fn finish_social_login<'a>(
        &'a self,
        req: SocialLoginFinish,
        session: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>> {
        Box::pin(async move { self.inner.finish_social_login(req, session).await })
    }

    fn list_profiles<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<AccountProfile>, Error>> {
        Box::pin(async move {
            let slot = self.inner.slot_or_reload(id).await?;
            self.inner.account_profiles(&slot).await
        })
    }

    fn pick_profile<'a>(
        &'a self,
        id: &'a str,
        arn: &'a str,
    ) -> BoxFuture<'a, Result<store::Account, Error>> {
        Box::pin(async move {
            let inner = &self.inner;
            let slot = inner.slot_or_reload(id).await?;
            let profiles = inner.account_profiles(&slot).await?;
            if !profiles.iter().any(|p| p.arn == arn) {
                return Err(Error::field(
                    "profile_arn",
                    "not one of the account's profiles (GET /v2/accounts/:id/profiles)",
                ));
            }
            inner.set_profile(&slot, arn).await?;
            // A profile problem flagged the account: it may serve again.
            if slot.health().status == store::AccountStatus::CoolingDown {
                if let Some(pos) = inner.pos_of(&slot) {
                    inner
                        .table()
                        .sched
                        .clear_hold(pos, tokio::time::Instant::now());
                }
                inner
                    .set_status(&slot, store::AccountStatus::Active, None)
                    .await;
            }
            inner.account(id).await
        })
    }

    fn upstream_host(&self, id: &str) -> Option<&'static str> {
        self.inner.slot(id).map(|s| s.host().as_str())
    }

    fn validate_new(&self, ids: Vec<String>) {
        let Some(inner) = self.inner.self_arc() else {
            return;
        };
        // Asked now: a refresh the request path makes before the job runs validates the account.
        let need = Need::from_now();
        self.inner.jobs.submit(async move {
            if let Err(e) = inner.reload().await {
                tracing::warn!(error = %e, "pool reload before validation failed");
            }
            let n = inner.cfg.refresh_concurrency.max(1);
            futures_util::StreamExt::for_each_concurrent(
                futures_util::stream::iter(ids),
                n,
                |id| {
                    let inner = Arc::clone(&inner);
                    async move { inner.validate(&id, need).await }
                },
            )
            .await;
        });
    }
}
