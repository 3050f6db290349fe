//! Quota and entitlement (spec §6.3 ListAvailableModels, §6.4 GetUsageLimits; issue 4
//! "Visibility", peer-features §2 item 10): fetch usage, store it, mark an account `exhausted`
//! until the reset date when its credits are used up (and back to `active` after the reset), and
//! learn which models an account may use. Refreshed periodically for every usable account.
//!
//! The model list is the live catalog of issue 15 (kiro-2026-endpoints.md §5): each account keeps
//! its own [`Catalog`] (entitlement, token limits, native effort schema) in `Info.models`, and
//! the pool keeps the union over usable accounts for routing and `/v1/models`
//! ([`Inner::rebuild_catalog`]). Both are refreshed with the quota.

use std::sync::Arc;

use amazonq::client::{ClientError, Credentials, Persona};
use amazonq::error::ErrorClass;
use amazonq::types::{GetUsageLimitsRequest, GetUsageLimitsResponse};
use futures_util::StreamExt as _;
use store::{AccountStatus, Quota};
use translate::models::{Catalog, CatalogModel};

use super::recover::Recovery;
use super::refresh::{Need, RefreshFailure};
use super::slot::Slot;
use super::{Inner, class_name};

/// Why a quota/models fetch failed.
#[derive(Debug, Clone)]
pub(crate) struct FetchError {
    pub class: ErrorClass,
    pub message: String,
    /// The answer's JSON did not deserialize (parser message): drift.
    pub decode: Option<String>,
    /// An unknown error type / reason in the answer: drift.
    pub unknown: Option<amazonq::drift::Observation>,
}

impl From<RefreshFailure> for FetchError {
    fn from(r: RefreshFailure) -> Self {
        Self {
            class: r.class,
            message: r.message,
            decode: None,
            unknown: None,
        }
    }
}

impl From<ClientError> for FetchError {
    fn from(e: ClientError) -> Self {
        let (decode, unknown) = match &e {
            ClientError::Decode(m) => (Some(m.clone()), None),
            ClientError::Http(h) => (None, amazonq::drift::observe::from_http(h, String::new)),
            _ => (None, None),
        };
        Self {
            class: e.class(),
            message: e.to_string(),
            decode,
            unknown,
        }
    }
}

/// The `origin` of the account calls: the persona's (kiro-2026-endpoints.md §6: `AI_EDITOR` on
/// `management.*`).
fn origin_of(creds: &Credentials) -> &'static str {
    Persona::of(creds).account_origin()
}

/// The GetUsageLimits request the pool (and `doctor`) sends for an account.
pub(crate) fn usage_request(creds: &Credentials) -> GetUsageLimitsRequest {
    GetUsageLimitsRequest {
        origin: Some(origin_of(creds).to_owned()),
        resource_type: Some("AGENTIC_REQUEST".to_owned()),
        is_email_required: Some(true),
        profile_arn: None,
    }
}

/// Used/limit/reset from a GetUsageLimits answer: the CREDIT breakdown when present (with an
/// active free trial added, as peers do), else the first `limits` entry.
pub(crate) fn quota_of(r: &GetUsageLimitsResponse) -> Option<Quota> {
    let resets_at = r.next_reset();
    let breakdown = r
        .usage_breakdown_list
        .iter()
        .find(|b| b.resource_type.as_deref() == Some("CREDIT"))
        .or_else(|| r.usage_breakdown_list.first());
    if let Some(b) = breakdown
        && let Some(limit) = b.limit()
    {
        return Some(Quota {
            used: b.used(),
            limit,
            resets_at,
        });
    }
    let l = r.limits.first()?;
    Some(Quota {
        used: l.current_usage.unwrap_or(0.0),
        limit: l.total_usage_limit?,
        resets_at,
    })
}

