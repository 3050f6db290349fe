//! The model catalog and the profile ARNs of the 2026 hosts (kiro-2026-endpoints.md §2, §5).
//!
//! - [`default_models`]: today's ids with their token limits, credit multipliers and, for Claude
//!   from 4.6 on, the `additionalModelRequestFieldsSchema` that allows native effort.
//! - [`arn_well_formed`] / [`arn_region`]: the ARN pattern the runtime enforces.
//! - [`profiles_of`]: which profile ARNs an account may use, and each profile's catalog.
//!
//! Pure code.

use serde_json::{Value, json};

use crate::accounts::Account;
use crate::config::{AuthKind, ModelSpec, ProfileSpec};

/// The request-scoped profile every Builder ID account sends on the new hosts (§2).
pub const BUILDER_ID_ARN: &str =
    "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX";

/// The shared profile social accounts fall back to when their spec names none.
pub const SOCIAL_DEFAULT_ARN: &str =
    "arn:aws:codewhisperer:us-east-1:699475941385:profile/SIMSOCIAL";

/// The native-effort schema of Claude models from 4.6 on (§4 "Native effort").
pub fn effort_schema() -> Value {
    json!({"type":"object","properties":{
        "output_config":{"type":"object","properties":{"effort":{"type":"string","enum":["low","medium","high","xhigh","max"]}}},
        "thinking":{"type":"object","properties":{"type":{"type":"string","enum":["adaptive"]}}}}})
}

fn model(id: &str, name: &str, window: u64, out: u64, rate: f64, effort: bool) -> ModelSpec {
    ModelSpec {
        model_id: id.to_owned(),
        model_name: Some(name.to_owned()),
        description: None,
        max_input_tokens: window,
        max_output_tokens: out,
        rate_multiplier: rate,
        additional_model_request_fields_schema: effort.then(effort_schema),
    }
}

/// Today's catalog (§5). Windows: Opus 4.7 and later 1,000,000 tokens, other Claude models and
/// `auto` 200,000, models that are not Claude 128,000; output 64,000 for Claude / `auto`, 32,000
/// for the others. Credit multipliers are plausible simulated values, not measurements.
pub fn default_models() -> Vec<ModelSpec> {
    const M: u64 = 1_000_000;
    const K200: u64 = 200_000;
    vec![
        model(
            "claude-opus-4.5",
            "Claude Opus 4.5",
            K200,
            64_000,
            2.2,
            false,
        ),
        model(
            "claude-opus-4.6",
            "Claude Opus 4.6",
            K200,
            64_000,
            2.2,
            true,
        ),
        model("claude-opus-4.7", "Claude Opus 4.7", M, 64_000, 2.2, true),
        model("claude-opus-4.8", "Claude Opus 4.8", M, 64_000, 2.2, true),
        model("claude-opus-5", "Claude Opus 5", M, 64_000, 2.5, true),
        model("claude-opus-5.5", "Claude Opus 5.5", M, 64_000, 2.5, true),
        model(
            "claude-sonnet-4.5",
            "Claude Sonnet 4.5",
            K200,
            64_000,
            1.3,
            false,
        ),
        model(
            "claude-sonnet-4.6",
            "Claude Sonnet 4.6",
            K200,
            64_000,
            1.3,
            true,
        ),
        model(
            "claude-sonnet-5",
            "Claude Sonnet 5",
            K200,
            64_000,
            1.5,
            true,
        ),
        model(
            "claude-sonnet-5.5",
            "Claude Sonnet 5.5",
            K200,
            64_000,
            1.5,
            true,
        ),
        model(
            "claude-haiku-4.5",
            "Claude Haiku 4.5",
            K200,
            64_000,
            0.4,
            false,
        ),
        model(
            "claude-sonnet-4",
            "Claude Sonnet 4",
            K200,
            64_000,
            1.3,
            false,
        ),
        model("auto", "Auto", K200, 64_000, 1.0, false),
        model("deepseek-3.2", "DeepSeek 3.2", 128_000, 32_000, 0.25, false),
        model("minimax-m2.5", "MiniMax M2.5", 128_000, 32_000, 0.15, false),
        model(
            "qwen3-coder-next",
            "Qwen3 Coder Next",
            128_000,
            32_000,
            0.05,
            false,
        ),
        model("glm-5", "GLM 5", 128_000, 32_000, 0.5, false),
    ]
}

