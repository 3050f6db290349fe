//! Upstream clients of the pool: the Q client (chat + account APIs), OIDC and Kiro-auth clients
//! per region, and per-account [`Credentials`] (spec §1, §2.1: OIDC region and API region are
//! separate; §3: social accounts speak the Kiro dialect and send their profile ARN).
//!
//! Hosts (kiro-2026-endpoints.md §1): chat on `runtime.<api_region>.kiro.dev`, account APIs on
//! `management.<api_region>.kiro.dev`, the legacy `q.<api_region>.amazonaws.com` only as a
//! per-account fallback ([`Upstream::fallback_candidate`]). `api_region` is the region of the
//! account's own profile ARN, else mapped from its stored region ([`Upstream::api_region`]).
//! A configured `upstream.*_endpoint` is used for every account instead (a simulator, a relay);
//! likewise OIDC (`oidc.{oidc_region}`) and Kiro auth (`prod.{oidc_region}`). The hosts of each
//! region are parsed once ([`Endpoints`]), never per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, DEFAULT_Q_ENDPOINT, Dialect, Endpoints, Host,
    KIRO_REGIONS, QClient, api_region_for, kiro_machine_id, management_endpoint, q_endpoint,
    runtime_endpoint,
};
use amazonq::kiro_auth::{DEFAULT_KIRO_AUTH_ENDPOINT, KiroAuthClient, kiro_auth_endpoint};
use amazonq::kiro_login::KiroLoginClient;
use amazonq::oidc::{AuthError, DEFAULT_OIDC_ENDPOINT, OidcClient, oidc_endpoint};
use store::AuthMethod;

use super::config::UpstreamConfig;
use super::slot::{Info, Token};

/// The hosts of `region` under the `upstream.*` settings.
fn endpoints_for(settings: &UpstreamConfig, region: &str) -> Result<Endpoints, ClientError> {
    let pick = |set: &Option<String>, default: fn(&str) -> String| {
        set.clone().unwrap_or_else(|| default(region))
    };
    Ok(Endpoints::new(
        &pick(&settings.runtime_endpoint, runtime_endpoint),
        &pick(&settings.management_endpoint, management_endpoint),
        &pick(&settings.q_endpoint, q_endpoint),
    )?)
}

type ClientKey = (String, Option<String>);

