//! Where the app keeps its data and which configuration the in-process gateway gets
//! (issue 9 "Data lives in the platform's application-data folder (respecting `DATA_DIR`); the
//! port is configurable"; ORIGINAL_DESIGN.md §Deployment: `DATA_DIR`, `PORT`, `NO_BROWSER`).
//!
//! Data folder, first that applies: `--data-dir` → env `DATA_DIR` → the platform's app-data
//! folder (Linux `~/.local/share/dev.claude-api.desktop`, macOS `~/Library/Application Support/…`,
//! Windows `%APPDATA%\…`). The gateway's `config.yaml` is read from that folder when present.
//! Port, first that applies: `--port` → env `PORT` → `server.port` in that `config.yaml` → 62311.
//! The host is always 127.0.0.1: a desktop app does not expose the gateway to the network.

use std::path::{Path, PathBuf};

use gateway::Config;
use gateway::config::ConfigError;

/// The data folder for these inputs (see the module docs for the order).
pub fn data_dir(flag: Option<&Path>, env_data_dir: Option<String>, platform: PathBuf) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            env_data_dir
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or(platform)
}

/// The gateway configuration: `<data_dir>/config.yaml` (if any) under the env, then the
/// desktop's overrides.
pub fn gateway_config(
    data_dir: &Path,
    port_flag: Option<u16>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let mut config = Config::load_with_env(&data_dir.join("config.yaml"), env)?;
    config.data_dir = Some(data_dir.to_path_buf());
    config.server.host = "127.0.0.1".to_string();
    if let Some(port) = port_flag {
        config.server.port = port;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_precedence_flag_env_platform() {
        let platform = PathBuf::from("/platform");
        assert_eq!(
            data_dir(
                Some(Path::new("/flag")),
                Some("/env".into()),
                platform.clone()
            ),
            PathBuf::from("/flag")
        );
        assert_eq!(
            data_dir(None, Some("/env".into()), platform.clone()),
            PathBuf::from("/env")
        );
        assert_eq!(
            data_dir(None, Some("  ".into()), platform.clone()),
            platform
        );
        assert_eq!(data_dir(None, None, platform.clone()), platform);
    }

    #[test]
    fn port_precedence_flag_env_file_default() {
        let dir = tempfile::tempdir().unwrap();
        let no_env = |_: &str| None;
        let c = gateway_config(dir.path(), None, no_env).unwrap();
        assert_eq!(c.server.port, gateway::config::DEFAULT_PORT);
        assert_eq!(c.server.host, "127.0.0.1");
        assert_eq!(c.data_dir.as_deref(), Some(dir.path()));

        std::fs::write(
            dir.path().join("config.yaml"),
            "server:\n  host: 0.0.0.0\n  port: 7000\n",
        )
        .unwrap();
        let c = gateway_config(dir.path(), None, no_env).unwrap();
        assert_eq!(c.server.port, 7000);
        assert_eq!(c.server.host, "127.0.0.1", "never exposed to the network");

        let env = |k: &str| (k == "PORT").then(|| "7100".to_string());
        assert_eq!(
            gateway_config(dir.path(), None, env).unwrap().server.port,
            7100
        );
        assert_eq!(
            gateway_config(dir.path(), Some(7200), env)
                .unwrap()
                .server
                .port,
            7200
        );
    }

    #[test]
    fn a_bad_config_file_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.yaml"), "server:\n  prot: 1\n").unwrap();
        let err = gateway_config(dir.path(), None, |_| None).unwrap_err();
        assert!(err.to_string().contains("server.prot"), "{err}");
    }
}
