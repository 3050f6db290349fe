//! Client API keys on `/v1` (issue 7 §Client API keys).
//!
//! Keys are presented as `Authorization: Bearer <key>` or `x-api-key: <key>` (Claude Code may send
//! both; either may match). Only SHA-256 digests exist: the store keeps each key's digest and the
//! ring holds all of them (`Store::api_key_hashes`). A presented key is hashed and compared against
//! every known digest in constant time, without an early exit; a key that matches none is rejected
//! without touching the database, so a flood of wrong keys costs no queries. The ring is an
//! immutable snapshot rebuilt on every key change (and announced to other instances), so a new key
//! is known at once and a deleted or edited key never lingers.
//! The original single `apiKey` setting is one more entry. With no key configured at all, `/v1`
//! serves local callers only ([`LocalCaller`]: a loopback peer without forwarding headers, or a
//! trusted proxy vouching for a loopback client; issue 16 §1) and tells everyone else why: never
//! an open relay by default, not even behind a reverse proxy on the same machine.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use translate::models::canonical;

use super::client_ip::LocalCaller;
use crate::error::Error;

/// Id under which the legacy `apiKey` setting appears in logs and limits.
pub const LEGACY_KEY_ID: &str = "setting:apiKey";

/// One usable key's policy (no secret).
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// Key id (`setting:apiKey` for the legacy setting).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Disabled keys are rejected.
    pub enabled: bool,
    /// Allowed model ids (`None` = all). A trailing `*` matches a prefix; other entries match
    /// every spelling of the same model (canonical names of the alias table, protocol doc §6.2).
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Concurrent requests.
    pub max_concurrency: Option<u32>,
    /// Epoch milliseconds after which the key is rejected.
    pub expires_at: Option<i64>,
    /// `key:<id>`, the key's bucket in the rate and concurrency limiters (made once per ring,
    /// not per request).
    bucket: String,
}

impl KeyEntry {
    /// The key's bucket name in the rate and concurrency limiters (`key:<id>`).
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Whether `model` is within this key's scope. Names are compared in the alias table's
    /// canonical form, so a key scoped to `claude-sonnet-4.5` accepts `claude-sonnet-4-5-20250929`
    /// (the same model) but not `claude-sonnet-3.5` (another name, even if served by the same id).
    pub fn allows_model(&self, model: &str) -> bool {
        let Some(list) = &self.models else {
            return true;
        };
        let lower = model.trim().to_ascii_lowercase();
        let canon = canonical(&lower).0;
        list.iter().any(|m| {
            let m = m.trim().to_ascii_lowercase();
            match m.strip_suffix('*') {
                Some(prefix) => lower.starts_with(prefix) || canon.starts_with(prefix),
                None => m == lower || canonical(&m).0 == canon,
            }
        })
    }
}

impl From<&store::ApiKey> for KeyEntry {
    fn from(k: &store::ApiKey) -> Self {
        Self {
            id: k.id.clone(),
            name: k.name.clone(),
            enabled: k.enabled,
            models: k.limits.models.clone(),
            rpm: k.limits.rpm,
            max_concurrency: k.limits.max_concurrency,
            expires_at: k.expires_at.map(|t| t.timestamp_millis()),
            bucket: format!("key:{}", k.id),
        }
    }
}

/// The authenticated caller of a `/v1` request (request extension). `None` = loopback client on a
/// gateway without keys.
#[derive(Debug, Clone)]
pub struct AuthedKey(pub Option<Arc<KeyEntry>>);

/// Snapshot of all keys and their digests.
#[derive(Debug, Default)]
pub struct KeyRing {
    entries: HashMap<String, Arc<KeyEntry>>,
    /// Each digest with its key (no id lookup per request).
    digests: Vec<([u8; 32], Arc<KeyEntry>)>,
}

/// Why a presented key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRejection {
    /// No key in the request.
    Missing,
    /// Matches no known digest.
    Unknown,
    /// Matches a disabled key.
    Disabled(String),
    /// Matches an expired key.
    Expired(String),
}

/// SHA-256 digest of a key secret.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

