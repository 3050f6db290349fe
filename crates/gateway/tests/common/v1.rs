//! The client-API tests' harness (`tests/v1_*.rs`): the simulator and the gateway in-process on
//! 127.0.0.1:0, a fresh SQLite database per test, upstream accounts seeded into the store with
//! access tokens the simulator issued.
//!
//! The simulator answers by directives in the last user message (`#say …`, `#tool …`, `#fault …`;
//! see `amazonq_sim` crate docs), so each test states the upstream answer it needs in its prompt.

use std::ops::Deref;
use std::time::Duration;

use amazonq_sim::{SimConfig, SimHandle, Simulator};
use gateway::Extensions;
use gateway::config::Config;
use reqwest::Response;
use serde_json::Value;

use super::pool::expiring;
use super::server::{self, Gateway, get_json};
use super::sse::Sse;

/// Gateway + simulator; derefs to the [`Gateway`] (client, URLs, admin calls).
pub struct Harness {
    pub sim: SimHandle,
    gw: Gateway,
}

impl Deref for Harness {
    type Target = Gateway;
    fn deref(&self) -> &Gateway {
        &self.gw
    }
}

/// Label under which account `id` is stored (the `x-claude-api-account` value).
pub fn label(id: &str) -> String {
    format!("acct-{id}")
}

impl Harness {
    /// One upstream account, default settings.
    pub async fn start() -> Self {
        Self::with(&["a1"], "").await
    }

    /// `accounts` upstream accounts; `yaml` is appended to the gateway config.
    pub async fn with(accounts: &[&str], yaml: &str) -> Self {
        Self::with_sim(SimConfig::default(), accounts, yaml).await
    }

    /// [`Self::with`] on a simulator started from `sim_config` (e.g. its model catalog).
    pub async fn with_sim(sim_config: SimConfig, accounts: &[&str], yaml: &str) -> Self {
        server::init();
        let sim = Simulator::start(sim_config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let timeouts = "{connect: 2, first_byte: 10, idle: 10, auth: 5}";
        let yaml = format!("stream:\n  keepalive_ms: 150\n{yaml}");
        let config = server::config(&dir, &sim.base_url(), timeouts, &yaml, 2);
        seed_accounts(&config, &sim, accounts).await;
        let gw = Gateway::spawn(dir, config, Extensions::default()).await;
        Self { sim, gw }
    }

    /// POST JSON to a gateway path.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .header("anthropic-version", "2023-06-01")
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// GET a gateway path as the Anthropic SDK does (with `anthropic-version`).
    pub async fn anthropic_get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .unwrap()
    }

    /// POST and parse the JSON answer: (status, headers, body).
    pub async fn json(&self, path: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self.post(path, body).await;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
    }

    /// [`Self::json`] of a call that must succeed: the body of its 200 answer.
    pub async fn answered(&self, path: &str, body: &Value) -> Value {
        let (status, _, v) = self.json(path, body).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// POST and read the whole SSE answer.
    pub async fn sse(&self, path: &str, body: &Value) -> Sse {
        let r = self.post(path, body).await;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        Sse::parse(status, headers, &text)
    }

    /// Chat requests the simulator received, oldest first.
    pub fn upstream_chats(&self) -> Vec<amazonq_sim::LogEntry> {
        self.sim
            .all_requests()
            .into_iter()
            .filter(|e| e.decision.operation == "chat")
            .collect()
    }

    /// Waits until `GET /v1/models` no longer is the built-in table's listing: the pool's quota
    /// job (which runs at start) has read the accounts' live catalog. Returns that list.
    pub async fn wait_catalog(&self) -> Value {
        let builtin: Vec<String> = translate::models::ModelTable::default()
            .listed()
            .iter()
            .map(|e| e.id.clone())
            .collect();
        for _ in 0..100 {
            let v: Value = get_json(&self.client, &self.url("/v1/models")).await;
            let ids: Vec<String> = v["data"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|m| m["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !ids.is_empty() && ids != builtin {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the live catalog never replaced the built-in model listing");
    }

    /// Queues the simulator fault `fault` for the next `count` upstream chat calls (any account).
    pub fn fault_chats(&self, fault: &str, count: u32) {
        super::faults::queue(&self.sim, "chat", fault, count);
    }

    /// Admin token (default password).
    pub async fn admin_token(&self) -> String {
        self.gw.login().await
    }

    /// Request-log rows (`GET /v2/logs`), newest first; waits for the batch writer.
    pub async fn logs(&self, at_least: usize) -> Vec<Value> {
        let token = self.admin_token().await;
        for _ in 0..60 {
            let (_, v) = self.gw.get(&token, "/v2/logs?per_page=100").await;
            let items = v["logs"].as_array().cloned().unwrap_or_default();
            if items.len() >= at_least {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("request log did not reach {at_least} rows");
    }

    /// Graceful stop of the gateway (the simulator stops when dropped).
    pub async fn stop(self) {
        self.gw.stop().await;
    }
}

async fn seed_accounts(config: &Config, sim: &SimHandle, ids: &[&str]) {
    let store = gateway::open_store(config).await.unwrap();
    for id in ids {
        let tokens = sim.add_account(&expiring(*id, 86_400));
        let mut new = store::NewAccount::new(store::AuthMethod::BuilderId, tokens.refresh_token);
        new.id = Some((*id).to_owned());
        new.settings.label = label(id);
        new.credentials.access_token = Some(tokens.access_token.into());
        new.credentials.expires_at = Some(chrono::Utc::now() + chrono::Duration::hours(20));
        new.settings.max_concurrency = 8;
        store.create_account(new).await.unwrap();
    }
    store.close().await.unwrap();
}

/// A tiny png (1×1) as base64.
pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
