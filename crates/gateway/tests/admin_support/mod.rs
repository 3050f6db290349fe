//! Test harness shared by the admin and guard integration tests: a real `gateway::serve_with`
//! on 127.0.0.1:0 with a fresh SQLite database in a temp folder, plus small HTTP helpers.
//! The `/v1` test routes are added here, in the tests, through `Extensions::v1_routes` — not in
//! production code.

#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failed setup step must fail the test"
)]

use std::time::Duration;

use axum::Router;
use axum::extract::Extension;
use axum::routing::post;
use gateway::config::Config;
use gateway::guard::{AuthedKey, ClientIp};
use gateway::{AppState, Extensions};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A loopback port nothing listens on (the discard port).
pub const DEAD: &str = "http://127.0.0.1:9";

pub struct TestServer {
    pub base: String,
    pub dir: TempDir,
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

/// `/v1` echo routes standing in for the chat handlers: report who the guard let through.
pub fn test_v1_routes() -> Router<AppState> {
    async fn echo(
        Extension(key): Extension<AuthedKey>,
        Extension(ClientIp(ip)): Extension<ClientIp>,
        body: axum::body::Bytes,
    ) -> axum::Json<Value> {
        axum::Json(json!({
            "key": key.0.as_ref().map(|k| k.id.clone()),
            "ip": ip.to_string(),
            "body_len": body.len(),
        }))
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_millis(400)).await;
        "done"
    }
    Router::new()
        .route("/v1/chat/completions", post(echo))
        .route("/v1/messages", post(echo))
        .route("/v1/slow", post(slow))
}

pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestServer {
    pub async fn start(yaml: &str) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), yaml).await
    }

    /// Starts on a fresh port with `data_dir` = `dir` and `yaml` appended to the config.
    pub async fn start_in(dir: TempDir, yaml: &str) -> Self {
        init();
        // Upstream hosts point at a closed loopback port: no test ever reaches the network.
        let text = format!(
            "data_dir: {}\nupstream:\n  q_endpoint: {DEAD}\n  oidc_endpoint: {DEAD}\n  \
             kiro_auth_endpoint: {DEAD}\n  timeouts: {{connect: 1, first_byte: 2, idle: 2, auth: 2}}\n{yaml}",
            dir.path().display()
        );
        let mut config = Config::from_yaml(&text, "test").unwrap();
        config.server.shutdown_grace_secs = 5;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let ext = Extensions {
            v1_routes: Some(test_v1_routes()),
            account_ops: None,
        };
        let handle = tokio::spawn(gateway::serve_with(
            listener,
            config,
            async {
                let _ = rx.await;
            },
            ext,
        ));
        let client = Client::builder().no_proxy().build().unwrap();
        let server = Self {
            base,
            dir,
            client,
            shutdown: Some(tx),
            handle: Some(handle),
        };
        server.wait_ready().await;
        server
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
        panic!("server did not become ready");
    }

    /// Signals shutdown without waiting (the server drains open requests).
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for `serve` to return after [`Self::begin_shutdown`].
    pub async fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }

    /// Graceful stop; returns the data folder for a restart.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Logs in with `password`; returns the token.
    pub async fn login_with(&self, password: &str) -> String {
        let r = self
            .client
            .post(self.url("/v2/login"))
            .json(&json!({"password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login failed: {}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn login(&self) -> String {
        self.login_with("admin").await
    }

    /// An admin request with a bearer token.
    pub fn admin(&self, token: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// Admin call returning (status, JSON body).
    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.admin(token, method, path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        into_json(rb.send().await.unwrap()).await
    }

    /// Creates an API key; returns (id, secret).
    pub async fn create_key(&self, token: &str, body: Value) -> (String, String) {
        let (status, v) = self.call(token, Method::POST, "/v2/keys", Some(body)).await;
        assert_eq!(status, 201, "{v}");
        (
            v["id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        )
    }

    /// POST to a `/v1` path with optional key and extra headers.
    pub async fn v1(
        &self,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> Response {
        let mut rb = self.client.post(self.url(path)).json(&body);
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        rb.send().await.unwrap()
    }
}

pub async fn into_json(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

/// A refresh token long enough to pass the Kiro truncation check.
pub fn long_token(tag: &str) -> String {
    format!("{tag}-{}", "x".repeat(120))
}
