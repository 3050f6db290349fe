//! What a caller needs from an account's token ([`Need`]) and why a refresh is made
//! ([`Reason`], the `reason` label of `gateway_pool_refreshes_total`): the re-check after the
//! single-flight lock (issue 17 item 1) asks the [`Need`] whether the token now in place — maybe
//! just refreshed by whoever held the lock — already satisfies the caller.

use chrono::{DateTime, Utc};

use super::slot::Token;

/// When to refresh.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Need<'a> {
    /// Only if the token expires within this margin.
    Within(chrono::Duration),
    /// Unless the token in use is no longer this one (someone refreshed meanwhile).
    Replace(&'a str),
    /// Unless a refresh happened at or after this moment (admin "refresh now", validation of
    /// new accounts): a refresh that finished while this caller waited did the job.
    Since(DateTime<Utc>),
}

impl Need<'_> {
    /// A refresh is needed from now on: whatever is refreshed after this call satisfies it.
    pub(crate) fn from_now() -> Self {
        // Millisecond precision, like the stored `last_refresh_at` it is compared with.
        let now = Utc::now();
        Self::Since(DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now))
    }

    pub(crate) fn satisfied_by(&self, t: &Token) -> bool {
        let live = t.fresh_for(chrono::Duration::zero());
        match self {
            Self::Within(margin) => t.fresh_for(*margin),
            Self::Replace(old) => t.access_token.as_deref() != Some(*old) && live,
            Self::Since(at) => t.refreshed_at.is_some_and(|r| r >= *at) && live,
        }
    }

    /// The reason a refresh for this need is counted under, unless the caller says otherwise.
    pub(crate) fn reason(&self) -> Reason {
        match self {
            Self::Within(_) => Reason::Request,
            Self::Replace(_) | Self::Since(_) => Reason::Forced,
        }
    }
}

/// Why an upstream refresh call was made (the `reason` label of `gateway_pool_refreshes_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The background refresher renewing a token before it expires.
    Background,
    /// A request (chat, usage, models) needed a token about to expire.
    Request,
    /// The first check of a fed or imported account.
    Validation,
    /// The upstream refused the token (403 "bearer token invalid") or an operator asked.
    Forced,
}

impl Reason {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Background => "background",
            Self::Request => "request",
            Self::Validation => "validation",
            Self::Forced => "forced",
        }
    }
}

pub(crate) fn count(reason: Reason, result: &'static str) {
    metrics::counter!("gateway_pool_refreshes_total", "reason" => reason.label(), "result" => result)
        .increment(1);
}
