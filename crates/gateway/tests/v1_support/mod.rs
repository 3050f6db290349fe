//! Harness of the client-API integration tests (`tests/v1_*.rs`): the simulator and the gateway
//! in-process on 127.0.0.1:0, a fresh SQLite database per test, upstream accounts seeded into the
//! store with access tokens the simulator issued, and small SSE helpers.
//!
//! The simulator answers by directives in the last user message (`#say …`, `#tool …`, `#fault …`;
//! see `amazonq_sim` crate docs), so each test states the upstream answer it needs in its prompt.

#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failed setup step must fail the test"
)]

use std::time::Duration;

use amazonq_sim::{AccountSpec, SimConfig, SimHandle, Simulator};
use gateway::config::Config;
use reqwest::{Client, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Gateway + simulator.
pub struct Harness {
    pub sim: SimHandle,
    pub base: String,
    pub client: Client,
    pub dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
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
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let sim_url = sim.base_url();
        let text = format!(
            "data_dir: {}\nupstream:\n  q_endpoint: {sim_url}\n  oidc_endpoint: {sim_url}\n  \
             kiro_auth_endpoint: {sim_url}\n  timeouts: {{connect: 2, first_byte: 10, idle: 10, auth: 5}}\n\
             stream:\n  keepalive_ms: 150\n{yaml}",
            dir.path().display()
        );
        let mut config = Config::from_yaml(&text, "test").unwrap();
        config.server.shutdown_grace_secs = 2;
        seed_accounts(&config, &sim, accounts).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(gateway::serve(listener, config, async {
            let _ = rx.await;
        }));
        let client = Client::builder().no_proxy().build().unwrap();
        let h = Self {
            sim,
            base,
            client,
            dir,
            shutdown: Some(tx),
            handle: Some(handle),
        };
        h.wait_ready().await;
        h
    }

    async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.client.get(self.url("/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("gateway did not become ready");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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

    /// POST and parse the JSON answer: (status, headers, body).
    pub async fn json(&self, path: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let r = self.post(path, body).await;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, headers, v)
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
            .filter(|e| e.operation == "chat")
            .collect()
    }

    /// Admin token (default password).
    pub async fn admin_token(&self) -> String {
        let r = self
            .client
            .post(self.url("/v2/login"))
            .json(&json!({"password": "admin"}))
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Request-log rows (`GET /v2/logs`), newest first; waits for the batch writer.
    pub async fn logs(&self, at_least: usize) -> Vec<Value> {
        let token = self.admin_token().await;
        for _ in 0..60 {
            let r = self
                .client
                .get(self.url("/v2/logs?per_page=100"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let v: Value = r.json().await.unwrap();
            let items = v["logs"].as_array().cloned().unwrap_or_default();
            if items.len() >= at_least {
                return items;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("request log did not reach {at_least} rows");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }
}

async fn seed_accounts(config: &Config, sim: &SimHandle, ids: &[&str]) {
    let store = gateway::open_store(config).await.unwrap();
    for id in ids {
        let tokens = sim.add_account(&AccountSpec {
            id: (*id).to_owned(),
            access_ttl_s: Some(86_400),
            ..AccountSpec::default()
        });
        let mut new = store::NewAccount::new(store::AuthMethod::BuilderId, tokens.refresh_token);
        new.id = Some((*id).to_owned());
        new.label = Some(label(id));
        new.access_token = Some(tokens.access_token.into());
        new.expires_at = Some(chrono::Utc::now() + chrono::Duration::hours(20));
        new.max_concurrency = 8;
        store.create_account(new).await.unwrap();
    }
    store.close().await.unwrap();
}

/// One SSE event: `event:` name (if any) and `data:` payload.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

/// A whole SSE answer.
#[derive(Debug)]
pub struct Sse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub raw: String,
    pub events: Vec<Event>,
    /// `:` comment lines (keep-alives).
    pub comments: usize,
}

impl Sse {
    pub fn parse(status: u16, headers: reqwest::header::HeaderMap, text: &str) -> Self {
        let mut events = Vec::new();
        let mut comments = 0;
        for block in text.split("\n\n") {
            let mut name = None;
            let mut data: Option<String> = None;
            for line in block.lines() {
                if line.starts_with(':') {
                    comments += 1;
                } else if let Some(n) = line.strip_prefix("event: ") {
                    name = Some(n.to_owned());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(d.to_owned());
                }
            }
            if let Some(data) = data {
                events.push(Event { name, data });
            }
        }
        Self {
            status,
            headers,
            raw: text.to_owned(),
            events,
            comments,
        }
    }

    /// Payloads of events named `name`.
    pub fn named(&self, name: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e.name.as_deref() == Some(name))
            .map(Event::json)
            .collect()
    }

    /// Anthropic: the text of all `text_delta`s.
    pub fn anthropic_text(&self) -> String {
        self.named("content_block_delta")
            .iter()
            .filter(|d| d["delta"]["type"] == "text_delta")
            .map(|d| d["delta"]["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// OpenAI: the JSON chunks (without `[DONE]`).
    pub fn openai_chunks(&self) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e.data != "[DONE]")
            .map(Event::json)
            .collect()
    }

    /// OpenAI: concatenated `delta.content`.
    pub fn openai_text(&self) -> String {
        self.openai_chunks()
            .iter()
            .filter_map(|c| {
                c["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    }
}

/// Checks the stream grammar of items 4, 5, 7, 8, 9 and returns the blocks as (type, deltas).
pub fn check_grammar(s: &Sse) -> Vec<(String, Vec<Value>)> {
    assert_eq!(s.status, 200, "{}", s.raw);
    assert!(
        s.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // 4: every event has an `event:` line equal to data.type.
    for e in &s.events {
        assert_eq!(e.name.as_deref(), e.json()["type"].as_str(), "{e:?}");
    }
    // 5: message_start first, message_stop last, nothing after it.
    let names: Vec<&str> = s
        .events
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
    assert_eq!(names.last(), Some(&"message_stop"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "message_start").count(), 1);
    assert_eq!(names[names.len() - 2], "message_delta", "{names:?}");
    // 7 and 8: blocks strictly sequential, indices 0,1,2…, delta type matches block type.
    let mut blocks: Vec<(String, Vec<Value>)> = Vec::new();
    let mut open: Option<usize> = None;
    for e in &s.events {
        let v = e.json();
        match e.name.as_deref() {
            Some("content_block_start") => {
                assert!(open.is_none(), "interleaved blocks: {}", s.raw);
                let i = v["index"].as_u64().unwrap() as usize;
                assert_eq!(i, blocks.len(), "index gap: {}", s.raw);
                blocks.push((
                    v["content_block"]["type"].as_str().unwrap().to_owned(),
                    vec![v],
                ));
                open = Some(i);
            }
            Some("content_block_delta") => {
                let i = v["index"].as_u64().unwrap() as usize;
                assert_eq!(open, Some(i), "delta outside its block: {}", s.raw);
                let ok = matches!(
                    (blocks[i].0.as_str(), v["delta"]["type"].as_str().unwrap()),
                    ("text", "text_delta")
                        | ("tool_use", "input_json_delta")
                        | ("thinking", "thinking_delta" | "signature_delta")
                );
                assert!(
                    ok,
                    "delta type {} in a {} block",
                    v["delta"]["type"], blocks[i].0
                );
                blocks[i].1.push(v);
            }
            Some("content_block_stop") => {
                assert_eq!(open, v["index"].as_u64().map(|i| i as usize));
                open = None;
            }
            Some("message_start" | "message_delta" | "message_stop" | "ping") => {
                assert!(
                    open.is_none() || e.name.as_deref() == Some("ping"),
                    "{}",
                    s.raw
                );
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    // 6 and 9: message_start shape and cumulative usage.
    let start = &s.named("message_start")[0]["message"];
    assert_eq!(start["content"], json!([]));
    assert!(start["stop_reason"].is_null());
    let start_in = start["usage"]["input_tokens"].as_u64().unwrap();
    assert!(start_in > 0);
    let delta = &s.named("message_delta")[0];
    let out = delta["usage"]["output_tokens"]
        .as_u64()
        .expect("output_tokens int");
    assert!(out >= start["usage"]["output_tokens"].as_u64().unwrap());
    blocks
}

/// A tiny png (1×1) as base64.
pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
