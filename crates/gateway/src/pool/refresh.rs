//! Token refresh (spec §2.5/§2.8 OIDC, §3 Kiro; issue 4 "Refresh"; issue 17 items 1–2).
//!
//! - Single-flight: every refresh of an account — request path, background refresher,
//!   validation of new accounts, admin "refresh now" — runs under that account's
//!   [`super::RefreshLock`] and re-checks the token after acquiring it (in fleet mode after
//!   re-reading the account from the shared database), so whoever waited behind a refresh uses
//!   its result instead of refreshing again: a second refresh costs an upstream auth call and, with
//!   rotating refresh tokens, would invalidate the token the first one just stored. Even a
//!   *forced* refresh ([`Need::Since`]) is satisfied by a refresh that happened after it was asked.
//! - Persist before use, compare-and-set: the new tokens (and a rotated refresh token) are written
//!   in one statement only while the row still holds the refresh token that was used
//!   ([`store::Store::update_tokens_if`]); when someone stored a newer one first, that one is
//!   adopted and this result discarded, so the newest token always survives. Likewise a refresh
//!   refused as `invalid_grant` first looks for a successor token in the store (someone rotated
//!   the one it used) before declaring the account `needs_login`.
//! - `invalid_grant` and friends → `needs_login`, never retried in a loop; other failures pause the
//!   background refresh of that account for `refresh_retry_ms`.
//! - The background refresher renews tokens `refresh_skew_ms` (+ a stable per-account jitter)
//!   before expiry, `refresh_concurrency` at a time.
//! - Every upstream refresh call is counted in `gateway_pool_refreshes_total{reason,result}`
//!   ([`Reason`]), so an operator sees a refresh storm and where it comes from.

use std::hash::{Hash as _, Hasher as _};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use amazonq::error::ErrorClass;
use amazonq::oidc::ClientRegistration;
use chrono::Utc;
use futures_util::StreamExt as _;
use store::{AccountStatus, AuthMethod, Secret, TokenUpdate, TokenWrite};
use tokio::time::Instant;

pub(crate) use super::need::{Need, Reason, count};
use super::slot::{Slot, Token};
use super::{Inner, config};

/// A failed refresh.
#[derive(Debug, Clone)]
pub(crate) struct RefreshFailure {
    pub class: ErrorClass,
    pub message: String,
    /// The auth service's answer (status, OAuth error code, description) when it gave one;
    /// `doctor` shows it as is.
    pub answer: Option<(u16, String, String)>,
}

impl RefreshFailure {
    fn new(class: ErrorClass, message: String) -> Self {
        Self {
            class,
            message,
            answer: None,
        }
    }

    fn of(e: &amazonq::oidc::AuthError) -> Self {
        let answer = match e {
            amazonq::oidc::AuthError::Service {
                status,
                code,
                description,
            } => Some((*status, code.clone(), description.clone())),
            _ => None,
        };
        Self {
            class: e.class(),
            message: e.to_string(),
            answer,
        }
    }
}

