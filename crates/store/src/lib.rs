//! claude-api persistence: one [`Store`] over SQLite, MySQL/MariaDB and PostgreSQL (issue 7,
//! "Storage" and "Request log"; the account fields of issue 4; `shared/ARCHITECTURE.md` Storage).
//!
//! # Why sea-orm
//! `shared/research/crates.md` §3.3 measured both options against the three real servers. sqlx's
//! `Any` driver does not rewrite placeholders (`?` fails on PostgreSQL, `$1` fails on MySQL), only
//! carries bool/int/float/text/bytes, and needs a migration folder per backend. sea-orm 2.0.4 ran
//! one unchanged code path — connect by URL, build statements, insert and read back — on all
//! three: statements are built as ASTs and rendered per backend with the right placeholders and
//! quoting, and every value is a bound parameter. So this crate has one implementation of every
//! query; the only backend-specific lines are the migration lock, the integer type name in `CAST`
//! and the SQLite pragmas/backup, each marked where it happens.
//!
//! # Layout
//! - [`connect`](Store::connect) picks the backend from the URL, applies pragmas and pool size,
//!   and runs the migrations of `migrate.rs` (own version table, see there for why).
//! - Domain modules each own their records and `impl Store` methods: `accounts` (records) +
//!   `account_queries` (+ token rotation writes in `token_write`), `keys`, `settings`, `ips`
//!   (+ pure CIDR code in `ipnet`), `sessions`, `audit`, `logs` (+ `stats`), `responses`
//!   (Responses API answers kept for `previous_response_id`), plus the request-log batch writer
//!   in `writer`, encryption in
//!   `crypto`, the SQLite online backup in `backup`, and the JSON text of model-id lists
//!   (accounts and keys) in `model_ids`. Rows are the private sea-orm entities
//!   in `entity/`; callers only see the record types re-exported below.
//! - Timestamps are epoch milliseconds in the database (`time.rs` says why) and
//!   `DateTime<Utc>` in the API; JSON values are stored as text.
//!
//! # Tests
//! `tests/contract/` runs one story on SQLite always and on MariaDB and PostgreSQL
//! (`STORE_TEST_MYSQL_URL`, `STORE_TEST_POSTGRES_URL`, defaulting to the local servers), each in
//! a fresh database dropped afterwards; an unreachable server fails unless
//! `STORE_TEST_SKIP_EXTERNAL=1`.

mod account_queries;
mod accounts;
mod audit;
mod backup;
mod connect;
mod crypto;
mod entity;
mod error;
mod ipnet;
mod ips;
mod keys;
mod logs;
mod migrate;
mod model_ids;
mod page;
mod query;
mod responses;
mod sessions;
mod settings;
mod stats;
mod time;
mod token_write;
mod writer;

pub use accounts::{
    Account, AccountFilter, AccountPatch, AccountSettings, AccountStatus, AuthMethod,
    ClientRegistration, Credentials, DEFAULT_REGION, NewAccount, Quota, TokenUpdate,
    UNDECRYPTABLE_REASON,
};
pub use audit::{AuditEntry, AuditFilter, NewAuditEntry};
pub use connect::{Backend, Store, StoreConfig};
pub use crypto::{Cipher, KEY_LEN, Secret};
pub use error::StoreError;
pub use ipnet::IpBlock;
pub use ips::BlockedIp;
pub use keys::{ApiKey, ApiKeyPatch, KeyLimits, NewApiKey, hash_secret};
pub use logs::{LogFilter, MAX_BODY_BYTES, NewRequestLog, RequestLog, TokenUsage};
pub use migrate::LATEST_VERSION as SCHEMA_VERSION;
pub use page::Page;
pub use responses::{NewStoredResponse, StoredResponse};
pub use sessions::AdminSession;
pub use settings::{DEFAULT_ADMIN_PASSWORD, PublicSettings, SettingName, Settings};
pub use stats::{Counts, GroupStats, HourStats, LogStats, Percentiles, StatsRange};
pub use token_write::TokenWrite;
pub use writer::{LogSender, LogWriter, LogWriterConfig, LogWriterReport};
