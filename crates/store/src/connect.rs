//! Connecting: backend choice by URL at run time, pool size, SQLite pragmas, migrations on connect.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::{Cipher, StoreError, migrate};

/// Which database the store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    MySql,
    Postgres,
}

impl Backend {
    /// The backend a URL selects: `sqlite:`, `mysql:`/`mariadb:`, `postgres:`/`postgresql:`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "mysql" | "mariadb" => Ok(Self::MySql),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::Connect(format!(
                "unsupported database URL scheme {scheme:?} (expected sqlite:, mysql:, mariadb:, postgres:)"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::MySql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

/// How to reach the database.
#[derive(Clone)]
pub struct StoreConfig {
    /// `sqlite://data.sqlite3?mode=rwc`, `mysql://user:pw@host/db`, `postgres://user@host/db`.
    pub url: String,
    /// Pool size; default 4 for SQLite (WAL: readers in parallel, one writer) and 10 otherwise.
    /// An in-memory SQLite database (`sqlite::memory:`) always uses exactly one connection.
    pub max_connections: Option<u32>,
    /// How long a query waits for a pooled connection.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a locked database before failing (`busy_timeout`).
    pub sqlite_busy_timeout: Duration,
    /// Key for the encrypted credential columns.
    pub cipher: Cipher,
}

impl StoreConfig {
    pub fn new(url: impl Into<String>, cipher: Cipher) -> Self {
        Self {
            url: url.into(),
            max_connections: None,
            acquire_timeout: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(5),
            cipher,
        }
    }
}

impl fmt::Debug for StoreConfig {
    // The URL can carry a password: show only the scheme.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("backend", &Backend::from_url(&self.url).ok())
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The persistence handle. Cheap to clone (one shared pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: DatabaseConnection,
    pub(crate) cipher: Cipher,
    pub(crate) backend: Backend,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

/// Opens the pool. SQLite switches a new file to WAL while opening the first connection, and
/// that switch needs the file to itself: when several processes (or pools) open the same new
/// file at once, the loser gets "database is locked" before `busy_timeout` applies. That is a
/// start-up race, not a fault, so SQLite retries it for up to the busy timeout.
async fn connect_with_retry(
    backend: Backend,
    opts: ConnectOptions,
    budget: Duration,
) -> Result<DatabaseConnection, StoreError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        // Boxed: the driver's connect future is large, and callers should not carry it inline.
        match Box::pin(Database::connect(opts.clone())).await {
            Ok(db) => return Ok(db),
            Err(e) => {
                let text = e.to_string();
                let locked = backend == Backend::Sqlite && text.contains("database is locked");
                if !locked || started.elapsed() >= budget {
                    return Err(StoreError::Connect(text));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
        }
    }
}

impl Store {
    /// Connects, applies pragmas, and migrates the schema to the latest version.
    pub async fn connect(config: StoreConfig) -> Result<Self, StoreError> {
        let backend = Backend::from_url(&config.url)?;
        // sqlx only knows `mysql:`; `mariadb:` is accepted for operators' convenience.
        let url = match config.url.strip_prefix("mariadb:") {
            Some(rest) => format!("mysql:{rest}"),
            None => config.url.clone(),
        };
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false)
            .acquire_timeout(config.acquire_timeout)
            .connect_timeout(config.acquire_timeout)
            .max_connections(config.max_connections.unwrap_or(match backend {
                Backend::Sqlite => 4,
                _ => 10,
            }));
        if backend == Backend::Sqlite && is_sqlite_memory(&config.url) {
            // Every connection to an in-memory database is a separate, empty database: keep
            // exactly one, forever (tests and throwaway runs).
            opts.max_connections(1)
                .min_connections(1)
                .idle_timeout(None::<Duration>)
                .max_lifetime(None::<Duration>);
        }
        if backend == Backend::Sqlite {
            let busy = config.sqlite_busy_timeout;
            opts.map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(busy)
                    .foreign_keys(true)
            });
        }
        let db = connect_with_retry(backend, opts, config.sqlite_busy_timeout).await?;
        let before = Box::pin(migrate::run(&db)).await?;
        tracing::debug!(
            backend = backend.as_str(),
            schema_before = before,
            "store connected"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                cipher: config.cipher,
                backend,
            }),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    pub fn cipher(&self) -> &Cipher {
        &self.inner.cipher
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.inner.db.ping().await.map_err(StoreError::from)
    }

    /// The applied schema version.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        migrate::current_version(&self.inner.db, self.inner.db.get_database_backend()).await
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) -> Result<(), StoreError> {
        self.inner
            .db
            .clone()
            .close()
            .await
            .map_err(StoreError::from)
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        self.inner.db.get_database_backend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        assert_eq!(
            Backend::from_url("sqlite://x.db?mode=rwc").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("mariadb://root@h/db").unwrap(),
            Backend::MySql
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("redis://h").is_err());
    }
}
