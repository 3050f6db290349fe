//! Model refusals for the same-family fallback (protocol spec §6.1–§6.3): the alias table resolves
//! a client name to a list of upstream ids, best first
//! ([`translate::models::ResolvedModel::candidates`]); this module decides which of them to send
//! and remembers which ones the upstream refused. It is upstream knowledge shared by every chat
//! request, so it lives with the pool (the chat flow in `api::chat` asks it; the state holds one).
//!
//! Why learn from refusals: the pool routes a model to accounts whose ListAvailableModels lists it
//! and, when none does, lets the upstream judge. An id the upstream refuses as an invalid model
//! (`ErrorClass::InvalidModel`, before any byte reached the client) is therefore offered by no
//! usable account; the next candidate is tried at once, and the refused id is skipped for
//! [`REFUSAL_TTL`] so later requests do not pay for the refused round trip again. The last
//! candidate is never skipped, so a request always reaches the upstream with some id and an
//! exact request for an id that exists keeps its exact behaviour.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use amazonq::error::ErrorClass;

use super::PoolError;

/// How long an upstream id the upstream refused is skipped (a plan change or a new model becomes
/// visible after this).
pub const REFUSAL_TTL: Duration = Duration::from_mins(5);

/// Upstream ids recently refused as invalid models, shared by all chat requests.
#[derive(Debug, Default)]
pub struct ModelRefusals {
    until: Mutex<HashMap<String, Instant>>,
}

impl ModelRefusals {
    /// Remembers that the upstream refused `upstream_id`.
    pub fn refuse(&self, upstream_id: &str) {
        self.lock()
            .insert(upstream_id.to_owned(), Instant::now() + REFUSAL_TTL);
    }

    /// Whether `upstream_id` was refused within [`REFUSAL_TTL`].
    pub fn refused(&self, upstream_id: &str) -> bool {
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, until| *until > now);
        map.contains_key(upstream_id)
    }

    /// The candidates worth trying, in order: the ones not recently refused, and always the last.
    pub fn plan<'a>(&self, candidates: &'a [String]) -> Vec<&'a str> {
        let n = candidates.len();
        candidates
            .iter()
            .enumerate()
            .filter(|(i, id)| i + 1 == n || !self.refused(id))
            .map(|(_, id)| id.as_str())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.until.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a failed open means "this model is not offered here", so the next candidate may serve.
pub fn model_refused(err: &PoolError) -> bool {
    matches!(
        err,
        PoolError::Upstream {
            class: ErrorClass::InvalidModel,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn refused_ids_are_skipped_but_never_the_last() {
        let r = ModelRefusals::default();
        let c = ids(&["claude-opus-4.8", "claude-opus-4.7", "claude-opus-4.6"]);
        assert_eq!(r.plan(&c), c.iter().map(String::as_str).collect::<Vec<_>>());
        r.refuse("claude-opus-4.8");
        assert_eq!(r.plan(&c), ["claude-opus-4.7", "claude-opus-4.6"]);
        r.refuse("claude-opus-4.7");
        r.refuse("claude-opus-4.6");
        assert_eq!(r.plan(&c), ["claude-opus-4.6"]);
        assert!(r.refused("claude-opus-4.8"));
        assert!(!r.refused("claude-sonnet-4.5"));
    }

    #[test]
    fn only_invalid_model_counts_as_refusal() {
        let up = |class| PoolError::Upstream {
            class,
            message: String::new(),
            status: Some(400),
            attempts: 1,
        };
        assert!(model_refused(&up(ErrorClass::InvalidModel)));
        assert!(!model_refused(&up(ErrorClass::ContextTooLong)));
        assert!(!model_refused(&PoolError::NoAccounts(None)));
    }
}