/// The clients, built once and shared.
pub(crate) struct Upstream {
    /// The `upstream.*` block; a `q_endpoint` at the old default URL is cleared (per region).
    settings: UpstreamConfig,
    pub q: QClient,
    /// Hosts of the two service regions, parsed at start-up (the hot path only clones an `Arc`).
    regions: [(&'static str, Arc<Endpoints>); 2],
    /// Hosts of any other region an ARN names, parsed on first use.
    other_regions: Mutex<HashMap<String, Arc<Endpoints>>>,
    oidc: Mutex<HashMap<ClientKey, Arc<OidcClient>>>,
    kiro: Mutex<HashMap<String, Arc<KiroAuthClient>>>,
    time_unit: Duration,
}

impl Upstream {
    pub fn new(mut settings: UpstreamConfig, time_unit: Duration) -> Result<Self, ClientError> {
        // The old default `q_endpoint` URL means "per region", like `null`.
        settings.q_endpoint = settings
            .q_endpoint
            .filter(|u| u.trim_end_matches('/') != DEFAULT_Q_ENDPOINT);
        let us = Arc::new(endpoints_for(&settings, KIRO_REGIONS[0])?);
        let eu = Arc::new(endpoints_for(&settings, KIRO_REGIONS[1])?);
        let q = QClient::new(ClientConfig {
            runtime_url: us.runtime().to_string(),
            management_url: us.management().to_string(),
            legacy_q_url: us.legacy_q().to_string(),
            connect_timeout: settings.timeouts.connect,
            first_byte_timeout: settings.timeouts.first_byte,
            idle_timeout: settings.timeouts.idle,
            request_timeout: settings.timeouts.auth,
            ..ClientConfig::default()
        })?;
        Ok(Self {
            settings,
            q,
            regions: [(KIRO_REGIONS[0], us), (KIRO_REGIONS[1], eu)],
            other_regions: Mutex::new(HashMap::new()),
            oidc: Mutex::new(HashMap::new()),
            kiro: Mutex::new(HashMap::new()),
            time_unit,
        })
    }

    /// The hosts of an API region.
    pub fn endpoints(&self, region: &str) -> Arc<Endpoints> {
        if let Some((_, e)) = self.regions.iter().find(|(r, _)| *r == region) {
            return Arc::clone(e);
        }
        let mut map = self
            .other_regions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = map.get(region) {
            return Arc::clone(e);
        }
        // A region that does not make valid host names (a broken ARN) gets the default region's.
        let e = endpoints_for(&self.settings, region)
            .map_or_else(|_| Arc::clone(&self.regions[0].1), Arc::new);
        map.insert(region.to_owned(), Arc::clone(&e));
        e
    }

    /// Management hosts to ask for IAM Identity Center profiles: both service regions (§2, as
    /// the IDE does), or the one configured host. Each with its region.
    pub fn profile_hosts(&self) -> Vec<(&'static str, Arc<Endpoints>)> {
        if self.settings.management_endpoint.is_some() {
            vec![(self.regions[0].0, Arc::clone(&self.regions[0].1))]
        } else {
            self.regions
                .iter()
                .map(|(r, e)| (*r, Arc::clone(e)))
                .collect()
        }
    }

    /// Whether a failed call on the new hosts should move the account to the legacy host
    /// (`upstream.legacy_fallback`, [`ClientError::is_fallback_candidate`]).
    pub fn fallback_candidate(&self, e: &ClientError) -> bool {
        self.settings.legacy_fallback
            && e.is_fallback_candidate(&self.settings.legacy_fallback_on_403)
    }

    fn proxy_for(&self, info: &Info) -> Option<String> {
        info.proxy_url.clone().or_else(|| self.default_proxy())
    }

    /// The OIDC client for a region (and proxy).
    pub fn oidc(&self, region: &str, proxy: Option<String>) -> Result<Arc<OidcClient>, AuthError> {
        let base = if self.settings.oidc_endpoint == DEFAULT_OIDC_ENDPOINT {
            oidc_endpoint(region)
        } else {
            self.settings.oidc_endpoint.clone()
        };
        let key = (base, proxy);
        let mut map = self.oidc.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = map.get(&key) {
            return Ok(Arc::clone(c));
        }
        let client = Arc::new(
            OidcClient::new(key.0.clone(), self.settings.timeouts.connect)?
                .with_request_timeout(self.settings.timeouts.auth)
                .with_time_unit(self.time_unit)
                .with_proxy(key.1.clone()),
        );
        map.insert(key, Arc::clone(&client));
        Ok(client)
    }

    /// The Kiro auth client for an account's region.
    pub fn kiro_for(&self, info: &Info) -> Result<Arc<KiroAuthClient>, AuthError> {
        let base = if self.settings.kiro_auth_endpoint == DEFAULT_KIRO_AUTH_ENDPOINT {
            kiro_auth_endpoint(&info.oidc_region)
        } else {
            self.settings.kiro_auth_endpoint.clone()
        };
        let mut map = self.kiro.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = map.get(&base) {
            return Ok(Arc::clone(c));
        }
        let client = Arc::new(
            KiroAuthClient::new(base.clone(), self.settings.timeouts.connect)?
                .with_request_timeout(self.settings.timeouts.auth),
        );
        map.insert(base, Arc::clone(&client));
        Ok(client)
    }

    /// A sign-in client of the Kiro auth host of `region` (issue 21); built per sign-in, which
    /// is rare enough not to need caching.
    pub fn kiro_login(&self, region: &str) -> Result<KiroLoginClient, AuthError> {
        let base = if self.settings.kiro_auth_endpoint == DEFAULT_KIRO_AUTH_ENDPOINT {
            kiro_auth_endpoint(region)
        } else {
            self.settings.kiro_auth_endpoint.clone()
        };
        Ok(KiroLoginClient::new(base, self.settings.timeouts.connect)?
            .with_request_timeout(self.settings.timeouts.auth))
    }

    /// Whether accounts may fall back to the legacy `q.*` host (`upstream.legacy_fallback`).
    pub fn legacy_fallback(&self) -> bool {
        self.settings.legacy_fallback
    }

    /// TCP connect timeout of every upstream call.
    pub fn connect_timeout(&self) -> Duration {
        self.settings.timeouts.connect
    }

    /// The auth host an account refreshes at: SSO OIDC (Builder ID, IdC) or Kiro auth (social).
    pub fn auth_base(&self, info: &Info) -> String {
        match info.auth_method {
            AuthMethod::Social
                if self.settings.kiro_auth_endpoint == DEFAULT_KIRO_AUTH_ENDPOINT =>
            {
                kiro_auth_endpoint(&info.oidc_region)
            }
            AuthMethod::Social => self.settings.kiro_auth_endpoint.clone(),
            _ if self.settings.oidc_endpoint == DEFAULT_OIDC_ENDPOINT => {
                oidc_endpoint(&info.oidc_region)
            }
            _ => self.settings.oidc_endpoint.clone(),
        }
    }

    /// The proxy for calls not tied to an account (device login).
    pub fn default_proxy(&self) -> Option<String> {
        self.settings.proxy.as_ref().map(|p| p.expose().to_owned())
    }

    /// Proxy to use for an account's refresh calls.
    pub fn refresh_proxy(&self, info: &Info) -> Option<String> {
        self.proxy_for(info)
    }

    /// The account's own profile ARN: the stored/refreshed one, never for Builder ID (its ARN
    /// is request-scoped, [`amazonq::client::BUILDER_ID_SERVICE_ARN`]).
    pub fn own_profile<'a>(info: &Info, token: &'a Token) -> Option<&'a str> {
        match info.auth_method {
            AuthMethod::BuilderId => None,
            AuthMethod::Idc | AuthMethod::Social => token.profile_arn.as_deref(),
        }
    }

    /// The API region of an account (its own ARN's region, else mapped from its stored region).
    pub fn api_region<'a>(info: &'a Info, token: &'a Token) -> &'a str {
        Self::own_profile(info, token)
            .and_then(amazonq::types::arn_region)
            .unwrap_or_else(|| api_region_for(&info.api_region))
    }

    /// Per-call credentials for an account on `host`.
    pub fn credentials(&self, info: &Info, token: &Token, host: Host) -> Credentials {
        let (dialect, auth_kind) = match info.auth_method {
            AuthMethod::BuilderId => (Dialect::AmazonQ, AuthKind::BuilderId),
            AuthMethod::Idc => (Dialect::AmazonQ, AuthKind::IdentityCenter),
            AuthMethod::Social => (Dialect::Kiro, AuthKind::Social),
        };
        let machine_id = (dialect == Dialect::Kiro).then(|| {
            kiro_machine_id(
                token
                    .profile_arn
                    .as_deref()
                    .unwrap_or(token.refresh_token.as_str()),
            )
        });
        Credentials {
            dialect,
            auth_kind,
            host,
            access_token: token.access_token.clone().unwrap_or_default(),
            profile_arn: Self::own_profile(info, token).map(str::to_owned),
            endpoints: Some(self.endpoints(Self::api_region(info, token))),
            proxy: self.proxy_for(info),
            machine_id,
        }
    }
}
