//! The management host of 2026, `management.<r>.kiro.dev` (kiro-2026-endpoints.md §1, §2, §5, §6):
//! JSON 1.0 `POST /` with the targets `AmazonCodeWhispererService.ListAvailableProfiles`,
//! `KiroControlPlaneBearerService.ListAvailableModels`, `AmazonCodeWhispererService.GetUsageLimits`
//! (and `GetProfile`). Error bodies are `{"message","reason"}` with `x-amzn-errortype`.
//!
//! Rules (switchable, named in `x-sim-rule`):
//! - `mgmt-profile-arn`: models and usage need `profileArn` in both the query string and the JSON
//!   body, equal and well formed → else 400 ValidationException "Invalid profileArn.".
//! - `profile-region` / `profile-access` (shared with the runtime): the ARN's region must be the
//!   listener's, and the ARN one the account may use ([`crate::catalog::profiles_of`]).
//! - `profiles-token`: ListAvailableProfiles refuses Builder ID tokens (403 "User is not authorized
//!   to access this feature.") and API keys `ksk_…` (403 "Unsupported token type").

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::account_api::{finish, gate, host_region, list_catalog, usage};
use crate::catalog::{arn_region, arn_well_formed, profiles_of};
use crate::config::{AuthKind, ProfileSpec};
use crate::errors::{BEARER_INVALID, ERROR_TYPE, QError, SIM_RULE};
use crate::gate::bearer;
use crate::log::LogMeta;
use crate::render::Dialect;
use crate::state::Shared;

pub const NOT_AUTHORIZED: &str = "User is not authorized to make this call.";

/// Answers a management target, or None when the target is not one of them.
pub fn dispatch(
    s: &Shared,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
    body: &[u8],
    target: &str,
) -> Option<Response> {
    Some(match target {
        "AmazonCodeWhispererService.ListAvailableProfiles" => profiles(s, headers, body),
        "KiroControlPlaneBearerService.ListAvailableModels" => {
            with_profile(s, headers, query, body, "models", |acct, profile, v| {
                models(s, query, acct, profile.as_ref(), v)
            })
        }
        // GetUsageLimits (§6): the legacy shape, behind the profile rules.
        "AmazonCodeWhispererService.GetUsageLimits" => {
            with_profile(s, headers, query, body, "usage", |acct, _, _| {
                Ok(usage(s, acct))
            })
        }
        "AmazonCodeWhispererService.GetProfile" => {
            crate::account_api::profile_get(s, headers, body, Dialect::Kiro)
        }
        _ => return None,
    })
}

/// 404 UnknownOperationException: an operation this host does not have (the runtime's
/// `GET /ListAvailableModels`, `GET /getUsageLimits`; §1).
pub fn unknown_operation() -> Response {
    let mut r = (
        StatusCode::NOT_FOUND,
        r#"{"__type":"UnknownOperationException","message":"UnknownOperationException"}"#,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        ERROR_TYPE,
        HeaderValue::from_static("UnknownOperationException"),
    );
    h.insert(SIM_RULE, HeaderValue::from_static("unknown-operation"));
    LogMeta::new("unknown").attach(r)
}

fn body_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

fn invalid_arn() -> QError {
    QError::validation("Invalid profileArn.", None).rule("mgmt-profile-arn")
}

/// The profile named by `arn` for `account`, after the region and access rules.
/// `Ok(None)`: rules switched off and the ARN is none of the account's.
pub(crate) fn authorize_profile(
    s: &Shared,
    headers: &HeaderMap,
    account: &str,
    arn: &str,
) -> Result<Option<ProfileSpec>, QError> {
    let reg = s.reg();
    let region = host_region(headers, &reg.config.region);
    if reg.rules.on("profile-region") && arn_region(arn) != Some(region.as_str()) {
        return Err(QError::access_denied(BEARER_INVALID, None).rule("profile-region"));
    }
    let found = reg.accounts.accounts.get(account).and_then(|a| {
        profiles_of(a, &reg.config.profiles)
            .into_iter()
            .find(|p| p.arn == arn)
    });
    if found.is_none() && reg.rules.on("profile-access") {
        return Err(QError::access_denied(NOT_AUTHORIZED, None).rule("profile-access"));
    }
    Ok(found)
}

