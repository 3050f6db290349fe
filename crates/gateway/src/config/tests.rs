//! Config loading: defaults, errors naming the key, env overrides, redaction, the example file.

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
    // The 2026 hosts per account region by default; q.* only as a fallback.
    assert_eq!(c.upstream.runtime_endpoint, None);
    assert_eq!(c.upstream.management_endpoint, None);
    assert_eq!(c.upstream.q_endpoint, None);
    assert!(c.upstream.legacy_fallback);
    assert_eq!(
        c.upstream.legacy_fallback_on_403,
        [
            "bearer token invalid",
            "bearer token included in the request is invalid"
        ]
    );
    assert!(c.redis.url.is_none());
    assert!(c.source.is_none(), "defaults have no source file");
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
    let ok = Config::from_yaml(
        "security:\n  trusted_proxies: [\"10.0.0.1\", \"::1\", \"10.0.0.0/8\"]\n",
        "t",
    );
    let nets: Vec<String> = ok
        .unwrap()
        .security
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(nets, ["10.0.0.1/32", "::1/128", "10.0.0.0/8"]);
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
    assert_eq!(c.source.as_deref(), Some(path.as_path()));
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
    let text = include_str!("../../../../config.example.yaml");
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

#[test]
fn nginx_deploy_config_trusts_the_local_proxy() {
    let text = include_str!("../../../../deploy/config.nginx.yaml");
    let parsed = Config::from_yaml(text, "deploy/config.nginx.yaml").unwrap();
    let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    assert!(
        parsed
            .security
            .trusted_proxies
            .iter()
            .any(|n| n.contains(&loopback))
    );
    assert_eq!(parsed.server.host, "127.0.0.1");
    assert!(text.contains("create an API key"));
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
