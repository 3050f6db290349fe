//! The envelopes of the admin API's answers (shared/ADMIN_API.md): the objects around the records
//! (lists with their paging, one-off acknowledgements, the session and system answers). Typed, so
//! the console's TypeScript types are generated from them (`ts.rs`) instead of guessed.

use chrono::{DateTime, Utc};
use serde::Serialize;
use store::Page;

use super::accounts::AccountView;
use crate::pool::AccountProfile;

/// Paging of a list answer: the total matching the filter and the page returned.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Paging {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// The rows of `page`, mapped, and its paging.
    pub fn split<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> (Vec<U>, Self) {
        let paging = Self {
            total: page.total,
            page: page.page,
            per_page: page.per_page,
        };
        (page.items.into_iter().map(f).collect(), paging)
    }
}

/// `GET /v2/accounts`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AccountList {
    pub accounts: Vec<AccountView>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /v2/logs` (rows without their bodies).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct LogList {
    pub logs: Vec<store::RequestLog>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /v2/audit`, newest first.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct AuditList {
    pub entries: Vec<store::AuditEntry>,
    #[serde(flatten)]
    pub paging: Paging,
}

/// `GET /v2/keys`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct KeyList {
    pub keys: Vec<store::ApiKey>,
    /// Whether the original single `apiKey` setting is set (it works as one more key).
    pub legacy_api_key_set: bool,
}

/// `POST /v2/keys`: the key and its secret, shown this once.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: store::ApiKey,
    pub secret: String,
}

/// `GET /v2/ips/blocked` (expired entries are not shown).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct BlockedList {
    pub blocked: Vec<store::BlockedIp>,
}

/// `GET /v2/accounts/:id/profiles`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct ProfileList {
    pub profiles: Vec<AccountProfile>,
}

/// `{"ok": true}`: deletes, unblock, logout.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Done {
    pub ok: bool,
}

impl Done {
    pub const OK: Self = Self { ok: true };
}

/// `POST /v2/logs/cleanup`.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct Deleted {
    /// Rows deleted.
    pub deleted: u64,
}

/// `POST /v2/login` (the same token is also set as a cookie).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct LoginAnswer {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub must_change_password: bool,
}

/// `POST /v2/password` (every other session is revoked).
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PasswordChanged {
    pub ok: bool,
    pub must_change_password: bool,
}

/// `GET /v2/system`: what the console shows in its header and first-run banner.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SystemInfo {
    pub version: &'static str,
    /// Running against the built-in simulator (`--demo` / `test: true`).
    pub demo: bool,
    pub must_change_password: bool,
    pub data_dir: String,
    pub database_type: &'static str,
}

/// `GET /v2/upstream/drift`: kinds in a fixed order, only those seen.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DriftReport {
    pub total: u64,
    pub kinds: Vec<DriftKindReport>,
}

/// One drift kind with its counters and recent redacted samples.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct DriftKindReport {
    pub kind: amazonq::drift::DriftKind,
    #[serde(flatten)]
    pub report: amazonq::drift::KindReport,
}
