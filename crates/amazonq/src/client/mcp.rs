//! Kiro's web search: JSON-RPC 2.0 `tools/call` `web_search` on `POST /mcp` of the account's chat
//! host (`runtime.<r>.kiro.dev`, or `q.<r>.amazonaws.com` for an account on the legacy host). The
//! protocol and its sources are written down in `docs/upstream-mcp-web-search.md`.
//!
//! - Request: `{"id","jsonrpc":"2.0","method":"tools/call","params":{"name":"web_search",
//!   "arguments":{"query"}},"profileArn"}` with `content-type: application/json`, the persona's
//!   chat headers (bearer, user agents, SDK headers) and the account's effective profile ARN both
//!   as the root `profileArn` member (required by `runtime.*`) and as `x-amzn-kiro-profile-arn`
//!   (what peers send on `q.*`).
//! - Answer: `result.content[0].text` is a JSON string `{"results":[…],"totalResults","query",
//!   "error"}`; [`wire`] reads it into [`WebSearchResults`].
//! - Failures: an HTTP error status is classified like chat ([`ClientError::Http`]); a JSON-RPC
//!   `error`, an `isError: true` result or a payload `error` become [`ClientError::Mcp`] with an
//!   [`McpErrorKind`]; a 200 that is not the documented shape is [`ClientError::Decode`].
//! - Timeouts: the response headers within `first_byte_timeout`, the whole answer within
//!   `request_timeout` (both from [`super::ClientConfig`]), whichever ends first.

mod wire;

pub use wire::{McpError, McpErrorKind, WebSearchHit, WebSearchResults};

use tokio::time::{Instant, timeout_at};

use super::persona::Persona;
use super::{ClientError, Credentials, Host, QClient, error_from};
use crate::http::{TransportError, header, read_body_capped};

/// Search answers are a few kilobytes; anything near this is not a search answer.
const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// The header peers send the profile ARN in on the legacy host.
pub const PROFILE_ARN_HEADER: &str = "x-amzn-kiro-profile-arn";
/// The tool name of Kiro's search (also the name the model sees in the tool spec).
pub const WEB_SEARCH_TOOL: &str = "web_search";

/// The JSON-RPC id in the shape the Kiro IDE uses (`web_search_tooluse_<22>_<ms>_<8>`); the
/// service does not check it, but a familiar shape costs nothing.
fn request_id() -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    fn pick(mut n: u128, alphabet: &[u8], len: usize) -> String {
        let base = alphabet.len() as u128;
        (0..len)
            .map(|_| {
                let i = (n % base) as usize;
                n /= base;
                alphabet.get(i).copied().map_or('0', char::from)
            })
            .collect()
    }
    let ms = chrono::Utc::now().timestamp_millis();
    format!(
        "web_search_tooluse_{}_{ms}_{}",
        pick(uuid::Uuid::new_v4().as_u128(), ALNUM, 22),
        pick(uuid::Uuid::new_v4().as_u128(), LOWER, 8)
    )
}

impl QClient {
    /// Runs one web search for the account (billed to it as credits). An empty query is refused
    /// here ([`McpErrorKind::InvalidParams`]) without calling the service.
    pub async fn web_search(
        &self,
        creds: &Credentials,
        query: &str,
    ) -> Result<WebSearchResults, ClientError> {
        if query.trim().is_empty() {
            return Err(McpError::new(
                McpErrorKind::InvalidParams,
                None,
                "the search query is empty".to_owned(),
            )
            .into());
        }
        let endpoints = self.endpoints(creds);
        let base = match creds.host {
            Host::Runtime => endpoints.runtime(),
            Host::LegacyQ => endpoints.legacy_q(),
        };
        let url = base
            .join("mcp")
            .map_err(|_| TransportError::InvalidUrl(base.to_string()))?;
        let profile_arn = creds.effective_profile_arn();
        let body = wire::call_body(&request_id(), query, profile_arn)?;
        let persona = Persona::of(creds);
        let mut builder = self
            .request(creds, reqwest::Method::POST, url, persona.chat_api())?
            .header("content-type", "application/json")
            .header("accept", "application/json");
        if let Some(arn) = profile_arn {
            builder = builder.header(PROFILE_ARN_HEADER, arn);
        }

        let start = Instant::now();
        let whole = start + self.config.request_timeout;
        let first_byte = start + self.config.first_byte_timeout;
        let call_timeout = || {
            ClientError::Transport(TransportError::Timeout(format!(
                "no web search answer within {:?}",
                self.config.request_timeout
            )))
        };
        let response = timeout_at(first_byte.min(whole), builder.body(body).send())
            .await
            .map_err(|_| {
                if first_byte <= whole {
                    ClientError::FirstByteTimeout(self.config.first_byte_timeout)
                } else {
                    call_timeout()
                }
            })?
            .map_err(TransportError::from)?;
        let request_id = header(&response, "x-amzn-requestid");
        if !response.status().is_success() {
            return Err(error_from(response, whole).await.unwrap_or_else(|e| e));
        }
        let bytes = timeout_at(whole, read_body_capped(response, BODY_LIMIT))
            .await
            .map_err(|_| call_timeout())??;
        let mut results = wire::parse_answer(&bytes).map_err(|e| match e {
            wire::Failure::Tool(mut m) => {
                m.request_id.clone_from(&request_id);
                ClientError::from(m)
            }
            wire::Failure::Decode(m) => ClientError::Decode(m),
        })?;
        results.request_id = request_id;
        tracing::debug!(
            host = creds.host.as_str(),
            hits = results.hits.len(),
            elapsed_ms = start.elapsed().as_millis() as u64,
            "web search answered"
        );
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::request_id;

    #[test]
    fn request_ids_have_the_ide_shape_and_differ() {
        let a = request_id();
        let parts: Vec<&str> = a.split('_').collect();
        assert_eq!(parts.len(), 6, "{a}");
        assert_eq!(&parts[..3], ["web", "search", "tooluse"]);
        assert_eq!(parts[3].len(), 22);
        assert!(parts[3].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(parts[4].parse::<i64>().is_ok());
        assert_eq!(parts[5].len(), 8);
        assert!(
            parts[5]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(a, request_id());
    }
}
