//! Simulator configuration: the `--config FILE` format (YAML or JSON) and the in-process [`SimConfig`].
//!
//! Implements the configurable knobs of amazon-q-protocol.md §8.1–§8.6: token and registration
//! lifetimes, refresh-token rotation, device-flow timing, the model and profile lists, the
//! Q-dialect monthly-quota status, pacing defaults and which validation rules are on.
//! Every field has a default, so an empty file is a valid configuration.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::terms::{Entitlement, Limits, TokenPolicy};

/// Which kind of login issued an account's tokens (drives the profile rules and the refresh endpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// AWS Builder ID through SSO OIDC: the service profile ARN on the new hosts, none on `q.*` (R17).
    #[default]
    BuilderId,
    /// IAM Identity Center through SSO OIDC.
    Idc,
    /// Kiro social login (refreshes at `/refreshToken`).
    Social,
}

/// What a refresh does to the refresh token (amazon-q-protocol.md §2.5, §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rotation {
    /// A new refresh token every time; the old one stops working.
    #[default]
    Rotate,
    /// The same refresh token is returned again.
    Keep,
    /// `refreshToken` is left out of the response; the old one stays valid.
    Omit,
}

/// When to append the optional `:<url>` suffix to `x-amzn-ErrorType` (§8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ErrorTypeSuffix {
    Never,
    Always,
    /// Every other error response, so clients must sanitize the header.
    #[default]
    Alternate,
}

/// One model as ListAvailableModels reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ModelSpec {
    pub model_id: String,
    pub model_name: Option<String>,
    /// Catalog text (default: `<id> (simulated)`).
    pub description: Option<String>,
    pub max_input_tokens: u64,
    pub max_output_tokens: u64,
    pub rate_multiplier: f64,
    /// JSON Schema of the `additionalModelRequestFields` this model accepts (None: none accepted).
    pub additional_model_request_fields_schema: Option<serde_json::Value>,
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self {
            model_id: String::new(),
            model_name: None,
            description: None,
            max_input_tokens: 200_000,
            max_output_tokens: 64_000,
            rate_multiplier: 1.0,
            additional_model_request_fields_schema: None,
        }
    }
}

/// A profile as ListAvailableProfiles reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSpec {
    pub arn: String,
    pub profile_name: String,
    /// Region whose endpoint lists this profile.
    #[serde(default = "default_region")]
    pub region: String,
    /// Model ids this profile entitles (None = the whole configured catalog).
    #[serde(default)]
    pub models: Option<Vec<String>>,
}

/// An account created at start-up (or through the control API / [`crate::SimHandle::add_account`]).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[serde(default)]
pub struct AccountSpec {
    /// Stable id; generated when empty.
    pub id: String,
    pub kind: AuthKind,
    /// Fixed access token (generated when absent).
    pub access_token: Option<String>,
    /// Fixed refresh token (generated when absent; keep it ≥ 100 chars for Kiro).
    pub refresh_token: Option<String>,
    #[serde(flatten)]
    pub token_policy: TokenPolicy,
    /// Social: the ARN `/refreshToken` returns (default: a shared one). IdC: one more own profile.
    /// Legacy host: forbidden in chat bodies for Builder ID (R17).
    pub profile_arn: Option<String>,
    /// IdC (and social) profiles with their region and catalog; None = the global `profiles`.
    pub profiles: Option<Vec<ProfileSpec>>,
    pub suspended: bool,
    #[serde(flatten)]
    pub limits: Limits,
    /// Requests already used this month.
    pub usage: u64,
    /// The first N chat requests answer 429 ThrottlingException ("throttle burst").
    pub throttle_first: u32,
    #[serde(flatten)]
    pub entitlement: Entitlement,
    pub email: Option<String>,
}

