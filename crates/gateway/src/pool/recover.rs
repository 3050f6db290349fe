//! What one account tries after a failed upstream call before the failure counts against it
//! (spec §5.1; kiro-2026-endpoints.md §1, §2, §8), each step at most once per request:
//!
//! 1. 403 "bearer token invalid" / 401 ([`ErrorClass::NeedsRefresh`]): a forced token refresh.
//! 2. A fallback candidate on the new hosts ([`super::upstream::Upstream::fallback_candidate`]:
//!    connection/DNS failure, 404 `UnknownOperationException`, a configured 403; never a 400):
//!    the account moves to the legacy `q.*` host ([`super::slot::Slot::set_host`]).
//! 3. "profileArn is required" / "User is not authorized to make this call." / "Invalid
//!    profileArn." ([`ErrorClass::ProfileRejected`]): the profile is re-resolved
//!    ([`Inner::reresolve_profile`]).
//!
//! The chat path (`send.rs`) and the account calls (`quota.rs`) share it.

use std::sync::Arc;

use amazonq::client::{ClientError, Host};
use amazonq::error::ErrorClass;

use super::Inner;
use super::refresh::{Need, RefreshFailure};
use super::slot::{Slot, Token};

/// Steps already taken for one request on one account.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Recovery {
    refreshed: bool,
    fell_back: bool,
    reresolved: bool,
}

impl Inner {
    /// The token to retry with after `error` (and, for a fallback, the account now on the
    /// legacy host), or `Ok(None)` when nothing is left to try.
    pub(crate) async fn recover(
        &self,
        slot: &Arc<Slot>,
        token: &Token,
        error: &ClientError,
        done: &mut Recovery,
    ) -> Result<Option<Arc<Token>>, RefreshFailure> {
        let class = error.class();
        if class == ErrorClass::NeedsRefresh && !done.refreshed {
            done.refreshed = true;
            let old = token.access_token.clone().unwrap_or_default();
            return self.fresh_token(slot, Need::Replace(&old)).await.map(Some);
        }
        if !done.fell_back
            && slot.host() == Host::Runtime
            && self.upstream.fallback_candidate(error)
        {
            done.fell_back = true;
            tracing::warn!(account = %slot.id, error = %error, "new Kiro hosts failed this account; falling back to the legacy q host");
            slot.set_host(Host::LegacyQ);
            return Ok(Some(slot.token.load_full()));
        }
        if class == ErrorClass::NeedsRefresh && done.refreshed && slot.host() == Host::Runtime {
            tracing::warn!(
                account = %slot.id,
                api_region = super::upstream::Upstream::api_region(&slot.info.load(), token),
                "bearer token refused again after a refresh: the token's region may not match the host's (profile ARN region vs. auth region)"
            );
        }
        if class == ErrorClass::ProfileRejected && !done.reresolved {
            done.reresolved = true;
            return Ok(self.reresolve_profile(slot, token).await);
        }
        Ok(None)
    }
}
