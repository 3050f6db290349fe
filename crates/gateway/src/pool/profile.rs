//! IAM Identity Center profiles (kiro-2026-endpoints.md §2): every chat on `runtime.*` carries
//! the account's own `profileArn`, which IdC accounts learn from `ListAvailableProfiles` on the
//! management host of **both** service regions (as the IDE asks), at device login, import and
//! validation, and again once when the service refuses the one in use. The ARN is stored with its
//! region, which becomes the account's API region. When several profiles exist the first is used
//! until the operator picks another (`GET /v2/accounts/:id/profiles`, `POST
//! /v2/accounts/:id/profile`). The Builder ID service ARN is never stored or used for IdC.

use std::sync::Arc;

use amazonq::client::{AuthKind, ClientError, Credentials, Dialect, Host};
use amazonq::types::{ListAvailableProfilesRequest, Profile, arn_region};
use store::{AccountPatch, AuthMethod};

use super::Inner;
use super::account_ops::AccountProfile;
use super::refresh::Need;
use super::slot::{Slot, Token};
use crate::change::Change;
use crate::error::Error;

/// Pages asked per host (a guard against a `nextToken` that never ends).
const MAX_PAGES: usize = 10;

impl Inner {
    /// Every profile `access_token` sees on the management host(s), merged by ARN in the order
    /// the hosts answered. Fails only when no host answered.
    pub(crate) async fn list_profiles_with(
        &self,
        access_token: &str,
        proxy: Option<String>,
    ) -> Result<Vec<Profile>, ClientError> {
        let mut out: Vec<Profile> = Vec::new();
        let mut failure = None;
        let mut answered = false;
        for (region, endpoints) in self.upstream.profile_hosts() {
            let creds = Credentials {
                dialect: Dialect::AmazonQ,
                auth_kind: AuthKind::IdentityCenter,
                host: Host::Runtime,
                access_token: access_token.to_owned(),
                endpoints: Some(endpoints),
                proxy: proxy.clone(),
                ..Credentials::default()
            };
            let mut request = ListAvailableProfilesRequest::default();
            for _ in 0..MAX_PAGES {
                match self
                    .upstream
                    .q
                    .list_available_profiles(&creds, &request)
                    .await
                {
                    Ok(page) => {
                        answered = true;
                        for p in page.profiles {
                            if !out.iter().any(|o| o.arn == p.arn) {
                                out.push(p);
                            }
                        }
                        match page.next_token.filter(|t| !t.is_empty()) {
                            Some(t) => request.next_token = Some(t),
                            None => break,
                        }
                    }
                    Err(e) => {
                        tracing::warn!(region, error = %e, "listing Identity Center profiles failed");
                        super::drift::note_client_error(&self.drift, &e, "ListAvailableProfiles");
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        match failure {
            Some(e) if !answered => Err(e),
            _ => Ok(out),
        }
    }

    /// The first IAM Identity Center profile visible with this token, if any (device login).
    pub(crate) async fn discover_profile(&self, access_token: &str) -> Option<String> {
        let proxy = self.upstream.default_proxy();
        let profiles = self.list_profiles_with(access_token, proxy).await.ok()?;
        profiles.into_iter().next().map(|p| p.arn)
    }

    /// Stores `arn` as the account's profile with its region as the API region, in the store
    /// and in memory, and tells other instances.
    pub(crate) async fn set_profile(
        &self,
        slot: &Arc<Slot>,
        arn: &str,
    ) -> Result<(), store::StoreError> {
        let region = arn_region(arn).map(str::to_owned);
        let patch = AccountPatch {
            profile_arn: Some(Some(arn.to_owned())),
            api_region: region.clone(),
            ..AccountPatch::default()
        };
        self.store.update_account(&slot.id, patch).await?;
        let mut token = (**slot.token.load()).clone();
        token.profile_arn = Some(arn.to_owned());
        slot.token.store(Arc::new(token));
        if let Some(region) = region {
            let mut info = (**slot.info.load()).clone();
            info.api_region = region;
            slot.info.store(Arc::new(info));
        }
        if let Some(n) = &self.notifier {
            n.publish(Change::Accounts);
        }
        tracing::info!(account = %slot.id, "profile set");
        Ok(())
    }

    /// An IdC account without a profile learns one (validation, import). Others are left alone.
    pub(crate) async fn ensure_profile(&self, slot: &Arc<Slot>, token: &Token) {
        let info = slot.info.load();
        if info.auth_method != AuthMethod::Idc || token.profile_arn.is_some() {
            return;
        }
        let access = token.access_token.clone().unwrap_or_default();
        let proxy = info
            .proxy_url
            .clone()
            .or_else(|| self.upstream.default_proxy());
        drop(info);
        match self.list_profiles_with(&access, proxy).await {
            Ok(profiles) => match profiles.first() {
                Some(p) => {
                    if let Err(e) = self.set_profile(slot, &p.arn).await {
                        tracing::warn!(account = %slot.id, error = %e, "profile not stored");
                    }
                }
                None => {
                    tracing::warn!(account = %slot.id, "no Identity Center profile visible to this account");
                }
            },
            Err(e) => tracing::warn!(account = %slot.id, error = %e, "profile discovery failed"),
        }
    }

    /// After the service refused the account's profile: a fresh one to retry with, or `None`
    /// when nothing changed (the caller then flags the account). Builder ID has nothing to
    /// re-resolve (its ARN is a constant); social accounts get theirs from `/refreshToken`;
    /// IdC accounts ask the management hosts and switch only if the one in use is not listed.
    pub(crate) async fn reresolve_profile(
        &self,
        slot: &Arc<Slot>,
        token: &Token,
    ) -> Option<Arc<Token>> {
        let info = slot.info.load_full();
        let old = token.access_token.clone().unwrap_or_default();
        match info.auth_method {
            AuthMethod::BuilderId => None,
            AuthMethod::Social => {
                let fresh = self.fresh_token(slot, Need::Replace(&old)).await.ok()?;
                (fresh.access_token != token.access_token).then_some(fresh)
            }
            AuthMethod::Idc => {
                let proxy = info
                    .proxy_url
                    .clone()
                    .or_else(|| self.upstream.default_proxy());
                let profiles = self.list_profiles_with(&old, proxy).await.ok()?;
                if profiles
                    .iter()
                    .any(|p| Some(&p.arn) == token.profile_arn.as_ref())
                {
                    return None;
                }
                let arn = profiles.first()?.arn.clone();
                self.set_profile(slot, &arn).await.ok()?;
                Some(slot.token.load_full())
            }
        }
    }

    /// The profiles an account may use (admin API), with the one in use marked.
    pub(crate) async fn account_profiles(
        &self,
        slot: &Arc<Slot>,
    ) -> Result<Vec<AccountProfile>, Error> {
        if slot.info.load().auth_method != AuthMethod::Idc {
            return Err(Error::field(
                "id",
                "only IAM Identity Center accounts have profiles to choose from",
            ));
        }
        let token = self
            .fresh_token(slot, Need::Within(self.request_margin()))
            .await
            .map_err(|e| {
                Error::UpstreamUnavailable(format!("token refresh failed: {}", e.message))
            })?;
        let proxy = slot
            .info
            .load()
            .proxy_url
            .clone()
            .or_else(|| self.upstream.default_proxy());
        let access = token.access_token.clone().unwrap_or_default();
        let profiles = self
            .list_profiles_with(&access, proxy)
            .await
            .map_err(|e| Error::UpstreamUnavailable(format!("listing profiles failed: {e}")))?;
        Ok(profiles
            .into_iter()
            .map(|p| AccountProfile {
                selected: Some(&p.arn) == token.profile_arn.as_ref(),
                region: p.region().map(str::to_owned),
                name: p.profile_name,
                arn: p.arn,
            })
            .collect())
    }
}
