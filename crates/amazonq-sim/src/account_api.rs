//! Account APIs of the legacy `q.*` host (amazon-q-protocol.md §6.3–§6.5, §8.6):
//! ListAvailableModels, GetUsageLimits (driven by the same counters as the quota checks),
//! ListAvailableProfiles, GetProfile — with the same auth and suspension handling as chat. The
//! management host of 2026 ([`crate::management`]) reuses the catalog and usage builders.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::config::ModelSpec;
use crate::errors::QError;
use crate::gate::admit_logged;
use crate::log::LogMeta;
use crate::render::Dialect;
use crate::state::Shared;

pub(crate) fn finish(
    r: Result<Value, QError>,
    dialect: Dialect,
    operation: &'static str,
    meta: LogMeta,
) -> Response {
    let mut resp = match r {
        Ok(v) => {
            let mut resp = Json(v).into_response();
            if dialect == Dialect::Q {
                resp.headers_mut().insert(
                    "content-type",
                    axum::http::HeaderValue::from_static("application/x-amz-json-1.0"),
                );
            }
            resp
        }
        Err(e) => e.into_response(dialect),
    };
    resp.extensions_mut().insert(LogMeta { operation, ..meta });
    resp
}

/// Auth + faults; returns the account id.
pub(crate) fn gate(
    s: &Shared,
    headers: &HeaderMap,
    operation: &str,
    dialect: Dialect,
    meta: &mut LogMeta,
) -> Result<String, QError> {
    admit_logged(s, headers, operation, dialect, meta).map(|a| a.account)
}

fn model_json(m: &ModelSpec) -> Value {
    let mut v = json!({
        "modelId": m.model_id,
        "modelName": m.model_name.clone().unwrap_or_else(|| m.model_id.clone()),
        "description": m.description.clone().unwrap_or_else(|| format!("{} (simulated)", m.model_id)),
        "rateMultiplier": m.rate_multiplier,
        "rateUnit": "credit",
        "tokenLimits": { "maxInputTokens": m.max_input_tokens, "maxOutputTokens": m.max_output_tokens },
        "supportedInputTypes": ["TEXT", "IMAGE"],
        "supportsPromptCache": true,
    });
    if let (Some(schema), Some(o)) = (&m.additional_model_request_fields_schema, v.as_object_mut())
    {
        o.insert(
            "additionalModelRequestFieldsSchema".to_owned(),
            schema.clone(),
        );
    }
    v
}

fn list_models(
    s: &Shared,
    account: &str,
    max: Option<usize>,
    next: Option<&str>,
) -> Result<Value, QError> {
    list_catalog(s, account, None, max, next)
}

/// One page of the catalog of `profile` (None: the account's whole list), plus `defaultModel`.
pub(crate) fn list_catalog(
    s: &Shared,
    account: &str,
    profile: Option<&crate::config::ProfileSpec>,
    max: Option<usize>,
    next: Option<&str>,
) -> Result<Value, QError> {
    let reg = s.reg();
    let acct = reg.accounts.accounts.get(account);
    let models = crate::catalog::catalog(&reg.config.models, profile, acct);
    let start: usize = match next {
        None | Some("") => 0,
        Some(t) => t
            .parse()
            .map_err(|_| QError::validation("Invalid nextToken", None))?,
    };
    let max = max.unwrap_or(50).clamp(1, 100);
    let page: Vec<Value> = models
        .iter()
        .skip(start)
        .take(max)
        .map(|m| model_json(m))
        .collect();
    let default_id = acct
        .and_then(|a| a.entitlement.default_model.clone())
        .unwrap_or_else(|| reg.config.default_model.clone());
    let default = models
        .iter()
        .find(|m| m.model_id == default_id)
        .or(models.first())
        .map_or(Value::Null, |m| model_json(m));
    let mut out = json!({ "models": page, "defaultModel": default });
    if start + max < models.len()
        && let Some(o) = out.as_object_mut()
    {
        o.insert("nextToken".to_owned(), json!((start + max).to_string()));
    }
    Ok(out)
}

/// `POST /` + `AmazonCodeWhispererService.ListAvailableModels`
pub fn models_q(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    models_q_inner(s, headers, body)
}

fn models_q_inner(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "models", Dialect::Q, &mut meta).and_then(|acct| {
        let v: Value = serde_json::from_slice(body).map_err(|_| {
            QError::validation("The request body is not valid JSON.", None).rule("R22")
        })?;
        let max = v
            .get("maxResults")
            .and_then(Value::as_u64)
            .map(|x| x as usize);
        list_models(s, &acct, max, v.get("nextToken").and_then(Value::as_str))
    });
    finish(r, Dialect::Q, "models", meta)
}

