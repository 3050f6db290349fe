//! Upstream clients of the pool: the Q client (chat + account APIs), OIDC and Kiro-auth clients
//! per region, and per-account [`Credentials`] (spec §1, §2.1: OIDC region and API region are
//! separate; §3: social accounts speak the Kiro dialect and send their profile ARN).
//!
//! Endpoints: when `upstream.*_endpoint` is the real AWS default, each account's own region picks
//! the host (`q.{api_region}`, `oidc.{oidc_region}`, Kiro auth `prod.{oidc_region}`); any other
//! configured URL (a simulator, a corporate relay) is used for every account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, DEFAULT_Q_ENDPOINT, Dialect, QClient,
    kiro_machine_id, q_endpoint,
};
use amazonq::kiro_auth::{DEFAULT_KIRO_AUTH_ENDPOINT, KiroAuthClient, kiro_auth_endpoint};
use amazonq::kiro_login::KiroLoginClient;
use amazonq::oidc::{AuthError, DEFAULT_OIDC_ENDPOINT, OidcClient, oidc_endpoint};
use store::AuthMethod;

use super::slot::{Info, Token};

/// Where and how the pool reaches the upstream.
#[derive(Debug, Clone)]
pub struct UpstreamSettings {
    /// Q base URL (chat and account APIs).
    pub q_endpoint: String,
    /// SSO OIDC base URL.
    pub oidc_endpoint: String,
    /// Kiro auth base URL.
    pub kiro_auth_endpoint: String,
    /// Outbound proxy for accounts without their own.
    pub proxy: Option<String>,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Time to response headers and first body bytes of a chat call.
    pub first_byte_timeout: Duration,
    /// Longest gap between two frames of a stream.
    pub idle_timeout: Duration,
    /// Whole-call timeout of token and account calls.
    pub auth_timeout: Duration,
}

impl UpstreamSettings {
    /// From the `upstream.*` config block.
    pub fn from_config(c: &crate::config::UpstreamConfig) -> Self {
        Self {
            q_endpoint: c.q_endpoint.clone(),
            oidc_endpoint: c.oidc_endpoint.clone(),
            kiro_auth_endpoint: c.kiro_auth_endpoint.clone(),
            proxy: c.proxy.as_ref().map(|p| p.expose().to_owned()),
            connect_timeout: Duration::from_secs(c.timeouts.connect),
            first_byte_timeout: Duration::from_secs(c.timeouts.first_byte),
            idle_timeout: Duration::from_secs(c.timeouts.idle),
            auth_timeout: Duration::from_secs(c.timeouts.auth),
        }
    }

    /// Every host at `base` (a simulator), short timeouts.
    pub fn single_host(base: &str) -> Self {
        Self {
            q_endpoint: base.to_owned(),
            oidc_endpoint: base.to_owned(),
            kiro_auth_endpoint: base.to_owned(),
            proxy: None,
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            auth_timeout: Duration::from_secs(10),
        }
    }
}

type ClientKey = (String, Option<String>);

/// The clients, built once and shared.
pub(crate) struct Upstream {
    settings: UpstreamSettings,
    pub q: QClient,
    oidc: Mutex<HashMap<ClientKey, Arc<OidcClient>>>,
    kiro: Mutex<HashMap<String, Arc<KiroAuthClient>>>,
    time_unit: Duration,
}

impl Upstream {
    pub fn new(settings: UpstreamSettings, time_unit: Duration) -> Result<Self, ClientError> {
        let q = QClient::new(ClientConfig {
            base_url: settings.q_endpoint.clone(),
            connect_timeout: settings.connect_timeout,
            first_byte_timeout: settings.first_byte_timeout,
            idle_timeout: settings.idle_timeout,
            request_timeout: settings.auth_timeout,
            ..ClientConfig::default()
        })?;
        Ok(Self {
            settings,
            q,
            oidc: Mutex::new(HashMap::new()),
            kiro: Mutex::new(HashMap::new()),
            time_unit,
        })
    }

    fn proxy_for(&self, info: &Info) -> Option<String> {
        info.proxy_url
            .clone()
            .or_else(|| self.settings.proxy.clone())
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
            OidcClient::new(key.0.clone(), self.settings.connect_timeout)?
                .with_request_timeout(self.settings.auth_timeout)
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
            KiroAuthClient::new(base.clone(), self.settings.connect_timeout)?
                .with_request_timeout(self.settings.auth_timeout),
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
        Ok(KiroLoginClient::new(base, self.settings.connect_timeout)?
            .with_request_timeout(self.settings.auth_timeout))
    }

    /// Q endpoints to ask for IAM Identity Center profiles (§6.5: the two regions that host Q,
    /// merged); `None` is the client's default base URL.
    pub fn profile_endpoints(&self) -> Vec<Option<String>> {
        if self.settings.q_endpoint == DEFAULT_Q_ENDPOINT {
            vec![None, Some(q_endpoint("eu-central-1"))]
        } else {
            vec![None]
        }
    }

    /// The proxy for calls not tied to an account (device login).
    pub fn default_proxy(&self) -> Option<String> {
        self.settings.proxy.clone()
    }

    /// Proxy to use for an account's refresh calls.
    pub fn refresh_proxy(&self, info: &Info) -> Option<String> {
        self.proxy_for(info)
    }

    /// Per-call credentials for an account.
    pub fn credentials(&self, info: &Info, token: &Token) -> Credentials {
        let (dialect, auth_kind) = match info.auth_method {
            AuthMethod::BuilderId => (Dialect::AmazonQ, AuthKind::BuilderId),
            AuthMethod::Idc => (Dialect::AmazonQ, AuthKind::IdentityCenter),
            AuthMethod::Social => (Dialect::Kiro, AuthKind::Social),
        };
        let base_url = (self.settings.q_endpoint == DEFAULT_Q_ENDPOINT
            && info.api_region != "us-east-1")
            .then(|| q_endpoint(&info.api_region));
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
            access_token: token.access_token.clone().unwrap_or_default(),
            profile_arn: token.profile_arn.clone(),
            base_url,
            proxy: self.proxy_for(info),
            machine_id,
        }
    }
}
