//! Upstream drift recorder (issue 22 item 2): counts, per [`DriftKind`], what the client and the
//! stream machine did not recognise — unknown event types, error types / `reason`s, `stopReason`s,
//! fields that did not parse, `REQUEST_BODY_INVALID` answers and pre-flight rewrites — and keeps
//! a few recent **redacted** samples of each.
//!
//! A sample is the *shape* of what arrived, never its content: names the upstream defines (event
//! type, error type, reason, stop reason, field path), the JSON shape of a payload (keys and value
//! types, [`json_shape`]), a timestamp and the account id. No user text, no token, no message.
//!
//! The recorder is a plain value (cheap to clone, shared state behind one mutex) owned by whoever
//! runs the calls — the gateway's pool — and passed where it is needed; there is no process-wide
//! instance, so several servers in one process (the tests) keep separate counts.
//! [`Drift::record`] says whether a kind + detail is new, so the caller logs a warning once.
//!
//! Cardinality is bounded: details are sanitized to `[A-Za-z0-9_.:-]`, at most
//! [`DETAIL_MAX_LEN`] characters, and each kind keeps at most [`MAX_DETAILS`] distinct details —
//! later ones are counted under [`OTHER_DETAIL`]. Safe as a metrics label.

mod known;
pub mod observe;
mod shape;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use known::{is_known_error_type, is_known_reason, unknown_error_detail};
pub use shape::{json_shape, json_shape_bytes, redact_parse_error};

/// Samples kept per kind (the most recent ones).
pub const SAMPLES_PER_KIND: usize = 5;
/// Distinct details counted per kind before the rest go to [`OTHER_DETAIL`].
pub const MAX_DETAILS: usize = 16;
/// Longest detail kept.
pub const DETAIL_MAX_LEN: usize = 64;
/// The detail label of everything past [`MAX_DETAILS`].
pub const OTHER_DETAIL: &str = "other";

/// What kind of thing the upstream sent (or needed) that this build does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// An event type (or message type) the decoder does not know; skipped.
    UnknownEvent,
    /// An error type or `reason` value not in the classification table (HTTP answer or in-stream
    /// exception).
    UnknownError,
    /// A `metadataEvent.stopReason` the stream machine does not know; the turn ends `end_turn`.
    UnknownStopReason,
    /// A known event or account-API answer whose JSON did not deserialize.
    MalformedField,
    /// `REQUEST_BODY_INVALID` / "Improperly formed request": the upstream refused a body the
    /// gateway built.
    BodyRejected,
    /// A pre-flight normalizer rule had to rewrite the request (non-routine rules only).
    PreflightRewrite,
}

impl DriftKind {
    /// All kinds, in display order.
    pub const ALL: [Self; 6] = [
        Self::UnknownEvent,
        Self::UnknownError,
        Self::UnknownStopReason,
        Self::MalformedField,
        Self::BodyRejected,
        Self::PreflightRewrite,
    ];

    /// Stable name (metrics label, JSON).
    pub fn name(self) -> &'static str {
        match self {
            Self::UnknownEvent => "unknown_event",
            Self::UnknownError => "unknown_error",
            Self::UnknownStopReason => "unknown_stop_reason",
            Self::MalformedField => "malformed_field",
            Self::BodyRejected => "body_rejected",
            Self::PreflightRewrite => "preflight_rewrite",
        }
    }
}

/// One observation, before recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub kind: DriftKind,
    /// The upstream-defined name that was not recognised (sanitized on record).
    pub detail: String,
    /// Redacted shape of the surrounding data (e.g. the payload's [`json_shape`]).
    pub shape: String,
}

impl Observation {
    pub fn new(kind: DriftKind, detail: impl Into<String>, shape: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            shape: shape.into(),
        }
    }
}

/// One kept sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "DriftSample")]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub account: Option<String>,
    pub detail: String,
    pub shape: String,
}

/// Counters and samples of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KindReport {
    pub count: u64,
    /// Per detail (bounded, see the module docs).
    pub details: BTreeMap<String, u64>,
    /// Most recent first.
    pub samples: Vec<Sample>,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct KindState {
    count: u64,
    details: BTreeMap<String, u64>,
    samples: VecDeque<Sample>,
    first_seen: Option<DateTime<Utc>>,
    last_seen: Option<DateTime<Utc>>,
}

/// What [`Drift::record`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The detail it was counted under (sanitized, or [`OTHER_DETAIL`]): safe as a label.
    pub detail: String,
    /// First time this kind + detail was seen since start (or the last reset).
    pub first: bool,
}

/// The recorder (module docs). Clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct Drift {
    inner: Arc<Mutex<BTreeMap<DriftKind, KindState>>>,
}

impl Drift {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one observation at `at` for `account`.
    pub fn record_at(
        &self,
        obs: &Observation,
        account: Option<&str>,
        at: DateTime<Utc>,
    ) -> Recorded {
        let detail = sanitize_detail(&obs.detail);
        let shape: String = obs.shape.chars().take(SHAPE_MAX_LEN).collect();
        let mut map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let st = map.entry(obs.kind).or_default();
        st.count += 1;
        st.first_seen.get_or_insert(at);
        st.last_seen = Some(at);
        let label = if st.details.contains_key(&detail) || st.details.len() < MAX_DETAILS {
            detail.clone()
        } else {
            OTHER_DETAIL.to_owned()
        };
        let n = st.details.entry(label.clone()).or_insert(0);
        *n += 1;
        let first = *n == 1;
        st.samples.push_front(Sample {
            at,
            account: account.map(str::to_owned),
            detail,
            shape,
        });
        st.samples.truncate(SAMPLES_PER_KIND);
        Recorded {
            detail: label,
            first,
        }
    }

    /// [`Self::record_at`] now.
    pub fn record(&self, obs: &Observation, account: Option<&str>) -> Recorded {
        self.record_at(obs, account, Utc::now())
    }

    /// Every kind seen so far, in [`DriftKind::ALL`] order.
    pub fn report(&self) -> BTreeMap<DriftKind, KindReport> {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.iter()
            .map(|(k, s)| {
                (
                    *k,
                    KindReport {
                        count: s.count,
                        details: s.details.clone(),
                        samples: s.samples.iter().cloned().collect(),
                        first_seen: s.first_seen,
                        last_seen: s.last_seen,
                    },
                )
            })
            .collect()
    }

    /// Total observations over all kinds.
    pub fn total(&self) -> u64 {
        let map = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        map.values().map(|s| s.count).sum()
    }

    /// Forgets everything (the operator acknowledged it, e.g. after updating the gateway).
    pub fn reset(&self) {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Longest shape kept per sample.
const SHAPE_MAX_LEN: usize = 512;

/// Keeps `[A-Za-z0-9_.:-]`, replaces the rest with `_`, cuts at [`DETAIL_MAX_LEN`].
pub fn sanitize_detail(raw: &str) -> String {
    let s: String = raw
        .trim()
        .chars()
        .take(DETAIL_MAX_LEN)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "-".to_owned() } else { s }
}

#[cfg(test)]
mod tests;
