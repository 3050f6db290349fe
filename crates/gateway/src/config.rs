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

pub mod browser;
mod database;
mod pool;
mod sections;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use database::{DatabaseConfig, DatabaseType, NetworkDbConfig, PostgresConfig, SqliteConfig};
pub use pool::{PoolConfig, Strategy};
pub use sections::*;

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

/// A string that never appears in `Debug` output or logs: the store's credential type, so a
/// configured secret and a stored one are the same thing.
pub use store::Secret;

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
    pub pool: PoolConfig,
    /// Client model names → upstream ids (issue 10 "Model names").
    pub models: ModelsConfig,
    /// Remote `http(s)` images in client requests (issue 10 "images").
    pub images: ImagesConfig,
    /// Client-facing streaming (keep-alive during upstream silence).
    pub stream: StreamConfig,
    /// Responses API answers kept for `previous_response_id`.
    pub responses: ResponsesConfig,
    /// Set by env `NO_BROWSER`: front ends (desktop app) must not open a browser.
    #[serde(skip)]
    pub no_browser: bool,
    /// The file the configuration was read from (`None` = built-in defaults).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

impl Config {
    /// Loads `path` (or `config.yaml` beside the running binary, else in the working
    /// directory) and applies the process env.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let path = path.map_or_else(
            || {
                let beside = default_config_path();
                let cwd = PathBuf::from("config.yaml");
                if !beside.exists() && cwd.exists() {
                    cwd
                } else {
                    beside
                }
            },
            Path::to_path_buf,
        );
        Self::load_with_env(&path, |name| std::env::var(name).ok())
    }

    /// Like [`Config::load`] with an explicit env lookup (tests never mutate the process env).
    pub fn load_with_env(
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match std::fs::read_to_string(path) {
            Ok(text) => Self {
                source: Some(path.to_path_buf()),
                ..Self::from_yaml(&text, &path.display().to_string())?
            },
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
        let up = &self.upstream;
        for (key, url) in [
            ("upstream.runtime_endpoint", up.runtime_endpoint.as_ref()),
            (
                "upstream.management_endpoint",
                up.management_endpoint.as_ref(),
            ),
            ("upstream.q_endpoint", up.q_endpoint.as_ref()),
            ("upstream.oidc_endpoint", Some(&up.oidc_endpoint)),
            ("upstream.kiro_auth_endpoint", Some(&up.kiro_auth_endpoint)),
        ] {
            let Some(url) = url else { continue };
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

#[cfg(test)]
mod tests;