/// `GET /ListAvailableModels?origin=…&maxResults=…&nextToken=…` (Kiro)
pub fn models_get(s: &Shared, headers: &HeaderMap, q: &BTreeMap<String, String>) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "models", Dialect::Kiro, &mut meta).and_then(|acct| {
        list_models(
            s,
            &acct,
            q.get("maxResults").and_then(|m| m.parse().ok()),
            q.get("nextToken").map(String::as_str),
        )
    });
    finish(r, Dialect::Kiro, "models", meta)
}

pub(crate) fn usage(s: &Shared, account: &str) -> Value {
    let now = s.clock.now_secs();
    let reg = s.reg();
    let Some(a) = reg.accounts.accounts.get(account) else {
        return Value::Null;
    };
    let limit = a.limits.monthly_limit.unwrap_or(1000);
    // Next reset: the first of next month in the simulator's clock.
    let date = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .date_naive();
    let next = chrono::NaiveDate::from_ymd_opt(
        if date.month0() == 11 {
            date.year() + 1
        } else {
            date.year()
        },
        (date.month0() + 1) % 12 + 1,
        1,
    )
    .and_then(|d| d.and_hms_opt(0, 0, 0))
    .map_or(now, |d| d.and_utc().timestamp());
    let days = (next - now).div_euclid(86_400);
    let pct = if limit == 0 {
        100.0
    } else {
        a.usage as f64 * 100.0 / limit as f64
    };
    json!({
        "limits": [{ "type": "AGENTIC_REQUEST", "currentUsage": a.usage, "totalUsageLimit": limit, "percentUsed": pct }],
        "nextDateReset": next,
        "daysUntilReset": days,
        "usageBreakdownList": [{
            "resourceType": "CREDIT", "displayName": "Credit", "displayNamePlural": "Credits", "unit": "INVOCATIONS", "currency": "USD",
            "currentUsage": a.usage, "currentUsageWithPrecision": a.usage as f64,
            "usageLimit": limit, "usageLimitWithPrecision": limit as f64,
            "currentOverages": 0, "currentOveragesWithPrecision": 0.0, "overageCharges": 0.0, "overageRate": 0.04,
            "overageCap": 0, "overageCapWithPrecision": 0.0, "nextDateReset": next
        }],
        "subscriptionInfo": { "type": "Q_DEVELOPER_STANDALONE_FREE", "subscriptionTitle": "Simulated Free" },
        "userInfo": { "email": a.email, "userId": a.user_id },
    })
}

use chrono::Datelike;

/// `POST /?profileArn=…&origin=…&resourceType=…` + `AmazonCodeWhispererService.GetUsageLimits`
pub fn usage_q(s: &Shared, headers: &HeaderMap) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "usage", Dialect::Q, &mut meta).map(|a| usage(s, &a));
    finish(r, Dialect::Q, "usage", meta)
}

/// `GET /getUsageLimits?origin=AI_EDITOR&resourceType=AGENTIC_REQUEST&isEmailRequired=true` (Kiro)
pub fn usage_get(s: &Shared, headers: &HeaderMap) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "usage", Dialect::Kiro, &mut meta).map(|a| usage(s, &a));
    finish(r, Dialect::Kiro, "usage", meta)
}

/// `q.eu-central-1.amazonaws.com` → eu-central-1; loopback hosts use the configured region.
pub(crate) fn host_region(headers: &HeaderMap, default: &str) -> String {
    crate::host::region_of_host(headers.get("host").and_then(|h| h.to_str().ok()), default)
}

/// `AmazonCodeWhispererService.ListAvailableProfiles`: the profiles of this endpoint's region.
pub fn profiles_q(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "profiles", Dialect::Q, &mut meta).map(|_| {
        let reg = s.reg();
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let region = v
            .get("region")
            .and_then(Value::as_str)
            .map_or_else(|| host_region(headers, &reg.config.region), str::to_owned);
        let profiles: Vec<Value> = reg
            .config
            .profiles
            .iter()
            .filter(|p| p.region == region)
            .map(|p| json!({ "arn": p.arn, "profileName": p.profile_name, "status": "ACTIVE" }))
            .collect();
        json!({ "profiles": profiles })
    });
    finish(r, Dialect::Q, "profiles", meta)
}

/// `AmazonCodeWhispererService.GetProfile {"profileArn"}` (legacy host: dialect Q; management
/// host: dialect Kiro error bodies).
pub fn profile_get(s: &Shared, headers: &HeaderMap, body: &[u8], dialect: Dialect) -> Response {
    let mut meta = LogMeta::default();
    let r = gate(s, headers, "profiles", dialect, &mut meta).and_then(|_| {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let arn = v.get("profileArn").and_then(Value::as_str).unwrap_or("");
        let reg = s.reg();
        let p = reg.config.profiles.iter().find(|p| p.arn == arn).ok_or_else(|| QError::new(404, "ResourceNotFoundException", "Profile not found", None))?;
        Ok(json!({ "profile": { "arn": p.arn, "profileName": p.profile_name, "status": "ACTIVE", "optInFeatures": { "mcpConfiguration": { "toggle": "ON" } } } }))
    });
    finish(r, dialect, "profiles", meta)
}
