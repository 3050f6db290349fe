//! The smaller `config.yaml` sections: `server`, `upstream`, `security`, `metrics`, `redis`,
//! `models`, `images`, `stream`, `responses`. Each denies unknown fields; defaults are the documented ones
//! (`config.example.yaml`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::{
    DEFAULT_KIRO_AUTH_ENDPOINT, DEFAULT_MAX_BODY_BYTES, DEFAULT_OIDC_ENDPOINT, DEFAULT_PORT, Secret,
};

/// `server.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Bind address.
    pub host: String,
    /// Port. Env `PORT`.
    pub port: u16,
    /// Upper bound, in seconds, on draining open streams at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".into(),
            port: DEFAULT_PORT,
            shutdown_grace_secs: 30,
        }
    }
}

/// `upstream.*` (hosts: kiro-2026-endpoints.md §1). Each `*_endpoint` left `null` is the
/// per-region default of every account (its API region); a URL is used for every account (a
/// simulator, a relay).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Chat host (`GenerateAssistantResponse`); `null` = `https://runtime.<api_region>.kiro.dev`.
    pub runtime_endpoint: Option<String>,
    /// Profiles / usage limits / model list; `null` = `https://management.<api_region>.kiro.dev`.
    pub management_endpoint: Option<String>,
    /// The legacy Amazon Q host, used only as a per-account fallback; `null` =
    /// `https://q.<api_region>.amazonaws.com` (the old default URL means the same).
    pub q_endpoint: Option<String>,
    /// Whether an account may fall back to `q_endpoint` (on a connection/DNS failure, a 404
    /// `UnknownOperationException`, or a 403 listed in `legacy_fallback_on_403`; never on a 400).
    pub legacy_fallback: bool,
    /// Substrings (case-insensitive) of 403 messages that make an account try the legacy host.
    pub legacy_fallback_on_403: Vec<String>,
    /// AWS SSO OIDC base URL.
    pub oidc_endpoint: String,
    /// Kiro auth service base URL.
    pub kiro_auth_endpoint: String,
    /// Outbound HTTP(S) proxy. Env `HTTPS_PROXY` / `HTTP_PROXY`.
    pub proxy: Option<Secret>,
    /// Timeouts, in seconds.
    pub timeouts: UpstreamTimeouts,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            runtime_endpoint: None,
            management_endpoint: None,
            q_endpoint: None,
            legacy_fallback: true,
            legacy_fallback_on_403: default_fallback_403s(),
            oidc_endpoint: DEFAULT_OIDC_ENDPOINT.into(),
            kiro_auth_endpoint: DEFAULT_KIRO_AUTH_ENDPOINT.into(),
            proxy: None,
            timeouts: UpstreamTimeouts::default(),
        }
    }
}

impl UpstreamConfig {
    /// Every host at `base` (a simulator playing runtime, management and the auth services on
    /// one listener), no proxy; the fallback rule and timeouts are kept.
    pub fn point_at(&mut self, base: &str) {
        self.runtime_endpoint = Some(base.to_owned());
        self.management_endpoint = Some(base.to_owned());
        self.q_endpoint = Some(base.to_owned());
        base.clone_into(&mut self.oidc_endpoint);
        base.clone_into(&mut self.kiro_auth_endpoint);
        self.proxy = None;
    }

    /// Every host at `base` with short timeouts: the pool against a simulator (tests, benches).
    pub fn single_host(base: &str) -> Self {
        let mut c = Self {
            timeouts: UpstreamTimeouts {
                connect: Duration::from_secs(5),
                first_byte: Duration::from_secs(10),
                idle: Duration::from_secs(30),
                auth: Duration::from_secs(10),
            },
            ..Self::default()
        };
        c.point_at(base);
        c
    }
}

/// The 403s that move an account to the legacy host by default: both wordings of a bearer token
/// the host refuses even after a refresh, which on the 2026 hosts means the token's region is not
/// the host's (kiro-2026-endpoints.md §1, §8).
pub fn default_fallback_403s() -> Vec<String> {
    vec![
        "bearer token invalid".into(),
        "bearer token included in the request is invalid".into(),
    ]
}

/// `upstream.timeouts.*`, whole seconds in the file. Read as [`Duration`]s, so a test can give
/// the pool a sub-second bound.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamTimeouts {
    /// TCP + TLS connect.
    #[serde(with = "secs")]
    pub connect: Duration,
    /// From request sent to first response byte.
    #[serde(with = "secs")]
    pub first_byte: Duration,
    /// Longest silence allowed inside a stream.
    #[serde(with = "secs")]
    pub idle: Duration,
    /// Whole token-refresh / OIDC call.
    #[serde(with = "secs")]
    pub auth: Duration,
}

