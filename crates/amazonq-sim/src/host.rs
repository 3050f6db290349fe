//! Which upstream host a request is played as (kiro-2026-endpoints.md §1, §9 item 1).
//!
//! Since 2026-05-15 Kiro serves chat on `runtime.<r>.kiro.dev` and profiles, usage limits and the
//! model catalog on `management.<r>.kiro.dev`; `q.<r>.amazonaws.com` still answers some callers
//! as a legacy host. The simulator's main listener plays runtime + management by default
//! ([`HostMode::Runtime`]) or the legacy host ([`HostMode::LegacyQ`]); a second listener always
//! plays the legacy host. Both share one state. Each logged request records its [`HostRole`].
//! Pure code.

use serde::{Deserialize, Serialize};

/// What the main listener plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HostMode {
    /// `runtime.<r>.kiro.dev` (chat) + `management.<r>.kiro.dev` (account APIs): today's service.
    #[default]
    Runtime,
    /// `q.<r>.amazonaws.com`: the pre-2026 rules (R17 and the rest of amazon-q-protocol.md).
    LegacyQ,
}

/// Which listener accepted a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// `base_url()`: follows the configured / switched [`HostMode`].
    Main,
    /// `legacy_q_url()`: always [`HostMode::LegacyQ`].
    Legacy,
}

/// The host role that served one request (the request log's `host` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostRole {
    Runtime,
    Management,
    LegacyQ,
    /// OIDC and Kiro auth (unchanged by the migration).
    Auth,
}

impl HostRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Runtime => "runtime",
            Self::Management => "management",
            Self::LegacyQ => "legacy_q",
            Self::Auth => "auth",
        }
    }
}

/// Paths of the OIDC and Kiro auth fakes.
const AUTH_PATHS: [&str; 7] = [
    "/client/register",
    "/device_authorization",
    "/token",
    "/device",
    "/refreshToken",
    "/login",
    "/oauth/token",
];

/// JSON 1.0 services of the management host (§1: profiles, usage limits, model list).
pub fn is_management_target(target: &str) -> bool {
    let service = target.split_once('.').map_or(target, |(s, _)| s);
    matches!(
        service,
        "AmazonCodeWhispererService" | "KiroControlPlaneBearerService"
    )
}

/// The role a request plays, from the listener's mode, the path and `x-amz-target`.
pub fn role(mode: HostMode, path: &str, target: &str) -> HostRole {
    if AUTH_PATHS.contains(&path) {
        return HostRole::Auth;
    }
    match mode {
        HostMode::LegacyQ => HostRole::LegacyQ,
        HostMode::Runtime if path == "/" && is_management_target(target) => HostRole::Management,
        HostMode::Runtime => HostRole::Runtime,
    }
}

/// The region a request's `Host` names (`q.<r>.amazonaws.com`, `runtime.<r>.kiro.dev`,
/// `management.<r>.kiro.dev`); loopback hosts (every test) fall back to `default`.
pub fn region_of_host(host: Option<&str>, default: &str) -> String {
    let host = host.unwrap_or("");
    ["q.", "runtime.", "management."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .and_then(|rest| rest.split('.').next())
        .filter(|r| !r.is_empty() && !r.contains(':'))
        .map_or_else(|| default.to_owned(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_mode_path_and_target() {
        let m = HostMode::Runtime;
        assert_eq!(role(m, "/token", ""), HostRole::Auth);
        assert_eq!(
            role(m, "/", "KiroRuntimeService.GenerateAssistantResponse"),
            HostRole::Runtime
        );
        assert_eq!(
            role(m, "/", "KiroControlPlaneBearerService.ListAvailableModels"),
            HostRole::Management
        );
        assert_eq!(role(m, "/ListAvailableModels", ""), HostRole::Runtime);
        assert_eq!(
            role(
                HostMode::LegacyQ,
                "/",
                "AmazonCodeWhispererService.GetUsageLimits"
            ),
            HostRole::LegacyQ
        );
        assert_eq!(
            region_of_host(Some("runtime.eu-central-1.kiro.dev"), "us-east-1"),
            "eu-central-1"
        );
        assert_eq!(
            region_of_host(Some("127.0.0.1:5"), "us-east-1"),
            "us-east-1"
        );
    }
}
