//! Which host a call goes to (kiro-2026-endpoints.md §1): chat on `runtime.<r>.kiro.dev`, the
//! account APIs (profiles, usage limits, model list) on `management.<r>.kiro.dev`, and the legacy
//! `q.<r>.amazonaws.com` only as a per-account fallback. `<r>` is the account's API region: the
//! region of its own profile ARN, else mapped from the auth region (only us-east-1 and
//! eu-central-1 host the service). URLs are parsed once per region/configuration and shared
//! ([`Endpoints`] behind an `Arc`), never per request.

use crate::http::{TransportError, join};

/// The regions that host the Kiro service (§1).
pub const KIRO_REGIONS: [&str; 2] = ["us-east-1", "eu-central-1"];

/// Chat host of a region: `https://runtime.<region>.kiro.dev`.
pub fn runtime_endpoint(region: &str) -> String {
    format!("https://runtime.{region}.kiro.dev")
}

/// Account-API host of a region: `https://management.<region>.kiro.dev`.
pub fn management_endpoint(region: &str) -> String {
    format!("https://management.{region}.kiro.dev")
}

/// The legacy Q host of a region (`q.{region}.amazonaws.com`, spec §1).
pub fn q_endpoint(region: &str) -> String {
    format!("https://q.{region}.amazonaws.com")
}

/// The API region for an auth (SSO / Kiro auth) region: `eu-*` → eu-central-1, anything else
/// → us-east-1 (§1, as PI maps it).
pub fn api_region_for(auth_region: &str) -> &'static str {
    if auth_region.starts_with("eu-") {
        "eu-central-1"
    } else {
        "us-east-1"
    }
}

/// The API region of an account: its own profile ARN's region when it has one (the ARN wins,
/// §1), else [`api_region_for`] the auth region. Never pass the Builder ID service ARN here: it
/// is request-scoped and says nothing about the account (§2).
pub fn api_region(own_profile_arn: Option<&str>, auth_region: &str) -> String {
    own_profile_arn
        .and_then(crate::types::arn_region)
        .map_or_else(|| api_region_for(auth_region).to_owned(), str::to_owned)
}

/// The host an account's calls go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Host {
    /// `runtime.*` (chat) and `management.*` (account APIs): the default.
    #[default]
    Runtime,
    /// `q.*`: today's format of both dialects (spec §4.1, R17), the fallback.
    LegacyQ,
}

impl Host {
    /// `runtime` / `legacy_q` (admin API, console, logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Runtime => "runtime",
            Self::LegacyQ => "legacy_q",
        }
    }
}

/// The parsed base URLs of one API region (or of a configured override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    runtime: reqwest::Url,
    management: reqwest::Url,
    legacy_q: reqwest::Url,
    /// `{legacy_q}/generateAssistantResponse` (the legacy Kiro dialect's chat path).
    legacy_kiro_chat: reqwest::Url,
}

fn parse(url: &str) -> Result<reqwest::Url, TransportError> {
    reqwest::Url::parse(&join(url, "/")).map_err(|_| TransportError::InvalidUrl(url.to_owned()))
}

impl Endpoints {
    /// Parses the three base URLs.
    pub fn new(runtime: &str, management: &str, legacy_q: &str) -> Result<Self, TransportError> {
        let legacy_kiro_chat = join(legacy_q, "/generateAssistantResponse");
        Ok(Self {
            runtime: parse(runtime)?,
            management: parse(management)?,
            legacy_q: parse(legacy_q)?,
            legacy_kiro_chat: reqwest::Url::parse(&legacy_kiro_chat)
                .map_err(|_| TransportError::InvalidUrl(legacy_q.to_owned()))?,
        })
    }

    /// The real hosts of `region`.
    pub fn for_region(region: &str) -> Result<Self, TransportError> {
        Self::new(
            &runtime_endpoint(region),
            &management_endpoint(region),
            &q_endpoint(region),
        )
    }

    /// Every host at `base` (a simulator or relay playing all of them).
    pub fn single(base: &str) -> Result<Self, TransportError> {
        Self::new(base, base, base)
    }

    /// Chat host root (`POST /`).
    pub fn runtime(&self) -> &reqwest::Url {
        &self.runtime
    }

    /// Account-API host root.
    pub fn management(&self) -> &reqwest::Url {
        &self.management
    }

    /// Legacy Q host root (chat in the Amazon Q dialect, account APIs).
    pub fn legacy_q(&self) -> &reqwest::Url {
        &self.legacy_q
    }

    /// Legacy Kiro-dialect chat URL.
    pub fn legacy_kiro_chat(&self) -> &reqwest::Url {
        &self.legacy_kiro_chat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_region_prefers_the_own_arn_then_maps_the_auth_region() {
        let eu = "arn:aws:codewhisperer:eu-central-1:123456789012:profile/X";
        assert_eq!(api_region(Some(eu), "us-east-1"), "eu-central-1");
        assert_eq!(api_region(None, "eu-west-1"), "eu-central-1");
        assert_eq!(api_region(None, "ap-southeast-2"), "us-east-1");
        assert_eq!(api_region(Some("not an arn"), "eu-north-1"), "eu-central-1");
    }

    #[test]
    fn endpoints_of_a_region_are_the_kiro_hosts_and_legacy_q() {
        let e = Endpoints::for_region("eu-central-1").unwrap();
        let hosts = [
            e.runtime(),
            e.management(),
            e.legacy_q(),
            e.legacy_kiro_chat(),
        ];
        assert_eq!(
            hosts.map(reqwest::Url::as_str),
            [
                "https://runtime.eu-central-1.kiro.dev/",
                "https://management.eu-central-1.kiro.dev/",
                "https://q.eu-central-1.amazonaws.com/",
                "https://q.eu-central-1.amazonaws.com/generateAssistantResponse",
            ]
        );
        assert!(Endpoints::single("not a url").is_err());
    }
}
