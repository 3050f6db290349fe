//! One gateway under test: `gateway::serve_with` on a fresh 127.0.0.1 port with its data folder
//! in a temp directory, a proxy-free client, graceful stop, and the admin-API calls (login, keys,
//! JSON requests) that tests of every area make.

use std::time::Duration;

use gateway::Extensions;
use gateway::config::Config;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Default admin password of a fresh data folder.
pub const ADMIN_PASSWORD: &str = "admin";

/// The gateway config of a test: `data_dir` = `dir`, every upstream host at `upstream`, the
/// upstream `timeouts` (a YAML flow map) and `yaml` appended; `grace_secs` of shutdown grace.
pub fn config(
    dir: &TempDir,
    upstream: &str,
    timeouts: &str,
    yaml: &str,
    grace_secs: u64,
) -> Config {
    let text = format!(
        "data_dir: {}\nupstream:\n  runtime_endpoint: {upstream}\n  management_endpoint: {upstream}\n  \
         q_endpoint: {upstream}\n  oidc_endpoint: {upstream}\n  \
         kiro_auth_endpoint: {upstream}\n  timeouts: {timeouts}\n{yaml}",
        dir.path().display()
    );
    let mut config = Config::from_yaml(&text, "test").unwrap();
    config.server.shutdown_grace_secs = grace_secs;
    config
}

/// A running gateway; `dir` is its data folder.
pub struct Gateway {
    pub base: String,
    pub dir: TempDir,
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Installs the TLS crypto provider once per process (reqwest and the gateway both need one).
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Gateway {
    /// Serves `config` (its data folder is `dir`) on a fresh loopback port; returns when
    /// `/healthz` answers.
    pub async fn spawn(dir: TempDir, config: Config, ext: Extensions) -> Self {
        init();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let handle = super::task::spawn(gateway::serve_with(
            listener,
            config,
            async {
                let _ = rx.await;
            },
            ext,
        ));
        let gw = Self {
            base,
            dir,
            client: Client::builder().no_proxy().build().unwrap(),
            shutdown: Some(tx),
            handle: Some(handle),
        };
        gw.wait_ready().await;
        gw
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

    /// Signals shutdown without waiting (the server drains open requests).
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for `serve` to return after [`Self::begin_shutdown`]; it must return `Ok`.
    pub async fn join(&mut self) {
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }

    /// Graceful stop; returns the data folder for a restart.
    pub async fn stop(mut self) -> TempDir {
        self.begin_shutdown();
        self.join().await;
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` without credentials; the body as text.
    pub async fn get_text(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// `POST /v2/login` with `password`, as sent (no status check).
    pub async fn login_raw(&self, password: &str) -> Response {
        self.client
            .post(self.url("/v2/login"))
            .json(&json!({"password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in with `password` (must succeed); returns the token.
    pub async fn login_with(&self, password: &str) -> String {
        token_of(self.login_raw(password).await).await
    }

    /// Logs in with the default password; returns the token.
    pub async fn login(&self) -> String {
        self.login_with(ADMIN_PASSWORD).await
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

    /// `GET` admin call: (status, JSON body).
    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(token, Method::GET, path, None).await
    }

    /// `POST` admin call with a JSON body: (status, JSON body).
    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, path, Some(body)).await
    }

    /// `PUT` admin call with a JSON body: (status, JSON body).
    pub async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(token, Method::PUT, path, Some(body)).await
    }

    /// `PATCH` admin call with a JSON body: (status, JSON body).
    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(token, Method::PATCH, path, Some(body)).await
    }

    /// `DELETE` admin call: (status, JSON body).
    pub async fn delete(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(token, Method::DELETE, path, None).await
    }

    /// Creates an API key (must answer 201); returns (id, secret).
    pub async fn create_key(&self, token: &str, body: Value) -> (String, String) {
        let (status, v) = self.post(token, "/v2/keys", body).await;
        assert_eq!(status, 201, "{v}");
        (
            v["id"].as_str().unwrap().to_string(),
            v["secret"].as_str().unwrap().to_string(),
        )
    }
}

/// `GET url` without credentials, answered 200: the body as JSON.
pub async fn get_json(client: &Client, url: &str) -> Value {
    let r = client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

/// `GET url` without credentials, answered 200: the body as text.
pub async fn get_text(client: &Client, url: &str) -> String {
    let r = client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().await.unwrap()
}

/// (status, JSON body) of a response; a non-JSON body becomes a JSON string, an empty one null.
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

/// The JSON body of an answer that must be 200 (`ok(s.post(&token, path, body).await)`).
pub fn ok((status, v): (u16, Value)) -> Value {
    assert_eq!(status, 200, "{v}");
    v
}

/// The string `field` of every element of the JSON array `items` (each must have one).
pub fn strings<'a>(items: &'a Value, field: &str) -> Vec<&'a str> {
    let items = items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"));
    items
        .iter()
        .map(|e| {
            e[field]
                .as_str()
                .unwrap_or_else(|| panic!("no {field}: {e}"))
        })
        .collect()
}

/// Asserts that an error body's `error.message` contains `needle` (the reason is named).
pub fn assert_error_mentions(v: &Value, needle: &str) {
    let message = v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message in {v}"));
    assert!(
        message.contains(needle),
        "error.message lacks {needle:?}: {v}"
    );
}

/// The `retry-after` header of a refusal, in seconds.
pub fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// (status, `error.field`) of an admin answer: the field a refused body names.
pub fn field_error((status, v): (u16, Value)) -> (u16, Value) {
    (status, v["error"]["field"].clone())
}

/// (status, `error.code`) of an admin answer.
pub fn code_error((status, v): (u16, Value)) -> (u16, Value) {
    (status, v["error"]["code"].clone())
}

/// `POST /v2/login` with the default password on the server at `base` (must succeed); the token.
pub async fn admin_login(client: &Client, base: &str) -> String {
    let r = client
        .post(format!("{base}/v2/login"))
        .json(&json!({"password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    token_of(r).await
}

/// The session token of a login answer that must have succeeded.
async fn token_of(r: Response) -> String {
    assert_eq!(r.status(), 200, "login failed: {}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}
