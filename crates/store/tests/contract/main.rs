//! Storage contract suite (issue 7 "Storage": "a contract test suite runs the same story against
//! all three backends").
//!
//! One story (the modules below, run in order by [`story::run`]) runs against:
//! - SQLite, always (a fresh file in a temp directory);
//! - MariaDB/MySQL at `STORE_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`);
//! - PostgreSQL at `STORE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! For the server backends each run creates its own database `claude_api_test_<random>` through
//! the given URL and drops it afterwards, so parallel runs never collide. An unreachable server
//! FAILS the test; set `STORE_TEST_SKIP_EXTERNAL=1` to skip those two on a machine without them.
//!
//! The SQLite-only checks sit beside the story in this one binary: `memory` (`sqlite::memory:`
//! is one database) and `writer_load` (the log writer under parallel load). A new store test goes
//! in a module here (a story step in `story::run`, a SQLite-only check as its own module), not in
//! a new `tests/<name>.rs` binary.

// A test crate: helpers outside `#[test]` fns panic on failure by design (clippy.toml's
// allow-*-in-tests only covers the `#[test]` fns themselves).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::many_single_char_names
)]
// `tokio::spawn` is banned for untracked tasks; every task here is joined by its test or dropped
// with the test's runtime.
#![expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]

mod accounts;
mod admin;
mod logs;
mod memory;
mod responses;
mod security;
mod story;
mod token_race;
mod writer;
mod writer_load;

use std::path::PathBuf;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait as _, Database};
use store::{Cipher, LogSender, LogWriter, LogWriterConfig, LogWriterReport, Store, StoreConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const TEST_KEY: [u8; 32] = [42; 32];

pub fn cipher() -> Cipher {
    Cipher::from_key_bytes(&TEST_KEY).unwrap()
}

pub async fn connect(url: &str) -> Store {
    Store::connect(StoreConfig::new(url, cipher()))
        .await
        .unwrap_or_else(|e| panic!("connect {}: {e}", redact(url)))
}

/// Three instances starting at once on an empty database: the migration lock lets exactly one
/// apply each step and the others see the result.
async fn first_connect(url: &str) -> Store {
    let (a, b, c) = tokio::join!(connect(url), connect(url), connect(url));
    for s in [&b, &c] {
        assert_eq!(s.schema_version().await.unwrap(), store::SCHEMA_VERSION);
        s.close().await.unwrap();
    }
    a
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

/// `url` with its database path replaced by `db` (query string kept).
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn skip_external() -> bool {
    std::env::var("STORE_TEST_SKIP_EXTERNAL").is_ok_and(|v| v == "1")
}

/// Runs the story on a fresh database of a server backend, dropping it afterwards even when the
/// story fails.
async fn run_on_server(env: &str, default_url: &str) {
    let admin_url = std::env::var(env).unwrap_or_else(|_| default_url.to_owned());
    let mut opts = ConnectOptions::new(admin_url.as_str());
    opts.connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let admin = match Database::connect(opts).await {
        Ok(db) => db,
        Err(e) if skip_external() => {
            eprintln!(
                "SKIPPED by STORE_TEST_SKIP_EXTERNAL=1: {} unreachable: {e}",
                redact(&admin_url)
            );
            return;
        }
        Err(e) => panic!(
            "{} is unreachable ({e}); start the server, set {env}, or set STORE_TEST_SKIP_EXTERNAL=1 to skip",
            redact(&admin_url)
        ),
    };
    let name = format!("claude_api_test_{}", uuid::Uuid::new_v4().simple());
    let create = if admin_url.starts_with("postgres") {
        format!("CREATE DATABASE {name}")
    } else {
        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    };
    admin.execute_unprepared(&create).await.unwrap();
    let url = with_database(&admin_url, &name);
    let outcome = tokio::spawn(async move {
        let store = first_connect(&url).await;
        story::run(store.clone(), url.clone()).await;
        store.close().await.unwrap();
    })
    .await;
    let drop = if admin_url.starts_with("postgres") {
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    } else {
        format!("DROP DATABASE IF EXISTS {name}")
    };
    admin.execute_unprepared(&drop).await.unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Runs `task(0)` .. `task(n - 1)` as concurrent tasks and returns their results in that order.
pub async fn concurrently<T, F>(n: u32, task: impl Fn(u32) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(task(i))).collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// A log writer on `store` with this queue `capacity`, `batch_size` and `flush_interval` (and the
/// default 3 attempts a batch), plus the token that shuts it down.
pub fn spawn_writer(
    store: &Store,
    capacity: usize,
    batch_size: usize,
    flush_interval: Duration,
) -> (LogSender, JoinHandle<LogWriterReport>, CancellationToken) {
    let shutdown = CancellationToken::new();
    let config = LogWriterConfig {
        capacity,
        batch_size,
        flush_interval,
        max_attempts: 3,
    };
    let (tx, handle) = LogWriter::spawn_with(store.clone(), config, shutdown.clone());
    (tx, handle, shutdown)
}

/// A fresh temp directory and the URL of the SQLite file `file` in it (created on connect).
pub fn temp_sqlite(file: &str) -> (PathBuf, String) {
    let dir =
        std::env::temp_dir().join(format!("claude_api_test_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join(file).display());
    (dir, url)
}

#[tokio::test]
async fn sqlite_contract() {
    let (dir, url) = temp_sqlite("data.sqlite3");
    let d = dir.clone();
    let outcome = tokio::spawn(async move {
        let store = first_connect(&url).await;
        // WAL mode is on for the file database.
        let mode = store.get_setting_raw("__nothing__").await.unwrap();
        assert!(mode.is_none());
        assert!(
            d.join("data.sqlite3-wal").exists() || d.join("data.sqlite3-shm").exists(),
            "WAL files expected"
        );
        story::run(store.clone(), url.clone()).await;
        story::sqlite_backup(&store, &d).await;
        store.close().await.unwrap();
    })
    .await;
    std::fs::remove_dir_all(&dir).unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn mariadb_contract() {
    run_on_server("STORE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test").await;
}

#[tokio::test]
async fn postgres_contract() {
    run_on_server(
        "STORE_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    )
    .await;
}

#[test]
fn url_rewrite() {
    assert_eq!(
        with_database("mysql://root@127.0.0.1:3306/test", "x"),
        "mysql://root@127.0.0.1:3306/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/test?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    assert_eq!(redact("postgres://u:pw@h/db"), "postgres://***@h/db");
}