impl Default for UpstreamTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_mins(2),
            idle: Duration::from_mins(5),
            auth: Duration::from_secs(30),
        }
    }
}

/// A [`Duration`] written as whole seconds.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// `security.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Peers whose `X-Forwarded-For` / `X-Real-IP` are believed (addresses or CIDR ranges).
    #[serde(deserialize_with = "addresses_or_ranges")]
    pub trusted_proxies: Vec<IpNet>,
    /// Request body cap in bytes (413 beyond).
    pub max_body_bytes: u64,
    /// Base64 32-byte key for credentials at rest. Absent → `encryption_key_file`, else generated
    /// into the data folder on first start.
    pub encryption_key: Option<Secret>,
    /// File holding the key (base64).
    pub encryption_key_file: Option<PathBuf>,
    /// Admin session lifetime in hours.
    pub session_ttl_hours: u64,
    /// Failed logins from one IP before it is locked out.
    pub login_max_failures: u32,
    /// Lockout length in seconds.
    pub login_lockout_secs: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            encryption_key: None,
            encryption_key_file: None,
            session_ttl_hours: 24,
            login_max_failures: 5,
            login_lockout_secs: 300,
        }
    }
}

/// `metrics.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` on this separate address as well (e.g. `127.0.0.1:9100`).
    pub listen: Option<SocketAddr>,
}

/// `redis.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://…`; absent = single node.
    pub url: Option<Secret>,
    /// Prefix of every Redis key and channel (several fleets may share one Redis); default
    /// `claude-api`.
    pub key_prefix: Option<String>,
    /// Lifetime of an account lease in milliseconds: a crashed instance's slots free themselves
    /// after this long; live leases are renewed every third of it. Default 30 000.
    pub lease_ttl_ms: Option<u64>,
    /// Bound of one Redis call in milliseconds; a call that takes longer counts as "Redis down"
    /// (per-instance fallback until a probe succeeds). Default 500.
    pub call_timeout_ms: Option<u64>,
}

/// `models.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Extra alias rows, matched before the built-in table (`id`, `upstream_id`, `display_name`,
    /// `created`, `listed`, `thinking`).
    pub aliases: Vec<translate::models::ModelEntry>,
    /// Upstream model id used for unknown names; absent = unknown names get 404.
    pub fallback: Option<String>,
}

/// `images.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagesConfig {
    /// Fetch `http(s)` image URLs; false = such images get 400.
    pub fetch_remote: bool,
    /// Whole-fetch timeout per image, in milliseconds.
    pub timeout_ms: u64,
    /// Largest image fetched, in bytes.
    pub max_bytes: u64,
    /// Also fetch from loopback, private, link-local and other non-public addresses (issue 16
    /// §2). Off by default: a key holder could otherwise reach this machine or the LAN.
    pub allow_private_addresses: bool,
}

impl Default for ImagesConfig {
    fn default() -> Self {
        Self {
            fetch_remote: true,
            timeout_ms: 10_000,
            max_bytes: 10 * 1024 * 1024,
            allow_private_addresses: false,
        }
    }
}

/// `stream.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Keep-alive (`ping` / SSE comment) after this much upstream silence, in milliseconds.
    pub keepalive_ms: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            keepalive_ms: 15_000,
        }
    }
}

/// `responses.*`: how long Responses API answers are kept for `previous_response_id` (issue 18).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponsesConfig {
    /// Stored answers older than this are deleted (hourly housekeeping), in hours.
    pub store_max_age_hours: u64,
    /// At most this many stored answers are kept (the oldest go first); 0 = never store.
    pub store_max_count: u64,
}

impl Default for ResponsesConfig {
    fn default() -> Self {
        Self {
            store_max_age_hours: 24 * 30,
            store_max_count: 10_000,
        }
    }
}

/// A list of `1.2.3.4`, `::1` or `10.0.0.0/8` entries (a single address is a /32 or /128).
fn addresses_or_ranges<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<IpNet>, D::Error> {
    let items = Vec::<String>::deserialize(de)?;
    items
        .iter()
        .map(|text| {
            let text = text.trim();
            text.parse::<std::net::IpAddr>()
                .map(IpNet::from)
                .or_else(|_| text.parse::<IpNet>())
                .map_err(|_| {
                    serde::de::Error::custom(format!("`{text}` is not an IP address or CIDR range"))
                })
        })
        .collect()
}
