//! Bootstrap configuration: `config.yaml` (beside the binary, or `--config PATH`) layered under a few
//! environment variables. Implements issue 7 §Configuration and the original design's `config.yaml`
//! shape (shared/ORIGINAL_DESIGN.md §Configuration).
//!
//! Layers, lowest first: built-in defaults → the YAML file (a missing file means defaults) → env
//! (`PORT`, `DATA_DIR`, `NO_BROWSER`, `DATABASE_URL`, `HTTP_PROXY`/`HTTPS_PROXY`). Every struct denies
//! unknown fields and errors carry the dotted path of the offending key, so a typo fails start-up
//! with a message naming it. Secrets are [`Secret`], whose `Debug` prints `[redacted]`.
//!
//! Runtime settings the console edits (API key, rate limits, …) are *not* here: they live in the
//! store and are hot-swapped (see `state.rs`).

use std::fmt;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// Real AWS hosts; tests always point these at 127.0.0.1.
pub const DEFAULT_Q_ENDPOINT: &str = "https://q.us-east-1.amazonaws.com";
/// AWS SSO OIDC (device authorization + token refresh).
pub const DEFAULT_OIDC_ENDPOINT: &str = "https://oidc.us-east-1.amazonaws.com";
/// Kiro social-login token refresh.
pub const DEFAULT_KIRO_AUTH_ENDPOINT: &str = "https://prod.us-east-1.auth.desktop.kiro.dev";
/// Default port of the original design.
pub const DEFAULT_PORT: u16 = 62311;
/// Default request-body cap (32 MiB, the Anthropic API's own limit).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// A configuration error; the message always names the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key is unknown, has the wrong type or an invalid value.
    #[error("invalid config ({origin}) at `{key}`: {message}")]
    Invalid {
        /// Where the value came from (`config.yaml` path or an env variable).
        origin: String,
        /// Dotted key path, e.g. `database.mysql.port`.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// A string that never appears in `Debug` output or logs.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret value; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("[redacted]")
        }
    }
}

/// The whole bootstrap configuration.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder for the SQLite database and generated files (encryption key). Env `DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// Which database to use and how to reach it.
    pub database: DatabaseConfig,
    /// Listen address of the HTTP server.
    pub server: ServerConfig,
    /// Verbose logging.
    pub debug: bool,
    /// Test mode of the original design (kept for compatibility; only reported).
    pub test: bool,
    /// Upstream service endpoints and timeouts.
    pub upstream: UpstreamConfig,
    /// Proxies, body limits and the credential encryption key.
    pub security: SecurityConfig,
    /// Prometheus exposition.
    pub metrics: MetricsConfig,
    /// Shared fast state for several instances (issue 8); absent = single node, in memory.
    pub redis: RedisConfig,
    /// Account pool: selection, pacing, cooldowns, refresh cadence.
    pub pool: crate::pool::PoolConfig,
    /// Client model names → upstream ids (issue 10 "Model names").
    pub models: ModelsConfig,
    /// Remote `http(s)` images in client requests (issue 10 "images").
    pub images: ImagesConfig,
    /// Client-facing streaming (keep-alive during upstream silence).
    pub stream: StreamConfig,
    /// Set by env `NO_BROWSER`: front ends (desktop app) must not open a browser.
    #[serde(skip)]
    pub no_browser: bool,
}

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

/// `server.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Bind address.
    pub host: String,
    /// Port. Env `PORT`.
    pub port: u16,
    /// Upper bound, in seconds, on draining open streams at shutdown.
    pub shutdown_grace_secs: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".into(),
            port: DEFAULT_PORT,
            shutdown_grace_secs: 30,
        }
    }
}

/// `upstream.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Amazon Q (`GenerateAssistantResponse`) base URL.
    pub q_endpoint: String,
    /// AWS SSO OIDC base URL.
    pub oidc_endpoint: String,
    /// Kiro auth service base URL.
    pub kiro_auth_endpoint: String,
    /// Outbound HTTP(S) proxy. Env `HTTPS_PROXY` / `HTTP_PROXY`.
    pub proxy: Option<Secret>,
    /// Timeouts, in seconds.
    pub timeouts: UpstreamTimeouts,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            q_endpoint: DEFAULT_Q_ENDPOINT.into(),
            oidc_endpoint: DEFAULT_OIDC_ENDPOINT.into(),
            kiro_auth_endpoint: DEFAULT_KIRO_AUTH_ENDPOINT.into(),
            proxy: None,
            timeouts: UpstreamTimeouts::default(),
        }
    }
}

/// `upstream.timeouts.*` (seconds)
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamTimeouts {
    /// TCP + TLS connect.
    pub connect: u64,
    /// From request sent to first response byte.
    pub first_byte: u64,
    /// Longest silence allowed inside a stream.
    pub idle: u64,
    /// Whole token-refresh / OIDC call.
    pub auth: u64,
}

impl Default for UpstreamTimeouts {
    fn default() -> Self {
        Self {
            connect: 10,
            first_byte: 120,
            idle: 300,
            auth: 30,
        }
    }
}