/// `profileArn` from query and body (rule `mgmt-profile-arn`), then region and access.
fn profile_of_call(
    s: &Shared,
    headers: &HeaderMap,
    account: &str,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> Result<Option<ProfileSpec>, QError> {
    let q = query.get("profileArn").map(String::as_str);
    let b = body.get("profileArn").and_then(Value::as_str);
    let arn = match (q, b) {
        (Some(q), Some(b)) if q == b && arn_well_formed(q) => q,
        _ if s.reg().rules.on("mgmt-profile-arn") => return Err(invalid_arn()),
        _ => match q.or(b) {
            Some(a) => a,
            None => return Ok(None),
        },
    };
    authorize_profile(s, headers, account, arn)
}

/// A call that names a profile (models, usage): auth, then [`profile_of_call`], then `answer`.
fn with_profile(
    s: &Shared,
    headers: &HeaderMap,
    query: &BTreeMap<String, String>,
    body: &[u8],
    operation: &'static str,
    answer: impl FnOnce(&str, Option<ProfileSpec>, &Value) -> Result<Value, QError>,
) -> Response {
    let mut meta = LogMeta::default();
    let v = body_json(body);
    let r = gate(s, headers, operation, Dialect::Kiro, &mut meta).and_then(|acct| {
        let profile = profile_of_call(s, headers, &acct, query, &v)?;
        answer(&acct, profile, &v)
    });
    finish(r, Dialect::Kiro, operation, meta)
}

/// `KiroControlPlaneBearerService.ListAvailableModels`: the catalog of the named profile, a page
/// of `maxResults` (body or query) from `nextToken`.
fn models(
    s: &Shared,
    query: &BTreeMap<String, String>,
    acct: &str,
    profile: Option<&ProfileSpec>,
    v: &Value,
) -> Result<Value, QError> {
    let max = v
        .get("maxResults")
        .and_then(Value::as_u64)
        .or_else(|| query.get("maxResults").and_then(|m| m.parse().ok()))
        .and_then(|x| usize::try_from(x).ok());
    let next = v
        .get("nextToken")
        .and_then(Value::as_str)
        .or_else(|| query.get("nextToken").map(String::as_str));
    list_catalog(s, acct, profile, max, next)
}

/// `AmazonCodeWhispererService.ListAvailableProfiles {"maxResults","nextToken"?}`: the account's
/// profiles in this listener's region.
fn profiles(s: &Shared, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut meta = LogMeta::default();
    let token_rule = s.reg().rules.on("profiles-token");
    if token_rule && bearer(headers).is_some_and(|t| t.starts_with("ksk_")) {
        let e = QError::access_denied("Unsupported token type", None).rule("profiles-token");
        return finish(Err(e), Dialect::Kiro, "profiles", meta);
    }
    let v = body_json(body);
    let r = gate(s, headers, "profiles", Dialect::Kiro, &mut meta).and_then(|acct| {
        let reg = s.reg();
        let Some(a) = reg.accounts.accounts.get(&acct) else {
            return Ok(json!({ "profiles": [] }));
        };
        if token_rule && a.kind == AuthKind::BuilderId {
            return Err(QError::access_denied(
                "User is not authorized to access this feature.",
                None,
            )
            .rule("profiles-token"));
        }
        let region = host_region(headers, &reg.config.region);
        let all: Vec<Value> = profiles_of(a, &reg.config.profiles)
            .iter()
            .filter(|p| p.region == region)
            .map(|p| {
                let mut j =
                    json!({ "arn": p.arn, "profileName": p.profile_name, "status": "ACTIVE" });
                if a.kind == AuthKind::Idc
                    && let Some(o) = j.as_object_mut()
                {
                    o.insert(
                        "identityDetails".to_owned(),
                        json!({ "ssoIdentityDetails": {
                        "instanceArn": "arn:aws:sso:::instance/ssoins-simulated0000",
                        "oidcClientId": a.client_id, "ssoRegion": region } }),
                    );
                }
                j
            })
            .collect();
        let start: usize = match v.get("nextToken").and_then(Value::as_str) {
            None | Some("") => 0,
            Some(t) => t
                .parse()
                .map_err(|_| QError::validation("Invalid nextToken", None))?,
        };
        let max = v
            .get("maxResults")
            .and_then(Value::as_u64)
            .and_then(|x| usize::try_from(x).ok())
            .unwrap_or(10)
            .clamp(1, 100);
        let mut out = json!({ "profiles": all.iter().skip(start).take(max).collect::<Vec<_>>() });
        if start + max < all.len()
            && let Some(o) = out.as_object_mut()
        {
            o.insert("nextToken".to_owned(), json!((start + max).to_string()));
        }
        Ok(out)
    });
    finish(r, Dialect::Kiro, "profiles", meta)
}