impl KeyRing {
    /// Builds a ring from stored keys plus the legacy `apiKey` setting (ignored when empty).
    pub fn new(keys: Vec<KeyEntry>, legacy_api_key: &str) -> Self {
        let mut entries: HashMap<String, Arc<KeyEntry>> = keys
            .into_iter()
            .map(|k| (k.id.clone(), Arc::new(k)))
            .collect();
        let mut digests = Vec::new();
        if !legacy_api_key.is_empty() {
            let legacy = KeyEntry {
                id: LEGACY_KEY_ID.into(),
                name: "apiKey setting".into(),
                enabled: true,
                models: None,
                rpm: None,
                max_concurrency: None,
                expires_at: None,
                bucket: format!("key:{LEGACY_KEY_ID}"),
            };
            let legacy = Arc::new(legacy);
            entries.insert(LEGACY_KEY_ID.into(), Arc::clone(&legacy));
            digests.push((digest(legacy_api_key), legacy));
        }
        Self { entries, digests }
    }

    /// Adds the stored digests (`(key id, lowercase hex SHA-256)`, `Store::api_key_hashes`) of the
    /// ring's keys; rows of unknown keys or with an undecodable digest are skipped.
    #[must_use]
    pub fn with_digests(mut self, hashes: &[(String, String)]) -> Self {
        for (id, hex_digest) in hashes {
            let mut d = [0u8; 32];
            if let Some(key) = self.entries.get(id)
                && hex::decode_to_slice(hex_digest, &mut d).is_ok()
            {
                self.digests.push((d, Arc::clone(key)));
            }
        }
        self
    }

    /// True when no key exists at all (then only loopback clients are served).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The policy of key `id`.
    pub fn entry(&self, id: &str) -> Option<Arc<KeyEntry>> {
        self.entries.get(id).cloned()
    }

    /// Checks the presented candidates against the known digests at `now_ms`.
    pub fn check(&self, candidates: &[&str], now_ms: i64) -> Result<Arc<KeyEntry>, KeyRejection> {
        if candidates.is_empty() {
            return Err(KeyRejection::Missing);
        }
        let mut found: Option<&Arc<KeyEntry>> = None;
        for candidate in candidates {
            let d = digest(candidate);
            // Visit every digest so timing does not reveal which (or whether one) matched.
            for (kd, key) in &self.digests {
                if bool::from(kd.ct_eq(&d)) && found.is_none() {
                    found = Some(key);
                }
            }
        }
        let key = found.cloned().ok_or(KeyRejection::Unknown)?;
        Self::usable(key, now_ms)
    }

    /// Applies the enabled / expiry rules to a matched key.
    pub fn usable(key: Arc<KeyEntry>, now_ms: i64) -> Result<Arc<KeyEntry>, KeyRejection> {
        if !key.enabled {
            return Err(KeyRejection::Disabled(key.name.clone()));
        }
        if key.expires_at.is_some_and(|t| t <= now_ms) {
            return Err(KeyRejection::Expired(key.name.clone()));
        }
        Ok(key)
    }
}

/// The keys a request presents: `Authorization: Bearer …` and `x-api-key`.
pub fn presented(headers: &HeaderMap) -> Vec<&str> {
    let mut out = Vec::with_capacity(2);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if let Some(token) = bearer.filter(|t| !t.is_empty()) {
        out.push(token);
    }
    let x_api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if let Some(v) = x_api_key.filter(|v| !v.is_empty()) {
        out.push(v);
    }
    out
}

fn rejection_error(r: KeyRejection) -> Error {
    match r {
        KeyRejection::Missing => Error::Unauthorized(
            "missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`".into(),
        ),
        KeyRejection::Unknown => Error::Unauthorized("invalid API key".into()),
        KeyRejection::Disabled(name) => Error::Forbidden {
            code: "key_disabled",
            message: format!("API key `{name}` is disabled"),
        },
        KeyRejection::Expired(name) => Error::Forbidden {
            code: "key_expired",
            message: format!("API key `{name}` has expired"),
        },
    }
}