/// `^arn:aws:codewhisperer:[a-z0-9-]+:\d{12}:profile/[A-Z0-9]+$`, and not the all-zero placeholder
/// account (`…:000000000000:profile/default` fails the pattern anyway).
pub fn arn_well_formed(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:codewhisperer:") else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(region), Some(account), Some(resource)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(id) = resource.strip_prefix("profile/") else {
        return false;
    };
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && account != "000000000000"
        && !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The 4th field of a profile ARN.
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// The profiles an account may name in `profileArn` on the new hosts.
/// Builder ID: only the service ARN. Social: the ARN its refresh returns. IdC: its own profiles
/// (the spec's `profiles`, else the configured global list, plus a `profile_arn` it was given).
pub fn profiles_of(account: &Account, global: &[ProfileSpec]) -> Vec<ProfileSpec> {
    let own = |arn: &str| ProfileSpec {
        arn: arn.to_owned(),
        profile_name: "default".to_owned(),
        region: arn_region(arn).unwrap_or("us-east-1").to_owned(),
        models: None,
    };
    match account.kind {
        AuthKind::BuilderId => vec![own(BUILDER_ID_ARN)],
        AuthKind::Social => {
            let arn = account.profile_arn.as_deref().unwrap_or(SOCIAL_DEFAULT_ARN);
            vec![
                account
                    .profiles
                    .iter()
                    .flatten()
                    .find(|p| p.arn == arn)
                    .cloned()
                    .unwrap_or_else(|| own(arn)),
            ]
        }
        AuthKind::Idc => {
            let mut list = account.profiles.clone().unwrap_or_else(|| global.to_vec());
            if let Some(arn) = &account.profile_arn
                && !list.iter().any(|p| &p.arn == arn)
            {
                list.push(own(arn));
            }
            list
        }
    }
}

/// The catalog of one profile: the configured models, narrowed by the profile's and the
/// account's model lists.
pub fn catalog<'a>(
    models: &'a [ModelSpec],
    profile: Option<&ProfileSpec>,
    account: Option<&Account>,
) -> Vec<&'a ModelSpec> {
    models
        .iter()
        .filter(|m| {
            profile
                .and_then(|p| p.models.as_ref())
                .is_none_or(|ids| ids.contains(&m.model_id))
                && account
                    .and_then(|a| a.entitlement.models.as_ref())
                    .is_none_or(|ids| ids.contains(&m.model_id))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_pattern_and_placeholder() {
        assert!(arn_well_formed(BUILDER_ID_ARN));
        assert!(arn_well_formed(
            "arn:aws:codewhisperer:eu-central-1:123456789012:profile/ABC1"
        ));
        for bad in [
            "arn:aws:codewhisperer:us-east-1:000000000000:profile/default",
            "arn:aws:codewhisperer:us-east-1:000000000000:profile/ABC",
            "arn:aws:codewhisperer:us-east-1:12345:profile/ABC",
            "arn:aws:codewhisperer:us-east-1:123456789012:profile/abc",
            "arn:aws:codewhisperer:US:123456789012:profile/ABC",
            "...",
            "",
        ] {
            assert!(!arn_well_formed(bad), "{bad}");
        }
        assert_eq!(arn_region(BUILDER_ID_ARN), Some("us-east-1"));
    }

    #[test]
    fn effort_schema_only_on_claude_from_4_6() {
        let with: Vec<String> = default_models()
            .into_iter()
            .filter(|m| m.additional_model_request_fields_schema.is_some())
            .map(|m| m.model_id)
            .collect();
        assert_eq!(with.len(), 8, "{with:?}");
        assert!(
            !with
                .iter()
                .any(|m| m.contains("4.5") || m == "claude-sonnet-4")
        );
    }
}
