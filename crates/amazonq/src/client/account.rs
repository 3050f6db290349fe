//! Account APIs on the Q host (spec §6.3–§6.5), both dialects:
//!
//! | call | Amazon Q | Kiro |
//! |---|---|---|
//! | ListAvailableModels | `POST /`, target `AmazonCodeWhispererService.ListAvailableModels`, JSON body | `GET /ListAvailableModels?origin=…` |
//! | GetUsageLimits | `POST /?origin=…&resourceType=…`, target `…GetUsageLimits` | `GET /getUsageLimits?origin=…` |
//! | ListAvailableProfiles | `POST /`, target `…ListAvailableProfiles` | same as Amazon Q |

use serde::de::DeserializeOwned;
use tokio::time::{Instant, timeout_at};

use super::{ClientError, Credentials, Dialect, QClient, error_from};
use crate::http::{TransportError, join, read_body_capped, url_with_query};
use crate::types::{
    GetUsageLimitsRequest, GetUsageLimitsResponse, ListAvailableModelsRequest,
    ListAvailableModelsResponse, ListAvailableProfilesRequest, ListAvailableProfilesResponse,
    Model,
};

/// Success bodies of account calls are small JSON documents.
const JSON_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Pagination guard against a server that never stops returning `nextToken`.
const MAX_PAGES: usize = 20;
const TARGET_PREFIX: &str = "AmazonCodeWhispererService.";

impl QClient {
    /// One page of ListAvailableModels. The profile ARN comes from `creds`.
    pub async fn list_available_models(
        &self,
        creds: &Credentials,
        request: &ListAvailableModelsRequest,
    ) -> Result<ListAvailableModelsResponse, ClientError> {
        let profile_arn = creds.effective_profile_arn();
        let builder = match creds.dialect {
            Dialect::AmazonQ => {
                let body = ListAvailableModelsRequest {
                    profile_arn: profile_arn.map(str::to_owned),
                    ..request.clone()
                };
                self.q_target(
                    creds,
                    "ListAvailableModels",
                    &join(self.base_url(creds), "/"),
                )?
                .json(&body)
            }
            Dialect::Kiro => {
                let max = request.max_results.map(|m| m.to_string());
                let url = url_with_query(
                    self.base_url(creds),
                    "/ListAvailableModels",
                    &[
                        ("origin", Some(request.origin.as_str())),
                        ("profileArn", profile_arn),
                        ("maxResults", max.as_deref()),
                        ("nextToken", request.next_token.as_deref()),
                    ],
                )?;
                self.request(
                    creds,
                    reqwest::Method::GET,
                    url.as_str(),
                    "codewhispererruntime",
                )?
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

    /// GetUsageLimits. The profile ARN comes from `creds`.
    pub async fn get_usage_limits(
        &self,
        creds: &Credentials,
        request: &GetUsageLimitsRequest,
    ) -> Result<GetUsageLimitsResponse, ClientError> {
        let email = request.is_email_required.map(|b| b.to_string());
        let query = [
            ("origin", request.origin.as_deref()),
            ("resourceType", request.resource_type.as_deref()),
            ("isEmailRequired", email.as_deref()),
            ("profileArn", creds.effective_profile_arn()),
        ];
        let builder = match creds.dialect {
            Dialect::AmazonQ => {
                let url = url_with_query(self.base_url(creds), "/", &query)?;
                self.q_target(creds, "GetUsageLimits", url.as_str())?
                    .body("{}")
            }
            Dialect::Kiro => {
                let url = url_with_query(self.base_url(creds), "/getUsageLimits", &query)?;
                self.request(
                    creds,
                    reqwest::Method::GET,
                    url.as_str(),
                    "codewhispererruntime",
                )?
            }
        };
        self.call_json(builder).await
    }

    /// One page of ListAvailableProfiles (IAM Identity Center).
    pub async fn list_available_profiles(
        &self,
        creds: &Credentials,
        request: &ListAvailableProfilesRequest,
    ) -> Result<ListAvailableProfilesResponse, ClientError> {
        let builder = self
            .q_target(
                creds,
                "ListAvailableProfiles",
                &join(self.base_url(creds), "/"),
            )?
            .json(request);
        self.call_json(builder).await
    }

    /// A dialect-Q style `POST` with an `X-Amz-Target` of the runtime service.
    fn q_target(
        &self,
        creds: &Credentials,
        operation: &str,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        Ok(self
            .request(creds, reqwest::Method::POST, url, "codewhispererruntime")?
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("{TARGET_PREFIX}{operation}")))
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
