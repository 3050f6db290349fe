//! Wire types of the account APIs: ListAvailableModels (§6.3), GetUsageLimits
//! (§6.4) and ListAvailableProfiles (§6.5).
//!
//! Responses are read leniently: every member the gateway does not strictly
//! need is optional and unknown keys are ignored, because these shapes vary by
//! plan and by service version. Numbers that are integers in some answers and
//! decimals in others are `f64`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Dialect-Q body of `AmazonCodeWhispererService.ListAvailableModels`; in the
/// Kiro dialect the same members travel as query parameters of a GET.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAvailableModelsRequest {
    pub origin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
}

/// One page of models.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAvailableModelsResponse {
    #[serde(default)]
    pub models: Vec<Model>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_model: Option<Model>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// A model the account may use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub model_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_multiplier: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_limits: Option<TokenLimits>,
    /// `TEXT` / `IMAGE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_input_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supports_prompt_cache: Option<bool>,
    /// JSON schema of the native options the model takes in `additionalModelRequestFields`
    /// (kiro-2026-endpoints.md §4–§5), e.g. `properties.output_config.properties.effort.enum`.
    /// Absent for models without native options (their effort is emulated in the prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_model_request_fields_schema: Option<Value>,
}

impl Model {
    /// Context window: `tokenLimits.maxInputTokens`, else 200 000 as the CLI does.
    pub fn context_window(&self) -> u64 {
        self.token_limits
            .as_ref()
            .and_then(|t| t.max_input_tokens)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(200_000)
    }
}

/// `tokenLimits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_input_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<i64>,
}

/// Inputs of GetUsageLimits. Both dialects send them as query parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUsageLimitsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// `AGENTIC_REQUEST`, `CREDIT`, `SPEC`, `VIBE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_email_required: Option<bool>,
}

/// Usage and limits of one account.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetUsageLimitsResponse {
    #[serde(default)]
    pub limits: Vec<UsageLimit>,
    /// Epoch seconds per the Smithy default; one peer reads millis, so
    /// [`GetUsageLimitsResponse::next_reset`] accepts both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_date_reset: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_until_reset: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage_breakdown_list: Vec<UsageBreakdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_breakdown: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_info: Option<SubscriptionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_info: Option<UserInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_configuration: Option<Value>,
}

impl GetUsageLimitsResponse {
    /// When the quota resets, from the top-level `nextDateReset` or else the
    /// first breakdown's.
    pub fn next_reset(&self) -> Option<DateTime<Utc>> {
        self.next_date_reset
            .or_else(|| {
                self.usage_breakdown_list
                    .iter()
                    .find_map(|b| b.next_date_reset)
            })
            .and_then(epoch_to_datetime)
    }
}

/// Epoch seconds or milliseconds (values above 10^11 cannot be seconds before
/// the year 5000, so they are read as millis).
pub fn epoch_to_datetime(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let millis = if value > 1e11 { value } else { value * 1000.0 };
    DateTime::from_timestamp_millis(millis as i64)
}

/// One entry of `limits`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageLimit {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_usage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_usage_limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_used: Option<f64>,
}

/// One entry of `usageBreakdownList`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageBreakdown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name_plural: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(flatten)]
    pub amounts: UsageAmounts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_overages: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_overages_with_precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_charges: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_cap: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_cap_with_precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_date_reset: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_trial_info: Option<FreeTrialInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bonuses: Option<Vec<Value>>,
}

impl UsageBreakdown {
    /// The limit plus an active free trial's, the peers' formula (§6.4). `None` without a limit.
    pub fn limit(&self) -> Option<f64> {
        let trial = self.active_trial().and_then(|t| t.amounts.limit());
        Some(self.amounts.limit()? + trial.unwrap_or(0.0))
    }

    /// The usage plus an active free trial's.
    pub fn used(&self) -> f64 {
        let trial = self.active_trial().and_then(|t| t.amounts.used());
        self.amounts.used().unwrap_or(0.0) + trial.unwrap_or(0.0)
    }

    /// Credits still available: [`Self::limit`] − [`Self::used`]. `None` without a limit.
    pub fn available(&self) -> Option<f64> {
        Some(self.limit()? - self.used())
    }

    fn active_trial(&self) -> Option<&FreeTrialInfo> {
        self.free_trial_info
            .as_ref()
            .filter(|t| t.free_trial_status.as_deref() == Some("ACTIVE"))
    }
}

/// The usage and limit members a breakdown entry and its free trial share. Each comes plain and
/// `…WithPrecision`; the precise one wins when present.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageAmounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_usage: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_usage_with_precision: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit_with_precision: Option<f64>,
}

impl UsageAmounts {
    pub fn used(&self) -> Option<f64> {
        self.current_usage_with_precision.or(self.current_usage)
    }

    pub fn limit(&self) -> Option<f64> {
        self.usage_limit_with_precision.or(self.usage_limit)
    }
}

/// `freeTrialInfo`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FreeTrialInfo {
    /// `ACTIVE` / `EXPIRED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_trial_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_trial_expiry: Option<f64>,
    #[serde(flatten)]
    pub amounts: UsageAmounts,
}

/// `subscriptionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionInfo {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_management_target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overage_capability: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_capability: Option<String>,
}

/// `userInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Body of `AmazonCodeWhispererService.ListAvailableProfiles`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAvailableProfilesRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// One page of IdC profiles.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListAvailableProfilesResponse {
    #[serde(default)]
    pub profiles: Vec<Profile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// An IAM Identity Center profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Profile {
    /// The API region encoded in the ARN (4th `:` field), e.g. `us-east-1`.
    pub fn region(&self) -> Option<&str> {
        arn_region(&self.arn)
    }
}

/// The region field of an ARN such as `arn:aws:codewhisperer:us-east-1:123:profile/X`.
pub fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}
