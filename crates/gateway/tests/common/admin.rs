//! The admin and guard tests' server: every upstream host on a closed loopback port (no test
//! reaches the network), and `/v1` echo routes standing in for the chat handlers, added here
//! through `Extensions::v1_routes` — not in production code.

use std::time::Duration;

use axum::Router;
use axum::extract::Extension;
use axum::routing::post;
use gateway::guard::{AuthedKey, ClientIp};
use gateway::{AppState, Extensions};
use reqwest::Response;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::server::{Gateway, into_json};

/// The admin and guard tests' server (see the module header).
pub type TestServer = Gateway;

/// A loopback port nothing listens on (the discard port).
pub const DEAD: &str = "http://127.0.0.1:9";

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

impl TestServer {
    /// Starts on a fresh port and data folder with `yaml` appended to the config.
    pub async fn start(yaml: &str) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), yaml).await
    }

    /// Starts on a fresh port with `data_dir` = `dir` (e.g. a stopped server's, to restart it).
    pub async fn start_in(dir: TempDir, yaml: &str) -> Self {
        let timeouts = "{connect: 1, first_byte: 2, idle: 2, auth: 2}";
        let config = super::server::config(&dir, DEAD, timeouts, yaml, 5);
        let ext = Extensions {
            v1_routes: Some(test_v1_routes()),
            account_ops: None,
        };
        Self::spawn(dir, config, ext).await
    }

    /// [`Self::start`] and an admin login: (server, admin token).
    pub async fn signed_in(yaml: &str) -> (Self, String) {
        let s = Self::start(yaml).await;
        let token = s.login().await;
        (s, token)
    }

    /// [`Self::signed_in`] and one API key created from `key`:
    /// (server, admin token, (key id, key secret)).
    pub async fn start_with_key(yaml: &str, key: Value) -> (Self, String, (String, String)) {
        let (s, token) = Self::signed_in(yaml).await;
        let created = s.create_key(&token, key).await;
        (s, token, created)
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

    /// [`Self::v1`] read as (status, JSON body).
    pub async fn v1_json(
        &self,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> (u16, Value) {
        into_json(self.v1(path, key, headers, body).await).await
    }

    /// [`Self::v1`]'s status only.
    pub async fn v1_status(
        &self,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Value,
    ) -> u16 {
        self.v1(path, key, headers, body).await.status().as_u16()
    }
}

/// A refresh token long enough to pass the Kiro truncation check.
pub fn long_token(tag: &str) -> String {
    format!("{tag}-{}", "x".repeat(120))
}
