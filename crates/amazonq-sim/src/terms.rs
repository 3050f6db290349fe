//! An account's terms: how its tokens behave, the limits its chat requests meet and the models it
//! may use (amazon-q-protocol.md §8.2, §8.4 stage 6).
//!
//! The same three groups are set by an [`crate::config::AccountSpec`], carried by an
//! [`crate::accounts::Account`] and changed by a [`crate::control::AccountPatch`]. Every field is
//! optional: `None` means the simulator-wide default (or no limit), and in a patch it means "leave
//! as it is", which is why a patch applies them with [`TokenPolicy::overlay`] and its siblings.
//! They are flattened into their owners, so the YAML config keys and control-API JSON name the
//! fields directly.

use serde::{Deserialize, Serialize};

use crate::config::Rotation;

/// How this account's tokens behave (None: the OIDC / Kiro default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct TokenPolicy {
    /// Access-token lifetime.
    pub access_ttl_s: Option<i64>,
    pub rotation: Option<Rotation>,
}

/// Limits on this account's chat requests (None: no limit).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Limits {
    /// Suspend the account after this many accepted chat requests ("suspension mid-pool").
    pub suspend_after: Option<u64>,
    /// Monthly request quota.
    pub monthly_limit: Option<u64>,
    /// Requests per minute.
    pub rpm_limit: Option<u32>,
}

/// The models this account may use (None: the global list and default).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Entitlement {
    pub models: Option<Vec<String>>,
    pub default_model: Option<String>,
}

/// `*dst = patch` where the patch gives a value; a `None` in the patch keeps `dst`.
fn set<T: Clone>(dst: &mut Option<T>, patch: Option<&T>) {
    if let Some(v) = patch {
        *dst = Some(v.clone());
    }
}

impl TokenPolicy {
    /// Takes the fields `patch` gives.
    pub fn overlay(&mut self, patch: &Self) {
        set(&mut self.access_ttl_s, patch.access_ttl_s.as_ref());
        set(&mut self.rotation, patch.rotation.as_ref());
    }
}

impl Limits {
    /// Takes the fields `patch` gives.
    pub fn overlay(&mut self, patch: &Self) {
        set(&mut self.suspend_after, patch.suspend_after.as_ref());
        set(&mut self.monthly_limit, patch.monthly_limit.as_ref());
        set(&mut self.rpm_limit, patch.rpm_limit.as_ref());
    }
}

impl Entitlement {
    /// Takes the fields `patch` gives.
    pub fn overlay(&mut self, patch: &Self) {
        set(&mut self.models, patch.models.as_ref());
        set(&mut self.default_model, patch.default_model.as_ref());
    }
}