/// SSO OIDC fake settings (§8.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OidcConfig {
    pub registration_lifetime_s: i64,
    pub device_expires_in_s: i64,
    pub device_interval_s: i64,
    /// Answer `slow_down` (and add 5 s to the interval) when polled faster than `interval`.
    pub enforce_slow_down: bool,
    pub access_ttl_s: i64,
    pub rotation: Rotation,
    /// A rotated-away refresh token keeps working this long (0: invalid at once).
    pub rotation_grace_ms: i64,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            registration_lifetime_s: 90 * 86_400,
            device_expires_in_s: 600,
            device_interval_s: 5,
            enforce_slow_down: true,
            access_ttl_s: 3600,
            rotation: Rotation::Rotate,
            rotation_grace_ms: 0,
        }
    }
}

/// Kiro auth fake settings (§8.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct KiroConfig {
    pub access_ttl_s: i64,
    pub rotation: Rotation,
    /// Status for an unknown refresh token: 400 (`invalid_grant`, the observed default) or 401.
    pub invalid_status: u16,
    /// A rotated-away refresh token keeps working this long (0: invalid at once).
    pub rotation_grace_ms: i64,
}

impl Default for KiroConfig {
    fn default() -> Self {
        Self {
            access_ttl_s: 3600,
            rotation: Rotation::Rotate,
            invalid_status: 400,
            rotation_grace_ms: 0,
        }
    }
}

/// Pacing of a response stream (issue 3 "Pacing").
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Pacing {
    /// Delay before the first frame.
    pub first_frame_ms: u64,
    /// Delay between frames.
    pub interval_ms: u64,
    /// Characters of text per `assistantResponseEvent`.
    pub chunk_chars: usize,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            first_frame_ms: 0,
            interval_ms: 0,
            chunk_chars: 16,
        }
    }
}

/// Chat-endpoint behaviour (§8.4).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ChatConfig {
    /// Status of the Q-dialect MONTHLY_REQUEST_COUNT ThrottlingException (429 per the Addendum).
    pub q_monthly_status: u16,
    /// Status of the Kiro-dialect monthly quota error (402 per the Addendum).
    pub kiro_monthly_status: u16,
    /// Send `initial-response` first on dialect Q / dialect K.
    pub initial_response_q: bool,
    pub initial_response_k: bool,
    /// Send `meteringEvent` + `contextUsageEvent` at the end of dialect-K streams.
    pub kiro_usage_events: bool,
    pub error_type_suffix: ErrorTypeSuffix,
    /// Honour the opt-in `x-sim-fault` request header.
    pub allow_fault_header: bool,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            q_monthly_status: 429,
            kiro_monthly_status: 402,
            initial_response_q: true,
            initial_response_k: false,
            kiro_usage_events: true,
            error_type_suffix: ErrorTypeSuffix::Alternate,
            allow_fault_header: true,
        }
    }
}

/// The whole simulator configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SimConfig {
    /// Address for the binary (`--listen` overrides); the library always binds 127.0.0.1:0
    /// unless this is set.
    pub listen: Option<String>,
    /// Address of the second listener, which always plays the legacy `q.*` host (default: the
    /// main listener's IP, a free port).
    pub legacy_listen: Option<String>,
    /// What the main listener plays: `runtime` (runtime + management, the default) or `legacy_q`.
    pub host_mode: crate::host::HostMode,
    /// Serve `/__sim/` to non-loopback peers too. Off by default: the control API can mint tokens.
    pub control_non_loopback: bool,
    pub seed: u64,
    /// Freeze the clock at this epoch-ms start instead of following the system clock.
    pub clock_start_ms: Option<i64>,
    /// The region of both listeners: ListAvailableProfiles lists its profiles, and the runtime
    /// refuses profile ARNs of another region (403 bearer invalid).
    pub region: String,
    pub oidc: OidcConfig,
    pub kiro: KiroConfig,
    pub chat: ChatConfig,
    pub pacing: Pacing,
    pub models: Vec<ModelSpec>,
    pub default_model: String,
    /// Ids accepted by the model check but not listed (e.g. legacy `CLAUDE_3_7_SONNET_20250219_V1_0`).
    pub hidden_models: Vec<String>,
    pub profiles: Vec<ProfileSpec>,
    /// Rule switches by name (`R1`…`R22`, `schema`, `model`, `size`, `quota`); unnamed rules keep their default.
    pub rules: BTreeMap<String, bool>,
    pub accounts: Vec<AccountSpec>,
    /// Keep at most this many request-log entries (oldest dropped first).
    pub log_limit: usize,
    /// Record request bodies in the log.
    pub log_bodies: bool,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// The default catalog: today's model ids ([`crate::catalog::default_models`]).
