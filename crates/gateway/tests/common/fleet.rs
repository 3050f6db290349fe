//! Shared helpers of the fleet tests: Redis key prefixes, an own `redis-server`, throw-away
//! PostgreSQL/MariaDB databases, and `claude-server` processes configured for fleet mode against
//! an in-process `amazonq-sim`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use amazonq_sim::{AccountSpec, SimHandle};
use base64::Engine as _;
use redis::AsyncCommands as _;
use sea_orm::ConnectionTrait as _;
use store::{Cipher, Store, StoreConfig};

pub const SHARED_REDIS: &str = "redis://127.0.0.1:6379";
pub const KEY: [u8; 32] = [9; 32];

pub fn unique_prefix() -> String {
    format!("fleet-test-{}", uuid::Uuid::new_v4().simple())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fixed windows are aligned to the epoch: don't start counting in a window's last seconds.
pub async fn avoid_window_edge(window: Duration) {
    let w = window.as_millis() as i64;
    let now = chrono::Utc::now().timestamp_millis();
    let left = w - now % w;
    if left < 8_000 {
        tokio::time::sleep(Duration::from_millis(left as u64 + 50)).await;
    }
}

async fn shared_conn() -> redis::aio::MultiplexedConnection {
    redis::Client::open(SHARED_REDIS)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Deletes every key under `prefix` on the shared Redis.
pub async fn clear_prefix(prefix: &str) {
    clear_prefix_at(SHARED_REDIS, prefix).await;
}

pub async fn clear_prefix_at(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut c) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = c.keys(format!("{prefix}:*")).await.unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<(), _> = c.del(keys).await;
    }
}

pub async fn raw_get(prefix: &str, rest: &str) -> Option<String> {
    shared_conn()
        .await
        .get(format!("{prefix}:{rest}"))
        .await
        .unwrap()
}

/// A lease as an instance that then crashed leaves it: present, never renewed.
pub async fn raw_add_lease(prefix: &str, key: &str, ttl_ms: i64) -> bool {
    let until = chrono::Utc::now().timestamp_millis() + ttl_ms;
    let n: i64 = shared_conn()
        .await
        .zadd(format!("{prefix}:lease:{key}"), "crashed", until)
        .await
        .unwrap();
    n == 1
}

/// Live lease count of `key` (members whose expiry is still ahead).
pub async fn live_leases(url: &str, prefix: &str, key: &str) -> usize {
    let mut c = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let n: usize = c
        .zcount(format!("{prefix}:lease:{key}"), now, "+inf")
        .await
        .unwrap();
    n
}

/// A `redis-server` of our own on a free loopback port (for stop/restart).
pub struct OwnRedis {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl OwnRedis {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Self {
            port: free_port(),
            child: None,
            dir,
        };
        r.restart();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let t0 = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Postgres,
    MariaDb,
}

/// A throw-away database on the local server, dropped by [`Db::drop_db`] — or, when a test
/// fails before that, by `Drop` through the command-line client.
pub struct Db {
    pub engine: Engine,
    pub name: String,
    pub url: String,
    dropped: bool,
}

impl Drop for Db {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let _ = match self.engine {
            Engine::Postgres => Command::new("psql")
                .args(["-h", "127.0.0.1", "-U", "postgres", "-qc"])
                .arg(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .output(),
            Engine::MariaDb => Command::new("mysql")
                .args(["-h127.0.0.1", "-uroot", "-e"])
                .arg(format!("DROP DATABASE IF EXISTS {}", self.name))
                .output(),
        };
    }
}

impl Db {
    fn admin_url(engine: Engine) -> &'static str {
        match engine {
            Engine::Postgres => "postgres://postgres@127.0.0.1:5432/postgres",
            Engine::MariaDb => "mysql://root@127.0.0.1:3306/mysql",
        }
    }

    pub async fn create(engine: Engine) -> Self {
        let name = format!("fleet_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let admin = sea_orm::Database::connect(Self::admin_url(engine))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let url = match engine {
            Engine::Postgres => format!("postgres://postgres@127.0.0.1:5432/{name}"),
            Engine::MariaDb => format!("mysql://root@127.0.0.1:3306/{name}"),
        };
        Self {
            engine,
            name,
            url,
            dropped: false,
        }
    }

    pub async fn drop_db(&mut self) {
        let admin = sea_orm::Database::connect(Self::admin_url(self.engine))
            .await
            .unwrap();
        let sql = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Engine::MariaDb => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        admin.execute_unprepared(&sql).await.unwrap();
        admin.close().await.unwrap();
        self.dropped = true;
    }

    pub async fn store(&self) -> Store {
        Store::connect(StoreConfig::new(
            self.url.clone(),
            Cipher::from_key_bytes(&KEY).unwrap(),
        ))
        .await
        .unwrap()
    }
}

