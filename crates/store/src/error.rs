//! The one error type of the storage layer.
//!
//! Callers (the admin API, the pool) map these to HTTP answers: `NotFound` → 404,
//! `Conflict` → 409, `Invalid` → 400, everything else → 500/503.

use sea_orm::DbErr;

/// Every failure a [`crate::Store`] method can report.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or the URL is not usable.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A query failed.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// A migration step failed; the schema is left at the previous version.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: DbErr,
    },
    /// The database schema is newer than this binary knows.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: i64, supported: i64 },
    /// Encryption key problems or a stored secret that does not decrypt.
    #[error("crypto error: {0}")]
    Crypto(String),
    /// No row with that id.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// A unique value already exists (key name, blocked address, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that cannot be stored (bad CIDR, unknown setting, wrong type ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The operation is not available on this backend (e.g. SQLite backup on Postgres).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// Filesystem errors (key file, backup target).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value could not be decoded (corrupt JSON column, unknown enum text).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A unique-key violation becomes `Conflict(what)`; anything else stays a database error.
    /// Inserts check for duplicates first for a clear message, and this catches the race.
    pub(crate) fn unique(e: DbErr, what: impl Into<String>) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Conflict(what.into()),
            _ => Self::Database(e),
        }
    }

    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            what,
            id: id.into(),
        }
    }
}
