//! Shared helpers of the pool tests: a simulator, a SQLite store seeded with the simulator's
//! accounts, a pool with short timings, and request builders.

use std::path::Path;
use std::time::Duration;

use amazonq::types::GenerateAssistantResponseRequest;
use amazonq_sim::{AccountSpec, LogFilter, SimConfig, SimHandle, Simulator};
use gateway::pool::AccountOps;
use gateway::pool::{Outcome, Pool, PoolConfig, PoolDeps, PoolError, PoolRequest, UpstreamConfig};
use gateway::tasks::Supervisor;
use store::{Cipher, Store, StoreConfig};

pub const KEY: [u8; 32] = [7; 32];

pub async fn open_store(path: &Path) -> Store {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    Store::connect(StoreConfig::new(url, Cipher::from_key_bytes(&KEY).unwrap()))
        .await
        .unwrap()
}

/// Short timings so every test finishes in seconds.
pub fn fast() -> PoolConfig {
    PoolConfig {
        queue_timeout_ms: 10_000,
        cooldown_base_ms: 1_000,
        cooldown_max_ms: 5_000,
        transient_pause_ms: 200,
        refresh_skew_ms: 1,
        refresh_jitter_ms: 0,
        refresh_check_ms: 3_600_000,
        request_skew_ms: 60_000,
        refresh_retry_ms: 60_000,
        quota_refresh_ms: 0,
        reload_ms: 3_600_000,
        device_time_unit_ms: 50,
        ..PoolConfig::default()
    }
}

pub struct Env {
    pub sim: SimHandle,
    pub store: Store,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn new(config: SimConfig) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(&dir.path().join("pool.sqlite3")).await;
        Self { sim, store, dir }
    }

    /// Creates `spec` in the simulator and the matching account in the store.
    pub async fn add(&self, spec: AccountSpec, cap: u32) -> String {
        let t = self.sim.add_account(&spec);
        let id = t.account.clone();
        let mut new = gateway::demo::sim_account(spec.kind, t);
        new.settings.label = format!("label-{id}");
        new.settings.max_concurrency = cap;
        self.store.create_account(new).await.unwrap();
        id
    }

    pub async fn add_many(
        &self,
        n: usize,
        cap: u32,
        spec: impl Fn(usize) -> AccountSpec,
    ) -> Vec<String> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(self.add(spec(i), cap).await);
        }
        ids
    }

    pub async fn pool(&self, cfg: PoolConfig) -> (Pool, Supervisor) {
        self.pool_with(cfg, UpstreamConfig::single_host(&self.sim.base_url()))
            .await
    }

    pub async fn pool_with(&self, cfg: PoolConfig, upstream: UpstreamConfig) -> (Pool, Supervisor) {
        let sup = Supervisor::new();
        let pool = Pool::start(
            PoolDeps::memory(self.store.clone(), sup.clone()),
            cfg,
            upstream,
        )
        .await
        .unwrap();
        (pool, sup)
    }

    /// Disables `id` in the store (a pool started or reloaded afterwards leaves it out).
    pub async fn disable(&self, id: &str) {
        let patch = store::AccountPatch {
            enabled: Some(false),
            ..Default::default()
        };
        self.store.update_account(id, patch).await.unwrap();
    }

    pub fn chat_calls(&self, account: &str) -> usize {
        self.sim
            .requests(&LogFilter {
                operation: Some("chat".into()),
                account: Some(account.into()),
                ..LogFilter::default()
            })
            .len()
    }
}

/// A simulator account `id` with every other field at its default.
pub fn spec(id: impl Into<String>) -> AccountSpec {
    AccountSpec {
        id: id.into(),
        ..AccountSpec::default()
    }
}

/// A simulator account `id` whose access tokens live `ttl_s` seconds.
pub fn expiring(id: impl Into<String>, ttl_s: i64) -> AccountSpec {
    AccountSpec {
        token_policy: amazonq_sim::TokenPolicy {
            access_ttl_s: Some(ttl_s),
            ..amazonq_sim::TokenPolicy::default()
        },
        ..spec(id)
    }
}

/// Tokens the simulator mints for `ids` from now on live an hour, as real ones do.
pub fn hour_long_tokens(env: &Env, ids: &[String]) {
    for id in ids {
        let patch = amazonq_sim::AccountPatch {
            token_policy: amazonq_sim::TokenPolicy {
                access_ttl_s: Some(3600),
                ..amazonq_sim::TokenPolicy::default()
            },
            ..Default::default()
        };
        env.sim.patch_account(id, &patch).unwrap();
    }
}

/// A simulator account `id` whose monthly quota of `limit` requests is used up.
pub fn spent(id: impl Into<String>, limit: u64) -> AccountSpec {
    AccountSpec {
        limits: amazonq_sim::Limits {
            monthly_limit: Some(limit),
            ..amazonq_sim::Limits::default()
        },
        usage: limit,
        ..spec(id)
    }
}

pub fn body(text: &str) -> GenerateAssistantResponseRequest {
    serde_json::from_value(serde_json::json!({"conversationState": {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": text, "origin": "CLI", "modelId": "claude-sonnet-4.5"}}
    }}))
    .unwrap()
}

pub fn request(text: &str) -> PoolRequest {
    PoolRequest {
        body: body(text),
        model: "claude-sonnet-4.5".into(),
        sticky_key: None,
        cancel: None,
    }
}

/// Sends, reads the whole answer, reports success; returns (account, text).
pub async fn run(pool: &Pool, req: PoolRequest) -> Result<(String, String), PoolError> {
    let mut s = pool.send(req).await?;
    let mut text = String::new();
    while let Some(ev) = s.next_event().await {
        if let amazonq::events::StreamEvent::AssistantResponse { content } = ev.unwrap() {
            text.push_str(&content);
        }
    }
    let id = s.account_id.clone();
    s.finish(Outcome::Success).await;
    Ok((id, text))
}

pub async fn wait_device(
    pool: &Pool,
    auth_id: &str,
    until: &str,
) -> gateway::pool::DeviceLoginStatus {
    for _ in 0..200 {
        let s = pool.device_login_status(auth_id).await.unwrap();
        if s.status == until {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("device login never reached {until}");
}

pub fn fault_any_chat(sim: &SimHandle, spec: &str) {
    super::faults::queue(sim, "chat", spec, 1);
}

pub fn body_with_model(text: &str, model: &str) -> GenerateAssistantResponseRequest {
    serde_json::from_value(serde_json::json!({"conversationState": {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": text, "origin": "CLI", "modelId": model}}
    }}))
    .unwrap()
}
