//! `database.*`: which backend and how to reach it (original design: `database.type`,
//! `database.sqlite.path`, `database.mysql.{host,port,user,password,database,charset}`), plus a
//! `database.postgres` block and a `database.url` that wins over the blocks. Passwords are
//! [`Secret`]s and are percent-encoded into the connection URL.

use std::path::PathBuf;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use super::{Config, Secret};

/// Database backend choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseType {
    /// Embedded SQLite (default).
    #[default]
    Sqlite,
    /// MySQL / MariaDB.
    Mysql,
    /// PostgreSQL.
    Postgres,
}

impl DatabaseType {
    /// Lowercase name as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Mysql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

/// `database.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite`, `mysql` or `postgres`.
    #[serde(rename = "type")]
    pub kind: DatabaseType,
    /// A full connection URL; overrides the per-backend blocks. Env `DATABASE_URL`.
    pub url: Option<Secret>,
    /// `database.sqlite`
    pub sqlite: SqliteConfig,
    /// `database.mysql`
    pub mysql: NetworkDbConfig,
    /// `database.postgres`
    pub postgres: PostgresConfig,
}

/// `database.sqlite.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteConfig {
    /// File name, relative to the data folder unless absolute.
    pub path: PathBuf,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data.sqlite3"),
        }
    }
}

/// `database.mysql.*` (the original's block).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkDbConfig {
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password (redacted in Debug).
    pub password: Secret,
    /// Database name.
    pub database: String,
    /// Connection character set.
    pub charset: String,
}

impl Default for NetworkDbConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 3306,
            user: "root".into(),
            password: Secret::default(),
            database: "claude-api".into(),
            charset: "utf8mb4".into(),
        }
    }
}

/// `database.postgres.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    /// Host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password (redacted in Debug).
    pub password: Secret,
    /// Database name.
    pub database: String,
    /// libpq `sslmode` (`disable`, `prefer`, `require`).
    pub sslmode: String,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 5432,
            user: "postgres".into(),
            password: Secret::default(),
            database: "claude-api".into(),
            sslmode: "prefer".into(),
        }
    }
}

impl Config {
    /// The backend in effect (`database.url` wins over `database.type`).
    pub fn database_type(&self) -> DatabaseType {
        match &self.database.url {
            Some(url) if url.expose().starts_with("mysql:") => DatabaseType::Mysql,
            Some(url) if url.expose().starts_with("postgres") => DatabaseType::Postgres,
            Some(_) => DatabaseType::Sqlite,
            None => self.database.kind,
        }
    }

    /// The connection URL for the store, built from the blocks unless `database.url` is set.
    pub fn database_url(&self) -> Secret {
        if let Some(url) = &self.database.url {
            return url.clone();
        }
        match self.database.kind {
            DatabaseType::Sqlite => {
                let path = &self.database.sqlite.path;
                let full = if path.is_absolute() {
                    path.clone()
                } else {
                    self.data_dir().join(path)
                };
                Secret::new(format!("sqlite://{}?mode=rwc", full.display()))
            }
            DatabaseType::Mysql => {
                let m = &self.database.mysql;
                Secret::new(format!(
                    "mysql://{}:{}@{}:{}/{}?charset={}",
                    encode(&m.user),
                    encode(m.password.expose()),
                    m.host,
                    m.port,
                    encode(&m.database),
                    m.charset
                ))
            }
            DatabaseType::Postgres => {
                let p = &self.database.postgres;
                Secret::new(format!(
                    "postgres://{}:{}@{}:{}/{}?sslmode={}",
                    encode(&p.user),
                    encode(p.password.expose()),
                    p.host,
                    p.port,
                    encode(&p.database),
                    p.sslmode
                ))
            }
        }
    }
}

/// What a URL userinfo / path component percent-encodes: all but RFC 3986's unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a URL userinfo / path component.
fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}