/// Guard step: authenticates the caller against `ring` and inserts [`AuthedKey`]; `Err` = the
/// rejection.
pub fn check(ring: &KeyRing, req: &mut Request) -> Result<(), Error> {
    let authed = if ring.is_empty() {
        let local = req.extensions().get::<LocalCaller>().copied();
        if local != Some(LocalCaller(true)) {
            metrics::counter!("gateway_guard_rejections_total", "reason" => "no_key_configured")
                .increment(1);
            return Err(Error::Forbidden {
                code: "no_api_key_configured",
                message: "this gateway has no API key configured, so /v1 only accepts requests \
                          from the local machine (requests relayed by a proxy are not local); an \
                          administrator must create an API key (console → Keys, or the apiKey \
                          setting) before remote clients can use it"
                    .into(),
            });
        }
        AuthedKey(None)
    } else {
        // The candidates borrow the request's headers; no copies.
        match ring.check(&presented(req.headers()), super::now_ms()) {
            Ok(key) => AuthedKey(Some(key)),
            Err(r) => {
                metrics::counter!("gateway_guard_rejections_total", "reason" => "api_key")
                    .increment(1);
                return Err(rejection_error(r));
            }
        }
    };
    req.extensions_mut().insert(authed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> KeyEntry {
        KeyEntry {
            id: id.into(),
            name: id.into(),
            enabled: true,
            models: None,
            rpm: None,
            max_concurrency: None,
            expires_at: None,
            bucket: format!("key:{id}"),
        }
    }

    #[test]
    fn ring_checks() {
        let mut disabled = entry("d");
        disabled.enabled = false;
        let mut expired = entry("e");
        expired.expires_at = Some(100);
        let ring = KeyRing::new(vec![entry("a"), disabled, expired], "legacy");
        assert_eq!(
            ring.check(&["wrong", "legacy"], 0).unwrap().id,
            LEGACY_KEY_ID
        );
        assert_eq!(ring.check(&[], 0).unwrap_err(), KeyRejection::Missing);
        assert_eq!(ring.check(&["sk-a"], 0).unwrap_err(), KeyRejection::Unknown);
        let hex = |s: &str| hex::encode(digest(s));
        let ring = ring.with_digests(&[
            ("a".into(), hex("sk-a")),
            ("d".into(), hex("sk-d")),
            ("e".into(), hex("sk-e")),
            ("not-a-key".into(), hex("sk-x")),
            ("a".into(), "not hex".into()),
        ]);
        assert_eq!(ring.check(&["sk-a"], 0).unwrap().id, "a");
        assert_eq!(ring.check(&["sk-x"], 0).unwrap_err(), KeyRejection::Unknown);
        assert_eq!(
            ring.check(&["sk-d"], 0).unwrap_err(),
            KeyRejection::Disabled("d".into())
        );
        assert!(ring.check(&["sk-e"], 99).is_ok());
        assert_eq!(
            ring.check(&["sk-e"], 100).unwrap_err(),
            KeyRejection::Expired("e".into())
        );
        assert!(KeyRing::new(vec![], "").is_empty());
    }

    #[test]
    fn model_scope() {
        let mut k = entry("a");
        assert!(k.allows_model("anything"));
        k.models = Some(vec!["claude-sonnet-4.5".into(), "claude-4.5-opus-*".into()]);
        assert!(k.allows_model("claude-sonnet-4.5"));
        assert!(k.allows_model("claude-4.5-opus-high"));
        assert!(!k.allows_model("claude-sonnet-3.5"));
        // Other spellings of a scoped model are the same model.
        assert!(k.allows_model("claude-sonnet-4-5-20250929"));
        assert!(k.allows_model("claude-sonnet-4-5"));
        assert!(k.allows_model("anthropic.claude-sonnet-4-5-20250929-v1:0"));
        assert!(k.allows_model("Claude-Sonnet-4.5"));
        assert!(!k.allows_model("claude-sonnet-4-6"));
        assert!(!k.allows_model("claude-opus-4-5"));
        k.models = Some(vec!["claude-opus-4-5-20251101".into()]);
        assert!(k.allows_model("claude-opus-4.5"));
        assert!(!k.allows_model("claude-opus-4.6"));
    }

    #[test]
    fn presented_headers() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer abc".parse().unwrap());
        h.insert("x-api-key", "def".parse().unwrap());
        assert_eq!(presented(&h), vec!["abc", "def"]);
    }
}