/// Creates `spec` in the simulator and the matching account (cap `cap`) in `store`.
pub async fn add_account(
    sim: &SimHandle,
    store: &Store,
    spec: &AccountSpec,
    cap: u32,
    expires_in: Option<chrono::Duration>,
) -> String {
    let t = sim.add_account(spec);
    let id = t.account.clone();
    let mut new = gateway::demo::sim_account(spec.kind, t);
    if let Some(d) = expires_in {
        new.credentials.expires_at = Some(chrono::Utc::now() + d);
    }
    new.settings.max_concurrency = cap;
    store.create_account(new).await.unwrap();
    id
}

/// How one `claude-server` of the fleet is configured.
pub struct NodeConfig<'a> {
    pub db_url: &'a str,
    pub sim_url: &'a str,
    pub redis_url: &'a str,
    pub prefix: &'a str,
    pub lease_ttl_ms: u64,
    /// Extra lines under `pool:` (two-space indented).
    pub pool_yaml: &'a str,
}

/// A running `claude-server` process.
pub struct Node {
    pub port: u16,
    pub log: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Node {
    pub fn start(cfg: &NodeConfig<'_>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let key = base64::engine::general_purpose::STANDARD.encode(KEY);
        // `call_timeout_ms`: a dozen instances on a 2-core test machine make a Redis answer take
        // longer than the 500 ms default now and then, which is load, not Redis being down; the
        // Redis-down tests stop Redis (refused connections), which fails at once either way.
        let yaml = format!(
            "data_dir: {data}\n\
             database:\n  url: \"{db}\"\n\
             server:\n  host: 127.0.0.1\n  port: {port}\n  shutdown_grace_secs: 1\n\
             upstream:\n  runtime_endpoint: {sim}\n  management_endpoint: {sim}\n  q_endpoint: {sim}\n  \
             oidc_endpoint: {sim}\n  kiro_auth_endpoint: {sim}\n\
             security:\n  trusted_proxies: [\"127.0.0.1\"]\n  encryption_key: \"{key}\"\n\
             redis:\n  url: \"{redis}\"\n  key_prefix: \"{prefix}\"\n  lease_ttl_ms: {ttl}\n  \
             call_timeout_ms: 3000\n\
             pool:\n  quota_refresh_ms: 0\n{pool}",
            data = dir.path().display(),
            db = cfg.db_url,
            sim = cfg.sim_url,
            redis = cfg.redis_url,
            prefix = cfg.prefix,
            ttl = cfg.lease_ttl_ms,
            pool = cfg.pool_yaml,
        );
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, yaml).unwrap();
        let log = dir.path().join("server.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_claude-server"))
            .arg("--config")
            .arg(&config)
            .env("NO_BROWSER", "1")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .env_remove("DATA_DIR")
            .env_remove("DATABASE_URL")
            .env_remove("PORT")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Self {
            port,
            log,
            child: Some(child),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    pub async fn wait_ready(&mut self, http: &reqwest::Client) {
        let t0 = Instant::now();
        loop {
            if let Ok(r) = http.get(self.url("/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                self.is_running(),
                "claude-server exited:\n{}",
                self.log_text()
            );
            assert!(
                t0.elapsed() < Duration::from_mins(1),
                "claude-server not ready:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: the instance dies without releasing anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A gauge or counter value from `/metrics` (first sample whose line starts with `name`).
    pub async fn metric(&self, http: &reqwest::Client, name: &str) -> Option<f64> {
        let text = http
            .get(self.url("/metrics"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .filter(|l| l.starts_with(name))
            .find_map(|l| l.rsplit(' ').next()?.parse().ok())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_mins(1))
        .build()
        .unwrap()
}

pub const API_KEY: &str = "sk-fleet-test-key";

/// Seeds runtime settings: the client key and the IP rate limit.
pub async fn seed_settings(store: &Store, ip_limit: Option<u32>) {
    let mut s = store.settings().await.unwrap();
    API_KEY.clone_into(&mut s.api_key);
    if let Some(max) = ip_limit {
        s.enable_ip_rate_limit = true;
        s.ip_rate_limit_window = 1;
        s.ip_rate_limit_max = max;
    }
    store.save_settings(&s).await.unwrap();
}

/// `POST /v1/chat/completions` from client address `ip` (via the trusted proxy header).
pub async fn chat(
    http: &reqwest::Client,
    node: &Node,
    ip: &str,
    content: &str,
    stream: bool,
) -> (u16, String) {
    let r = http
        .post(node.url("/v1/chat/completions"))
        .bearer_auth(API_KEY)
        .header("x-forwarded-for", ip)
        .json(&serde_json::json!({
            "model": "claude-sonnet-4.5",
            "stream": stream,
            "messages": [{"role": "user", "content": content}],
        }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
