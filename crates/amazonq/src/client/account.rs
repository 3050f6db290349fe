//! Account APIs (kiro-2026-endpoints.md §1, §2, §5, §6; legacy: spec §6.3–§6.5).
//!
//! On `management.<r>.kiro.dev` every call is JSON 1.0 `POST /` with `profileArn` in **both** the
//! query string and the body (the service answers 400 "Invalid profileArn." otherwise):
//!
//! | call | target | query / body |
//! |---|---|---|
//! | ListAvailableModels | `KiroControlPlaneBearerService.ListAvailableModels` | `origin`, `profileArn` / same + `maxResults`, `nextToken` |
//! | GetUsageLimits | `AmazonCodeWhispererService.GetUsageLimits` | `origin=AI_EDITOR&isEmailRequired=true&profileArn=…` / the same three |
//! | ListAvailableProfiles | `AmazonCodeWhispererService.ListAvailableProfiles` | — / `{"maxResults":10}` |
//!
//! On the legacy `q.*` host the calls keep today's two dialects:
//!
//! | call | Amazon Q | Kiro |
//! |---|---|---|
//! | ListAvailableModels | `POST /`, target `AmazonCodeWhispererService.ListAvailableModels`, JSON body | `GET /ListAvailableModels?origin=…` |
//! | GetUsageLimits | `POST /?origin=…&resourceType=…`, target `…GetUsageLimits` | `GET /getUsageLimits?origin=…` |
//! | ListAvailableProfiles | `POST /`, target `…ListAvailableProfiles` | same as Amazon Q |

use serde::de::DeserializeOwned;
use tokio::time::{Instant, timeout_at};

use super::persona::{
    self, Api, LEGACY_MODELS_TARGET, LIST_PROFILES_TARGET, MANAGEMENT_MODELS_TARGET,
    USAGE_LIMITS_TARGET,
};
use super::{ClientError, Credentials, Dialect, Host, QClient, error_from};
use crate::http::{TransportError, read_body_capped};
use crate::types::{
    GetUsageLimitsRequest, GetUsageLimitsResponse, ListAvailableModelsRequest,
    ListAvailableModelsResponse, ListAvailableProfilesRequest, ListAvailableProfilesResponse,
    Model,
};

/// Success bodies of account calls are small JSON documents.
const JSON_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Pagination guard against a server that never stops returning `nextToken`.
const MAX_PAGES: usize = 20;
/// `maxResults` of ListAvailableProfiles, as Kiro sends it (KiroCrew).
const PROFILES_PAGE: i32 = 10;

/// `base` (a parsed root URL) with `path` and the query pairs that have a value.
fn url(base: &reqwest::Url, path: &str, query: &[(&str, Option<&str>)]) -> reqwest::Url {
    let mut url = base.clone();
    if path != "/" {
        url.set_path(&format!("{}{}", url.path().trim_end_matches('/'), path));
    }
    if query.iter().any(|(_, v)| v.is_some()) {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            if let Some(v) = v {
                pairs.append_pair(k, v);
            }
        }
    }
    url
}

impl QClient {
    /// One page of ListAvailableModels. The profile ARN comes from `creds`.
    pub async fn list_available_models(
        &self,
        creds: &Credentials,
        request: &ListAvailableModelsRequest,
    ) -> Result<ListAvailableModelsResponse, ClientError> {
        let profile_arn = creds.effective_profile_arn();
        let endpoints = self.endpoints(creds);
        let builder = match (creds.host, creds.dialect) {
            (Host::Runtime, _) => {
                let body = ListAvailableModelsRequest {
                    profile_arn: profile_arn.map(str::to_owned),
                    ..request.clone()
                };
                let url = url(
                    endpoints.management(),
                    "/",
                    &[
                        ("origin", Some(&request.origin)),
                        ("profileArn", profile_arn),
                    ],
                );
                self.json10(creds, MANAGEMENT_MODELS_TARGET, url, Api::ControlPlane)?
                    .json(&body)
            }
            (Host::LegacyQ, Dialect::AmazonQ) => {
                let body = ListAvailableModelsRequest {
                    profile_arn: profile_arn.map(str::to_owned),
                    ..request.clone()
                };
                self.json10(
                    creds,
                    LEGACY_MODELS_TARGET,
                    endpoints.legacy_q().clone(),
                    Api::CodeWhispererRuntime,
                )?
                .json(&body)
            }
            (Host::LegacyQ, Dialect::Kiro) => {
                let max = request.max_results.map(|m| m.to_string());
                let url = url(
                    endpoints.legacy_q(),
                    "/ListAvailableModels",
                    &[
                        ("origin", Some(request.origin.as_str())),
                        ("profileArn", profile_arn),
                        ("maxResults", max.as_deref()),
                        ("nextToken", request.next_token.as_deref()),
                    ],
                );
                self.request(creds, reqwest::Method::GET, url, Api::CodeWhispererRuntime)?
            }
        };
        self.call_json(builder).await
    }

