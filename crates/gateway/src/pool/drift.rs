//! Upstream drift seen by the pool (issue 22 item 2): every observation the client's
//! [`amazonq::drift::observe`] and the stream machine's stop-reason table report is counted in
//! the pool's [`Drift`] recorder, exported as `gateway_upstream_drift_total{kind,detail}` and
//! logged as a warning the first time a kind + detail appears.
//!
//! Why the pool owns the recorder: every upstream answer — chat and account APIs, first frame or
//! mid-stream — passes through it with the account id at hand, and one recorder per pool keeps
//! servers in one process (the tests) apart, so no process-wide instance is needed.
//!
//! Pre-flight rewrites ([`Pool::note_rules`]): only the *repair* rules count — those that fix a
//! conversation the upstream would refuse (orphan tool results, same-role runs, empty content…).
//! Routine translation steps that fire on ordinary traffic (system prompt, thinking, effort,
//! tool_choice / response_format instructions, tool-name shortening, schema and description
//! clean-up, image caps, prefill) are excluded: they say nothing about the upstream changing.

use amazonq::drift::{Drift, DriftKind, Observation, observe};
use amazonq::events::StreamEvent;
use translate::normalize::{Fired, Rule};
use translate::stream::stop_reason::{UpstreamStop, map_stop_reason};

use super::{Inner, Pool};

/// Counts `obs` in `drift`: metric, and a warning on the first sighting.
pub(crate) fn note(drift: &Drift, obs: &Observation, account: Option<&str>) {
    let kind = obs.kind.name();
    let rec = drift.record(obs, account);
    metrics::counter!("gateway_upstream_drift_total", "kind" => kind, "detail" => rec.detail.clone())
        .increment(1);
    if rec.first {
        tracing::warn!(
            kind,
            detail = %rec.detail,
            shape = %obs.shape,
            account = account.unwrap_or("-"),
            "upstream drift: the upstream sent something this gateway does not know; \
             it was handled safely — update the gateway, or report it with the samples from \
             the console's \"Upstream changed?\" card"
        );
    }
}

/// Everything an event can tell: an unknown type / error reason, or a `stopReason` the stream
/// machine's table does not know (it ends the turn as `end_turn`).
pub(crate) fn note_event(drift: &Drift, ev: &StreamEvent, account: &str) {
    if let Some(obs) = observe::from_event(ev) {
        note(drift, &obs, Some(account));
    }
    if let StreamEvent::Metadata {
        stop_reason: Some(raw),
        ..
    } = ev
        && map_stop_reason(raw) == UpstreamStop::Unknown
    {
        let obs = Observation::new(
            DriftKind::UnknownStopReason,
            raw.as_str(),
            "metadataEvent.stopReason",
        );
        note(drift, &obs, Some(account));
    }
}

/// A stream that ended with a known event whose payload did not parse.
pub(crate) fn note_stream_error(drift: &Drift, e: &amazonq::client::StreamError, account: &str) {
    if let amazonq::client::StreamError::Event(ev) = e
        && let Some(obs) = observe::from_event_error(ev)
    {
        note(drift, &obs, Some(account));
    }
}

/// A failed account-API call (`api`) with no account at hand (profile discovery runs before
/// the account exists): an answer that did not parse, or an unknown error type / reason.
pub(crate) fn note_client_error(drift: &Drift, e: &amazonq::client::ClientError, api: &str) {
    let obs = match e {
        amazonq::client::ClientError::Decode(m) => Some(observe::from_decode(api, m)),
        amazonq::client::ClientError::Http(h) => observe::from_http(h, String::new),
        _ => None,
    };
    if let Some(obs) = obs {
        note(drift, &obs, None);
    }
}

/// The repair rules (module docs).
fn is_repair(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::R2FirstTurnUser
            | Rule::R3MergeSameRole
            | Rule::R4HistoryEndsAssistant
            | Rule::R5OrphanToolResult
            | Rule::R6OrphanToolUse
            | Rule::R7FirstTurnToolResults
            | Rule::R8HistoryToolSpecs
            | Rule::R13EmptyContent
            | Rule::R14DuplicateToolResult
            | Rule::R15EmptyInputKey
            | Rule::R21ToolResultOrder
            | Rule::DuplicateToolUse
    )
}

impl Pool {
    /// The pool's drift recorder (admin API, dashboard).
    pub fn drift(&self) -> &Drift {
        &self.inner.drift
    }

    /// Counts the repair rules the normalizer had to apply to a request `account` served.
    pub fn note_rules(&self, fired: &Fired, account: Option<&str>) {
        let repairs: Vec<&str> = fired
            .as_slice()
            .iter()
            .filter(|r| is_repair(**r))
            .map(|r| r.name())
            .collect();
        for rule in &repairs {
            let obs = Observation::new(
                DriftKind::PreflightRewrite,
                *rule,
                format!("rules=[{}]", repairs.join(",")),
            );
            note(&self.inner.drift, &obs, account);
        }
    }
}

impl Inner {
    /// Counts an observation for `account`.
    pub(crate) fn drift_note(&self, obs: &Observation, account: &str) {
        note(&self.drift, obs, Some(account));
    }
}
