//! `claude-server doctor` and `POST /v2/accounts/:id/diagnose` (issue 22 item 1): one account,
//! step by step, each with its timing, a verdict and — when it fails — the upstream's exact answer
//! (secrets blanked) and what to do about it.
//!
//! Steps, in order: `dns.<role>` / `tls.<role>` for the runtime, management and auth hosts (and
//! `legacy_q` when `upstream.legacy_fallback` is on; `reach`), `token` (refreshed only when it is
//! about to expire, through the pool's single-flight refresh, so the doctor never refreshes twice
//! or behind a running server's back), `profile` (IdC: discovery on the management host(s) and the
//! one in use; Builder ID: the service ARN; social: the ARN of the sign-in), `usage`
//! (GetUsageLimits), `models` (ListAvailableModels) and `chat` (one minimal streaming turn) —
//! `calls`. Every call uses the account's proxy, else `upstream.proxy`, and the account's hosts
//! ([`super::upstream::Upstream::credentials`]). A call refused with "bearer token invalid" is
//! retried once after a forced refresh, as the request path does; refused again it means a region
//! mismatch. The doctor only reads: it changes no account state beyond what a refresh stores
//! (the rotated token must be kept).
//!
//! This module lives in the pool layer and imports nothing from the HTTP edge above it; the CLI and
//! the admin handler are thin callers. The report schema is documented in `report`.

mod calls;
mod judge;
mod reach;
mod report;

use std::sync::Arc;
use std::time::Instant;

use amazonq::client::Host;
pub use report::{AccountSummary, Report, Step, UpstreamAnswer, Verdict};

use super::slot::{Info, Slot, Token};
use super::upstream::Upstream;
use super::{Inner, Pool};
use judge::Secrets;
use reach::Target;

/// What to diagnose beyond the defaults.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseOptions {
    /// Model of the chat turn (checked against the account's catalog); default: the catalog's
    /// default model.
    #[serde(default)]
    pub model: Option<String>,
}

impl Pool {
    /// The id of the account whose id or label is `key` (id first).
    pub fn resolve_account(&self, key: &str) -> Option<String> {
        let t = self.inner.table();
        if t.by_id.contains_key(key) {
            return Some(key.to_owned());
        }
        t.by_id
            .values()
            .find(|(s, _)| s.info.load().label == key)
            .map(|(s, _)| s.id.clone())
    }

    /// Every loaded account id, ordered by label then id.
    pub fn account_ids(&self) -> Vec<String> {
        let t = self.inner.table();
        let mut ids: Vec<(String, String)> = t
            .by_id
            .values()
            .map(|(s, _)| (s.info.load().label.clone(), s.id.clone()))
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// Diagnoses one account; `None` when no account has this id.
    pub async fn diagnose(&self, account_id: &str, options: &DiagnoseOptions) -> Option<Report> {
        let slot = self.inner.slot(account_id)?;
        Some(self.inner.diagnose(&slot, options).await)
    }
}

impl Inner {
    async fn diagnose(&self, slot: &Arc<Slot>, options: &DiagnoseOptions) -> Report {
        let started = Instant::now();
        let info = slot.info.load_full();
        let token = slot.token.load_full();
        let proxy = self.upstream.refresh_proxy(&info);
        let secrets = secrets_of(&info, &token, proxy.as_deref());
        let api_region = Upstream::api_region(&info, &token).to_owned();
        let endpoints = self.upstream.endpoints(&api_region);
        let mut targets = vec![
            Target {
                role: "runtime",
                url: endpoints.runtime().clone(),
            },
            Target {
                role: "management",
                url: endpoints.management().clone(),
            },
        ];
        match reqwest::Url::parse(&self.upstream.auth_base(&info)) {
            Ok(url) => targets.push(Target { role: "auth", url }),
            Err(e) => tracing::warn!(error = %e, "auth endpoint is not a URL"),
        }
        if self.upstream.legacy_fallback() {
            targets.push(Target {
                role: "legacy_q",
                url: endpoints.legacy_q().clone(),
            });
        }
        let mut steps = Vec::new();
        for t in &targets {
            let timeout = self.upstream.connect_timeout();
            steps.extend(reach::check(t, proxy.as_deref(), timeout, &secrets).await);
        }
        calls::run(self, slot, options, &mut steps).await;
        Report {
            account: AccountSummary {
                id: slot.id.clone(),
                label: info.label.clone(),
                auth_method: info.auth_method.as_str(),
                api_region,
                host: match slot.host() {
                    Host::Runtime => "runtime",
                    Host::LegacyQ => "legacy_q",
                },
                proxy: proxy.is_some(),
            },
            verdict: Report::overall(&steps),
            ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            steps,
        }
    }
}

/// Everything secret about an account, for blanking upstream messages.
fn secrets_of(info: &Info, token: &Token, proxy: Option<&str>) -> Secrets {
    let mut v = vec![token.refresh_token.clone()];
    v.extend(proxy.map(str::to_owned));
    v.extend(token.access_token.clone());
    v.extend(token.client.as_ref().map(|c| c.secret.clone()));
    v.extend(info.proxy_url.clone());
    Secrets(v)
}