    /// Every page of ListAvailableModels; returns the models and the default.
    pub async fn list_all_models(
        &self,
        creds: &Credentials,
        origin: &str,
    ) -> Result<(Vec<Model>, Option<Model>), ClientError> {
        let mut request = ListAvailableModelsRequest {
            origin: origin.to_owned(),
            ..Default::default()
        };
        let mut models = Vec::new();
        let mut default_model = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_available_models(creds, &request).await?;
            models.extend(page.models);
            default_model = default_model.or(page.default_model);
            match page.next_token {
                Some(token) if !token.is_empty() => request.next_token = Some(token),
                _ => break,
            }
        }
        Ok((models, default_model))
    }

    /// GetUsageLimits. The profile ARN comes from `creds`. On `management.*` only `origin`,
    /// `isEmailRequired` and `profileArn` are sent (the captured contract, §6).
    pub async fn get_usage_limits(
        &self,
        creds: &Credentials,
        request: &GetUsageLimitsRequest,
    ) -> Result<GetUsageLimitsResponse, ClientError> {
        let email = request.is_email_required.map(|b| b.to_string());
        let profile_arn = creds.effective_profile_arn();
        let endpoints = self.endpoints(creds);
        let builder = match (creds.host, creds.dialect) {
            (Host::Runtime, _) => {
                let origin = request
                    .origin
                    .as_deref()
                    .unwrap_or(persona::MANAGEMENT_ORIGIN);
                let url = url(
                    endpoints.management(),
                    "/",
                    &[
                        ("origin", Some(origin)),
                        ("isEmailRequired", email.as_deref()),
                        ("profileArn", profile_arn),
                    ],
                );
                let body = GetUsageLimitsRequest {
                    origin: Some(origin.to_owned()),
                    resource_type: None,
                    profile_arn: profile_arn.map(str::to_owned),
                    is_email_required: request.is_email_required,
                };
                self.json10(creds, USAGE_LIMITS_TARGET, url, Api::CodeWhispererRuntime)?
                    .json(&body)
            }
            (Host::LegacyQ, dialect) => {
                let query = [
                    ("origin", request.origin.as_deref()),
                    ("resourceType", request.resource_type.as_deref()),
                    ("isEmailRequired", email.as_deref()),
                    ("profileArn", profile_arn),
                ];
                match dialect {
                    Dialect::AmazonQ => self
                        .json10(
                            creds,
                            USAGE_LIMITS_TARGET,
                            url(endpoints.legacy_q(), "/", &query),
                            Api::CodeWhispererRuntime,
                        )?
                        .body("{}"),
                    Dialect::Kiro => self.request(
                        creds,
                        reqwest::Method::GET,
                        url(endpoints.legacy_q(), "/getUsageLimits", &query),
                        Api::CodeWhispererRuntime,
                    )?,
                }
            }
        };
        self.call_json(builder).await
    }

    /// One page of ListAvailableProfiles (IAM Identity Center), on `management.*` (or `q.*` for
    /// an account on the legacy host). `maxResults` defaults to 10 as Kiro sends it.
    pub async fn list_available_profiles(
        &self,
        creds: &Credentials,
        request: &ListAvailableProfilesRequest,
    ) -> Result<ListAvailableProfilesResponse, ClientError> {
        let endpoints = self.endpoints(creds);
        let base = match creds.host {
            Host::Runtime => endpoints.management(),
            Host::LegacyQ => endpoints.legacy_q(),
        };
        let body = ListAvailableProfilesRequest {
            max_results: request.max_results.or(Some(PROFILES_PAGE)),
            ..request.clone()
        };
        let builder = self
            .json10(
                creds,
                LIST_PROFILES_TARGET,
                base.clone(),
                Api::CodeWhispererRuntime,
            )?
            .json(&body);
        self.call_json(builder).await
    }

    /// A JSON 1.0 `POST` with an `X-Amz-Target`.
    fn json10(
        &self,
        creds: &Credentials,
        target: &str,
        url: reqwest::Url,
        api: Api,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        Ok(self
            .request(creds, reqwest::Method::POST, url, api)?
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target))
    }

    /// Sends a small JSON call under the request timeout.
    async fn call_json<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let deadline = Instant::now() + self.config.request_timeout;
        let timeout = || {
            ClientError::Transport(TransportError::Timeout(format!(
                "no answer within {:?}",
                self.config.request_timeout
            )))
        };
        let response = timeout_at(deadline, builder.send())
            .await
            .map_err(|_| timeout())?
            .map_err(TransportError::from)?;
        if !response.status().is_success() {
            return Err(error_from(response, deadline).await.unwrap_or_else(|e| e));
        }
        let body = timeout_at(deadline, read_body_capped(response, JSON_BODY_LIMIT))
            .await
            .map_err(|_| timeout())??;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(e.to_string()))
    }
}