/// `security.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Peers whose `X-Forwarded-For` / `X-Real-IP` are believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<IpNet>,
    /// Request body cap in bytes (413 beyond).
    pub max_body_bytes: u64,
    /// Base64 32-byte key for credentials at rest. Absent → `encryption_key_file`, else generated
    /// into the data folder on first start.
    pub encryption_key: Option<Secret>,
    /// File holding the key (base64).
    pub encryption_key_file: Option<PathBuf>,
    /// Admin session lifetime in hours.
    pub session_ttl_hours: u64,
    /// Failed logins from one IP before it is locked out.
    pub login_max_failures: u32,
    /// Lockout length in seconds.
    pub login_lockout_secs: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            encryption_key: None,
            encryption_key_file: None,
            session_ttl_hours: 24,
            login_max_failures: 5,
            login_lockout_secs: 300,
        }
    }
}

/// `metrics.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Serve `/metrics` on this separate address as well (e.g. `127.0.0.1:9100`).
    pub listen: Option<SocketAddr>,
}

/// `redis.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://…`; absent = single node.
    pub url: Option<Secret>,
}

/// `models.*`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Extra alias rows, matched before the built-in table (`id`, `upstream_id`, `display_name`,
    /// `created`, `listed`, `thinking`).
    pub aliases: Vec<translate::models::ModelEntry>,
    /// Upstream model id used for unknown names; absent = unknown names get 404.
    pub fallback: Option<String>,
}

/// `images.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImagesConfig {
    /// Fetch `http(s)` image URLs; false = such images get 400.
    pub fetch_remote: bool,
    /// Whole-fetch timeout per image, in milliseconds.
    pub timeout_ms: u64,
    /// Largest image fetched, in bytes.
    pub max_bytes: u64,
}

impl Default for ImagesConfig {
    fn default() -> Self {
        Self {
            fetch_remote: true,
            timeout_ms: 10_000,
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

/// `stream.*`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Keep-alive (`ping` / SSE comment) after this much upstream silence, in milliseconds.
    pub keepalive_ms: u64,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            keepalive_ms: 15_000,
        }
    }
}

impl Config {
    /// Loads `path` (or `config.yaml` beside the running binary) and applies the process env.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => default_config_path(),
        };
        Self::load_with_env(&path, |name| std::env::var(name).ok())
    }

    /// Like [`Config::load`] with an explicit env lookup (tests never mutate the process env).
    pub fn load_with_env(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match std::fs::read_to_string(path) {
            Ok(text) => Self::from_yaml(&text, &path.display().to_string())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses YAML text; `origin` names the source in error messages.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let invalid = |key: String, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            key,
            message,
        };
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let key = unknown_field_key(&path, &inner).unwrap_or(path);
            invalid(key, inner)
        })
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(port) = get("PORT") {
            self.server.port = port.trim().parse().map_err(|_| ConfigError::Invalid {
                origin: "env PORT".into(),
                key: "server.port".into(),
                message: format!("`{port}` is not a port number"),
            })?;
        }
        if let Some(dir) = get("DATA_DIR") {
            self.data_dir = Some(PathBuf::from(dir));
        }
        if let Some(v) = env("NO_BROWSER") {
            self.no_browser = !matches!(v.trim(), "" | "0" | "false" | "no");
        }
        if let Some(url) = get("DATABASE_URL") {
            self.database.url = Some(Secret::new(url));
        }
        let proxy = get("HTTPS_PROXY")
            .or_else(|| get("https_proxy"))
            .or_else(|| get("HTTP_PROXY"))
            .or_else(|| get("http_proxy"));
        if let Some(proxy) = proxy {
            self.upstream.proxy = Some(Secret::new(proxy));
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Invalid {
            origin: "config".into(),
            key: key.into(),
            message: message.into(),
        };
        for (key, url) in [
            ("upstream.q_endpoint", &self.upstream.q_endpoint),
            ("upstream.oidc_endpoint", &self.upstream.oidc_endpoint),
            (
                "upstream.kiro_auth_endpoint",
                &self.upstream.kiro_auth_endpoint,
            ),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(key, "must be an http:// or https:// URL"));
            }
        }
        if self.security.max_body_bytes < 1024 {
            return Err(bad("security.max_body_bytes", "must be at least 1024"));
        }
        if self.security.session_ttl_hours == 0 {
            return Err(bad("security.session_ttl_hours", "must be at least 1"));
        }
        if self.security.login_max_failures == 0 {
            return Err(bad("security.login_max_failures", "must be at least 1"));
        }
        if let Some(url) = &self.database.url {
            let u = url.expose();
            if !(u.starts_with("sqlite:") || u.starts_with("mysql:") || u.starts_with("postgres")) {
                return Err(bad(
                    "database.url",
                    "must start with sqlite:, mysql: or postgres:",
                ));
            }
        }
        Ok(())
    }

    /// The folder holding the database and generated files.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from("."))
    }

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

    /// `host:port` the server binds to.
    pub fn listen_addr(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }
}