impl Inner {
    /// Runs `call` with a fresh token on the account's host; a failure gets the recovery steps
    /// of `recover.rs` (refresh, legacy fallback, profile), each once.
    async fn with_creds<T, F, Fut>(&self, slot: &Arc<Slot>, call: F) -> Result<T, FetchError>
    where
        F: Fn(Credentials) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut token = self
            .fresh_token(slot, Need::Within(self.request_margin()))
            .await?;
        let mut done = Recovery::default();
        loop {
            let creds = self
                .upstream
                .credentials(&slot.info.load(), &token, slot.host());
            let e = match call(creds).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match self.recover(slot, &token, &e, &mut done).await? {
                Some(next) => token = next,
                None => return Err(e.into()),
            }
        }
    }

    /// Fetches, stores and applies the quota of one account.
    pub(crate) async fn fetch_quota(&self, slot: &Arc<Slot>) -> Result<Option<Quota>, FetchError> {
        let q = &self.upstream.q;
        let result = self
            .with_creds(slot, |creds| async move {
                q.get_usage_limits(&creds, &usage_request(&creds)).await
            })
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                self.account_call_failed(slot, &e, "GetUsageLimits").await;
                return Err(e);
            }
        };
        let quota = quota_of(&response);
        if let Err(e) = self.store.set_account_quota(&slot.id, quota.clone()).await {
            tracing::warn!(account = %slot.id, error = %e, "quota not stored");
        }
        if let Some(q) = &quota {
            let status = slot.health().status;
            if q.limit > 0.0 && q.used >= q.limit {
                let until = q.resets_at.unwrap_or_else(|| {
                    chrono::Utc::now()
                        + chrono::Duration::milliseconds(self.cfg.exhausted_recheck_ms as i64)
                });
                self.mark_exhausted(slot, until, super::health::USED_UP)
                    .await;
            } else if status == AccountStatus::Exhausted && super::health::quota_may_lift(slot) {
                slot.with_health(|h| h.exhausted_until = None);
                // (`pos_of` returns before the table is locked again.)
                if let Some(pos) = self.pos_of(slot) {
                    self.table()
                        .sched
                        .clear_hold(pos, tokio::time::Instant::now());
                }
                self.set_status(slot, AccountStatus::Active, None).await;
            }
        }
        Ok(quota)
    }

    /// Fetches the account's catalog: stores its ids, keeps the whole entries in memory and
    /// refreshes the pool's union.
    pub(crate) async fn fetch_models(&self, slot: &Arc<Slot>) -> Result<Vec<String>, FetchError> {
        let q = &self.upstream.q;
        let result = self
            .with_creds(slot, |creds| async move {
                q.list_all_models(&creds, origin_of(&creds)).await
            })
            .await;
        let (models, _default) = match result {
            Ok(r) => r,
            Err(e) => {
                self.account_call_failed(slot, &e, "ListAvailableModels")
                    .await;
                return Err(e);
            }
        };
        let catalog = Catalog::new(models.iter().map(CatalogModel::from_wire));
        let ids: Vec<String> = catalog.models().iter().map(|m| m.id.clone()).collect();
        if ids.is_empty() {
            // An empty list says nothing useful; keep "unknown" (= any model).
            return Ok(ids);
        }
        let mut info = (**slot.info.load()).clone();
        info.models = Some(Arc::new(catalog));
        slot.info.store(Arc::new(info));
        // After the in-memory catalog, so a reload triggered by this write keeps it.
        if let Err(e) = self.store.set_account_models(&slot.id, Some(&ids)).await {
            tracing::warn!(account = %slot.id, error = %e, "model list not stored");
        }
        self.rebuild_catalog();
        Ok(ids)
    }

    /// Recomputes the pool's catalog: the union of the usable accounts' catalogs.
    pub(crate) fn rebuild_catalog(&self) {
        let infos: Vec<_> = self
            .table()
            .by_id
            .values()
            .filter(|(s, _)| super::slot::usable(s.health().status))
            .map(|(s, _)| s.info.load_full())
            .collect();
        let union = Catalog::union(infos.iter().filter_map(|i| i.models.as_deref()));
        self.catalog.store(Arc::new(union));
    }

    /// Account-level consequences of a failed account call (suspension seen on the usage API…).
    async fn account_call_failed(&self, slot: &Arc<Slot>, e: &FetchError, api: &str) {
        tracing::debug!(account = %slot.id, class = class_name(&e.class), error = %e.message, "account API call failed");
        if let Some(m) = &e.decode {
            self.drift_note(&amazonq::drift::observe::from_decode(api, m), &slot.id);
        }
        if let Some(obs) = &e.unknown {
            self.drift_note(obs, &slot.id);
        }
        if matches!(
            e.class,
            ErrorClass::Suspended | ErrorClass::RefreshTokenDead | ErrorClass::ProfileRejected
        ) {
            self.on_failure(slot, &e.class, &e.message).await;
        }
    }

    /// Queues a quota fetch for one account.
    pub(crate) fn spawn_quota_fetch(&self, slot: &Arc<Slot>) {
        let Some(inner) = self.self_arc() else { return };
        let slot = Arc::clone(slot);
        self.jobs.submit(async move {
            let _ = inner.fetch_quota(&slot).await;
        });
    }

    /// Periodic pass: quota and model catalog of every usable account.
    pub(crate) async fn refresh_all_quotas(&self) {
        let slots: Vec<Arc<Slot>> = self
            .table()
            .slots()
            .filter(|s| super::slot::usable(s.health().status))
            .collect();
        futures_util::stream::iter(slots)
            .for_each_concurrent(self.cfg.refresh_concurrency.max(1), |slot| async move {
                let _ = self.fetch_quota(&slot).await;
                let _ = self.fetch_models(&slot).await;
            })
            .await;
    }
}