impl Inner {
    /// The margin the request path wants.
    pub(crate) fn request_margin(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.cfg.request_skew_ms as i64)
    }

    /// A token satisfying `need`, refreshing (single-flight) when necessary; counted under the
    /// need's default [`Reason`].
    pub(crate) async fn fresh_token(
        &self,
        slot: &Arc<Slot>,
        need: Need<'_>,
    ) -> Result<Arc<Token>, RefreshFailure> {
        self.fresh_token_for(slot, need, need.reason()).await
    }

    /// [`Inner::fresh_token`] counted under `reason`.
    pub(crate) async fn fresh_token_for(
        &self,
        slot: &Arc<Slot>,
        need: Need<'_>,
        reason: Reason,
    ) -> Result<Arc<Token>, RefreshFailure> {
        let current = slot.token.load_full();
        if need.satisfied_by(&current) {
            return Ok(current);
        }
        let _guard = self.refresh_lock.lock(&slot.id).await;
        if self.refresh_lock.shared() {
            // Another instance may have refreshed: its result is in the database.
            if let Ok(Some(a)) = self.store.get_account(&slot.id).await {
                adopt_newer(slot, super::slot::token_of(&a));
            }
        }
        let current = slot.token.load_full();
        if need.satisfied_by(&current) {
            return Ok(current);
        }
        self.do_refresh(slot, &current, reason).await
    }

    async fn do_refresh(
        &self,
        slot: &Arc<Slot>,
        current: &Token,
        reason: Reason,
    ) -> Result<Arc<Token>, RefreshFailure> {
        let refreshed_at = Utc::now();
        let info = slot.info.load_full();
        let result = match info.auth_method {
            AuthMethod::Social => self.refresh_social(&info, current, refreshed_at).await,
            AuthMethod::BuilderId | AuthMethod::Idc => {
                let Some(c) = current.client.as_ref() else {
                    let r = RefreshFailure::new(
                        ErrorClass::RefreshTokenDead,
                        "no OIDC client registration stored; log in again".into(),
                    );
                    self.refresh_failed(slot, &r, reason).await;
                    return Err(r);
                };
                self.refresh_oidc(&info, c, current, refreshed_at).await
            }
        };
        let token = match result {
            Ok(t) => t,
            Err(r) => {
                // A rotated-away token is refused: when someone stored its successor meanwhile
                // (a refresh that ran without this lock), that one is the account's token.
                if r.class == ErrorClass::RefreshTokenDead
                    && !slot.unpersisted.load(Ordering::Relaxed)
                    && let Some(stored) = self.successor(slot, current).await
                {
                    count(reason, "superseded");
                    return adopt(slot, stored);
                }
                self.refresh_failed(slot, &r, reason).await;
                return Err(r);
            }
        };
        self.keep_refreshed(slot, current, token, refreshed_at, reason)
            .await
    }

    /// Kiro social: `/refreshToken` with the account's machine id; the answer may carry a new
    /// profile ARN.
    async fn refresh_social(
        &self,
        info: &super::slot::Info,
        current: &Token,
        refreshed_at: chrono::DateTime<Utc>,
    ) -> Result<Token, RefreshFailure> {
        let fail = |e: amazonq::oidc::AuthError| RefreshFailure::of(&e);
        let proxy = self.upstream.refresh_proxy(info);
        let client = self.upstream.kiro_for(info).map_err(fail)?;
        let machine = amazonq::client::kiro_machine_id(
            current
                .profile_arn
                .as_deref()
                .unwrap_or(&current.refresh_token),
        );
        client
            .refresh(
                &current.refresh_token,
                current.profile_arn.as_deref(),
                Some(&machine),
                proxy.as_deref(),
            )
            .await
            .map(|t| Token {
                access_token: Some(t.access_token),
                expires_at: Some(t.expires_at),
                refresh_token: t.refresh_token,
                client: current.client.clone(),
                profile_arn: t.profile_arn,
                refreshed_at: Some(refreshed_at),
            })
            .map_err(fail)
    }

    /// Builder ID / IAM Identity Center: the OIDC refresh grant with the stored client
    /// registration; the refresh token rotates when the answer carries a new one.
    async fn refresh_oidc(
        &self,
        info: &super::slot::Info,
        c: &super::slot::Client,
        current: &Token,
        refreshed_at: chrono::DateTime<Utc>,
    ) -> Result<Token, RefreshFailure> {
        let fail = |e: amazonq::oidc::AuthError| RefreshFailure::of(&e);
        let reg = ClientRegistration {
            client_id: c.id.clone(),
            client_secret: c.secret.clone(),
            expires_at: c
                .expires_at
                .unwrap_or_else(|| Utc::now() + chrono::Duration::days(90)),
            scopes: amazonq::oidc::Q_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        };
        let proxy = self.upstream.refresh_proxy(info);
        let client = self.upstream.oidc(&info.oidc_region, proxy).map_err(fail)?;
        client
            .refresh(&reg, &current.refresh_token)
            .await
            .map(|t| Token {
                access_token: Some(t.access_token),
                expires_at: Some(t.expires_at),
                refresh_token: t
                    .refresh_token
                    .unwrap_or_else(|| current.refresh_token.clone()),
                client: current.client.clone(),
                profile_arn: current.profile_arn.clone(),
                refreshed_at: Some(refreshed_at),
            })
            .map_err(fail)
    }

    /// Stores a refreshed `token` (persisted first, guarded against a newer pair stored
    /// meanwhile), then makes it the account's token and lifts a `needs_login`.
    async fn keep_refreshed(
        &self,
        slot: &Arc<Slot>,
        current: &Token,
        token: Token,
        refreshed_at: chrono::DateTime<Utc>,
        reason: Reason,
    ) -> Result<Arc<Token>, RefreshFailure> {
        // Persist first: a crash after this point never loses the rotated refresh token.
        let update = TokenUpdate {
            access_token: Secret::new(token.access_token.clone().unwrap_or_default()),
            expires_at: token.expires_at.unwrap_or_else(Utc::now),
            refresh_token: (token.refresh_token != current.refresh_token)
                .then(|| Secret::new(token.refresh_token.clone())),
            refreshed_at,
        };
        let used = Secret::new(current.refresh_token.clone());
        let write = if slot.unpersisted.load(Ordering::Relaxed) {
            // The stored pair is older than the one just used: nothing newer to protect.
            self.store
                .update_tokens(&slot.id, update)
                .await
                .map(|()| TokenWrite::Written)
        } else {
            self.store.update_tokens_if(&slot.id, &used, update).await
        };
        let persisted = match write {
            Ok(TokenWrite::Written) => Ok(()),
            Ok(TokenWrite::Superseded(stored)) => {
                // Someone stored a newer token pair while this refresh ran: theirs wins.
                count(reason, "superseded");
                return adopt(slot, super::slot::token_of(&stored));
            }
            Err(e) => Err(e),
        };
        if persisted.is_ok()
            && token.profile_arn != current.profile_arn
            && let Err(e) = self
                .store
                .update_account(
                    &slot.id,
                    store::AccountPatch {
                        profile_arn: Some(token.profile_arn.clone()),
                        ..Default::default()
                    },
                )
                .await
        {
            tracing::warn!(account = %slot.id, error = %e, "new profile ARN not persisted");
        }
        let token = Arc::new(token);
        // Kept in memory even if the write failed: dropping it would lose the rotated token for
        // good; the next refresh persists again.
        slot.token.store(Arc::clone(&token));
        slot.unpersisted
            .store(persisted.is_err(), Ordering::Relaxed);
        if let Err(e) = persisted {
            count(reason, "persist_failed");
            tracing::error!(account = %slot.id, error = %e, "refreshed token could not be persisted");
            return Err(RefreshFailure::new(
                ErrorClass::Transient,
                format!("token refreshed but not persisted: {e}"),
            ));
        }
        count(reason, "ok");
        slot.with_health(|h| h.refresh_paused_until = None);
        if slot.health().status == AccountStatus::NeedsLogin {
            self.set_status(slot, AccountStatus::Active, None).await;
        }
        tracing::debug!(account = %slot.id, reason = reason.label(), "token refreshed");
        Ok(token)
    }

    /// The stored token when it has another refresh token than the one `current` used.
    async fn successor(&self, slot: &Slot, current: &Token) -> Option<Token> {
        let a = self.store.get_account(&slot.id).await.ok()??;
        let stored = super::slot::token_of(&a);
        (stored.refresh_token != current.refresh_token).then_some(stored)
    }

    async fn refresh_failed(&self, slot: &Arc<Slot>, r: &RefreshFailure, reason: Reason) {
        let result = if r.class == ErrorClass::RefreshTokenDead {
            "dead"
        } else {
            "error"
        };
        count(reason, result);
        tracing::warn!(account = %slot.id, error = %r.message, "token refresh failed");
        let status = match r.class {
            ErrorClass::RefreshTokenDead => AccountStatus::NeedsLogin,
            ErrorClass::Suspended => AccountStatus::Banned,
            _ => {
                let until = Instant::now() + config::ms(self.cfg.refresh_retry_ms);
                slot.with_health(|h| h.refresh_paused_until = Some(until));
                return;
            }
        };
        let why = super::health::short(&r.message);
        self.set_status(slot, status, Some(why)).await;
    }

    /// Stable per-account jitter in `0..refresh_jitter_ms`.
    fn jitter_ms(&self, id: &str) -> u64 {
        if self.cfg.refresh_jitter_ms == 0 {
            return 0;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        h.finish() % self.cfg.refresh_jitter_ms
    }

    /// One pass of the background refresher.
    pub(crate) async fn refresh_due(&self) {
        let now = Instant::now();
        let due: Vec<(Arc<Slot>, chrono::Duration)> = self
            .table()
            .slots()
            .filter_map(|s| {
                let h = s.health();
                if !super::slot::usable(h.status) || h.refresh_paused_until.is_some_and(|t| t > now)
                {
                    return None;
                }
                let margin = chrono::Duration::milliseconds(
                    (self.cfg.refresh_skew_ms + self.jitter_ms(&s.id)) as i64,
                );
                (!s.token.load().fresh_for(margin)).then_some((s, margin))
            })
            .collect();
        if due.is_empty() {
            return;
        }
        tracing::debug!(count = due.len(), "background token refresh");
        futures_util::stream::iter(due)
            .for_each_concurrent(
                self.cfg.refresh_concurrency.max(1),
                |(slot, margin)| async move {
                    let _ = self
                        .fresh_token_for(&slot, Need::Within(margin), Reason::Background)
                        .await;
                },
            )
            .await;
    }
}

/// Takes the stored token when it is at least as new as the one in memory (another instance
/// refreshed, or an operator logged the account in again).
fn adopt_newer(slot: &Slot, stored: Token) {
    let mem = slot.token.load();
    let newer = match (stored.refreshed_at, mem.refreshed_at) {
        (Some(s), Some(m)) => s >= m,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => stored.expires_at >= mem.expires_at,
    };
    if newer && stored != **mem {
        slot.token.store(Arc::new(stored));
    }
}

/// Takes a newer stored token pair instead of this refresh's result.
fn adopt(slot: &Slot, stored: Token) -> Result<Arc<Token>, RefreshFailure> {
    tracing::info!(account = %slot.id, "a newer token was stored meanwhile; adopting it");
    let stored = Arc::new(stored);
    slot.token.store(Arc::clone(&stored));
    slot.unpersisted.store(false, Ordering::Relaxed);
    if stored.fresh_for(chrono::Duration::zero()) {
        Ok(stored)
    } else {
        Err(RefreshFailure::new(
            ErrorClass::Transient,
            "a newer refresh token was stored meanwhile; retry".into(),
        ))
    }
}