/// `config.yaml` in the folder of the running executable (the original's layout).
pub fn default_config_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("config.yaml")))
        .unwrap_or_else(|| PathBuf::from("config.yaml"))
}

/// serde reports unknown fields at the parent path; append the field so the message names the key.
fn unknown_field_key(path: &str, message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let field = &rest[..rest.find('`')?];
    Some(if path == "." || path.is_empty() {
        field.to_string()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path.to_string()
    } else {
        format!("{path}.{field}")
    })
}

/// Percent-encodes a URL userinfo / path component.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn missing_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_with_env(&dir.path().join("nope.yaml"), no_env).unwrap();
        assert_eq!(c.server.port, 62311);
        assert_eq!(c.server.host, "0.0.0.0");
        assert_eq!(c.database_type(), DatabaseType::Sqlite);
        assert_eq!(c.database.mysql.database, "claude-api");
        assert_eq!(c.database.mysql.charset, "utf8mb4");
        assert_eq!(c.security.max_body_bytes, 32 * 1024 * 1024);
        assert_eq!(c.upstream.q_endpoint, DEFAULT_Q_ENDPOINT);
        assert!(c.redis.url.is_none());
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_yaml("database:\n  mysql:\n    hots: x\n", "t.yaml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("database.mysql.hots"), "{msg}");
        let err = Config::from_yaml("debugg: true\n", "t.yaml").unwrap_err();
        assert!(err.to_string().contains("`debugg`"), "{err}");
    }

    #[test]
    fn bad_value_is_named() {
        let err = Config::from_yaml("server:\n  port: lots\n", "t.yaml").unwrap_err();
        assert!(err.to_string().contains("server.port"), "{err}");
        let err = Config::from_yaml("database:\n  type: oracle\n", "t.yaml").unwrap_err();
        assert!(err.to_string().contains("database.type"), "{err}");
        let err = Config::from_yaml("security:\n  trusted_proxies: [\"nope\"]\n", "t").unwrap_err();
        assert!(
            err.to_string().contains("security.trusted_proxies"),
            "{err}"
        );
    }

    #[test]
    fn env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, "server:\n  port: 1000\n").unwrap();
        let env = |k: &str| match k {
            "PORT" => Some("2000".to_string()),
            "DATA_DIR" => Some("/var/lib/x".to_string()),
            "NO_BROWSER" => Some("1".to_string()),
            "DATABASE_URL" => Some("postgres://u:p@h/db".to_string()),
            "HTTP_PROXY" => Some("http://proxy:3128".to_string()),
            _ => None,
        };
        let c = Config::load_with_env(&path, env).unwrap();
        assert_eq!(c.server.port, 2000);
        assert_eq!(c.data_dir(), PathBuf::from("/var/lib/x"));
        assert!(c.no_browser);
        assert_eq!(c.database_type(), DatabaseType::Postgres);
        assert_eq!(c.upstream.proxy.unwrap().expose(), "http://proxy:3128");
        let bad = |k: &str| (k == "PORT").then(|| "x".to_string());
        let err = Config::load_with_env(&path, bad).unwrap_err();
        assert!(err.to_string().contains("server.port") && err.to_string().contains("PORT"));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = Config::from_yaml(
            "database:\n  mysql:\n    password: hunter2\n  url: mysql://root:hunter2@h/db\n\
             security:\n  encryption_key: c2VjcmV0\n",
            "t",
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("hunter2") && !dbg.contains("c2VjcmV0"),
            "{dbg}"
        );
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn urls_are_built_per_backend() {
        let mut c = Config::from_yaml("data_dir: /d\n", "t").unwrap();
        assert_eq!(
            c.database_url().expose(),
            "sqlite:///d/data.sqlite3?mode=rwc"
        );
        c.database.kind = DatabaseType::Mysql;
        c.database.mysql.password = Secret::new("p@ss");
        assert_eq!(
            c.database_url().expose(),
            "mysql://root:p%40ss@localhost:3306/claude-api?charset=utf8mb4"
        );
    }

    #[test]
    fn example_file_parses_and_documents_every_key() {
        let text = include_str!("../../../config.example.yaml");
        let parsed = Config::from_yaml(text, "config.example.yaml").unwrap();
        assert_eq!(parsed.server.port, DEFAULT_PORT);
        // Every key of the serialized defaults must appear in the example (commented or not).
        let defaults = serde_yaml::to_value(Config::default()).unwrap();
        let mut keys = Vec::new();
        collect_keys(&defaults, "", &mut keys);
        for key in keys {
            let leaf = key.rsplit('.').next().unwrap();
            assert!(
                text.contains(&format!("{leaf}:")),
                "config.example.yaml lacks `{key}`"
            );
        }
    }

    fn collect_keys(v: &serde_yaml::Value, prefix: &str, out: &mut Vec<String>) {
        if let serde_yaml::Value::Mapping(m) = v {
            for (k, v) in m {
                let k = k.as_str().unwrap();
                let full = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                collect_keys(v, &full, out);
                out.push(full);
            }
        }
    }
}
