//! Work on an account a [`PoolStream`] already holds (issue 18 item 2, web search): the Kiro
//! search (`QClient::web_search`, billed to the account as credits) and the follow-up chat call
//! that feeds the results back. Both run on the same lease as the first call: the answer's tool
//! loop stays on one account (one profile, one set of credits), and no other request can take the
//! slot in between.
//!
//! A follow-up is one attempt with the same-account recovery steps of `send` (refresh after a
//! refused token, legacy-host fallback, profile re-resolution), but no failover: the client has
//! already seen part of the answer from this account.

use std::sync::Arc;

use amazonq::client::{ClientError, WebSearchResults};
use amazonq::error::ErrorClass;
use amazonq::types::GenerateAssistantResponseRequest;

use super::refresh::Need;
use super::{PoolError, PoolStream};

/// Why a search produced no results.
#[derive(Debug, Clone)]
pub struct SearchFailed {
    pub class: ErrorClass,
    pub message: String,
}

impl From<ClientError> for SearchFailed {
    fn from(e: ClientError) -> Self {
        Self {
            class: e.class(),
            message: e.to_string(),
        }
    }
}

impl PoolStream {
    /// Runs one web search with this stream's account. (The future holds the account, not the
    /// stream: a stream is not `Sync`, and the answer's body must be `Send`.)
    pub fn web_search(
        &self,
        query: &str,
    ) -> impl Future<Output = Result<WebSearchResults, SearchFailed>> + Send + 'static {
        let held = self.lease().map(|l| (l.inner(), Arc::clone(&l.slot)));
        let query = query.to_owned();
        async move {
            let Some((inner, slot)) = held else {
                return Err(SearchFailed {
                    class: ErrorClass::Transient,
                    message: "the account was already released".to_owned(),
                });
            };
            let token = inner
                .fresh_token(&slot, Need::Within(inner.request_margin()))
                .await
                .map_err(|r| SearchFailed {
                    class: r.class,
                    message: r.message,
                })?;
            let creds = inner
                .upstream
                .credentials(&slot.info.load(), &token, slot.host());
            let started = std::time::Instant::now();
            let result = inner.upstream.q.web_search(&creds, &query).await;
            let outcome = if result.is_ok() { "ok" } else { "error" };
            metrics::counter!("gateway_web_search_total", "outcome" => outcome).increment(1);
            metrics::histogram!("gateway_web_search_seconds")
                .record(started.elapsed().as_secs_f64());
            Ok(result?)
        }
    }

    /// Opens the next chat call of this answer on the same account; the stream then reads its
    /// events. On failure the stream is over (no events follow).
    pub async fn follow_up(
        &mut self,
        mut body: GenerateAssistantResponseRequest,
    ) -> Result<(), PoolError> {
        let Some(lease) = self.lease() else {
            return Err(PoolError::NoAccounts(None));
        };
        let inner = lease.inner();
        let max_attempts = inner.cfg.max_attempts.max(1);
        let mut attempts = 1;
        let opened = inner
            .attempt(lease, &mut body, &mut attempts, max_attempts)
            .await;
        match opened {
            Ok(opened) => {
                self.attempts = self.attempts.saturating_add(attempts);
                self.replace(opened);
                Ok(())
            }
            Err(e) => {
                self.end();
                Err(PoolError::Upstream {
                    class: e.class,
                    message: e.message,
                    status: e.status,
                    attempts,
                })
            }
        }
    }
}