pub fn default_models() -> Vec<ModelSpec> {
    crate::catalog::default_models()
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: None,
            legacy_listen: None,
            host_mode: crate::host::HostMode::Runtime,
            control_non_loopback: false,
            seed: 0x5157_u64,
            clock_start_ms: None,
            region: default_region(),
            oidc: OidcConfig::default(),
            kiro: KiroConfig::default(),
            chat: ChatConfig::default(),
            pacing: Pacing::default(),
            models: default_models(),
            default_model: "claude-sonnet-4.5".to_owned(),
            hidden_models: vec![
                "CLAUDE_SONNET_4_5_20250929_V1_0".to_owned(),
                "CLAUDE_SONNET_4_20250514_V1_0".to_owned(),
                "CLAUDE_3_7_SONNET_20250219_V1_0".to_owned(),
                "claude-3.7-sonnet".to_owned(),
            ],
            profiles: vec![
                ProfileSpec {
                    arn: "arn:aws:codewhisperer:us-east-1:123456789012:profile/SIMPROFILE1"
                        .to_owned(),
                    profile_name: "sim-us".to_owned(),
                    region: "us-east-1".to_owned(),
                    models: None,
                },
                ProfileSpec {
                    arn: "arn:aws:codewhisperer:eu-central-1:123456789012:profile/SIMPROFILE2"
                        .to_owned(),
                    profile_name: "sim-eu".to_owned(),
                    region: "eu-central-1".to_owned(),
                    models: None,
                },
            ],
            rules: BTreeMap::new(),
            accounts: Vec::new(),
            log_limit: 10_000,
            log_bodies: true,
        }
    }
}

/// Errors loading a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Parse {
        path: String,
        source: serde_yaml::Error,
    },
}

impl SimConfig {
    /// Loads a YAML (or JSON, which is YAML) config file.
    pub fn from_file(path: &str) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    pub fn from_yaml(text: &str) -> Result<Self, serde_yaml::Error> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_file_parses() {
        let c = SimConfig::from_yaml(include_str!("../sim.example.yaml")).unwrap();
        assert_eq!(c.accounts.len(), 3);
        assert_eq!(c.accounts[1].kind, AuthKind::Social);
        assert_eq!(c.host_mode, crate::host::HostMode::Runtime);
        let idc = c.accounts[2].profiles.as_ref().unwrap();
        assert_eq!(idc[1].models.as_ref().unwrap().len(), 2);
        assert_eq!(
            c.models[2].additional_model_request_fields_schema,
            Some(crate::catalog::effort_schema())
        );
        assert_eq!(c.models[2].max_input_tokens, 1_000_000);
        assert_eq!(
            c.models[1].max_input_tokens, 200_000,
            "per-model defaults fill in"
        );
        assert_eq!(c.oidc, OidcConfig::default());
        assert_eq!(c.chat, ChatConfig::default());
    }

    #[test]
    fn empty_and_partial_files_fill_defaults() {
        assert_eq!(SimConfig::from_yaml("").unwrap(), SimConfig::default());
        let c = SimConfig::from_yaml(
            "oidc:\n  device_interval_s: 1\naccounts:\n  - id: a1\n    kind: social\n    monthly_limit: 3\nrules:\n  R11: false\n",
        )
        .unwrap();
        assert_eq!(c.oidc.device_interval_s, 1);
        assert_eq!(c.oidc.access_ttl_s, 3600);
        assert_eq!(c.accounts[0].kind, AuthKind::Social);
        assert_eq!(c.accounts[0].limits.monthly_limit, Some(3));
        assert_eq!(c.rules.get("R11"), Some(&false));
        assert!(SimConfig::from_yaml("oidc: [").is_err());
    }
}
