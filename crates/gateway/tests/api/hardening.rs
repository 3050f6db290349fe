//! Issue 16 over real HTTP, one test per item: no open relay behind a local proxy (§1), remote
//! images never fetched from private addresses (§2), the blocklist and per-IP limit on every
//! surface (§3), `enableRequestLog` / `debugLog` taking effect at once (§4), refused requests in
//! the request log (§5), one undecryptable account row not stopping start-up (§6).
//!
//! Image servers in these tests are on loopback only: a broken filter contacts nothing else.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::admin::TestServer;
use crate::common::anthropic::{self, MODEL};
use crate::common::openai;
use crate::common::server::{Gateway, assert_error_mentions, into_json, ok};
use crate::common::task::spawn;
use crate::common::v1::Harness;
use base64::Engine as _;
use serde_json::{Value, json};

const TRUST_LOOPBACK: &str = "security:\n  trusted_proxies: [\"127.0.0.1/32\"]\n";

/// Rows of `GET /v2/logs` once `at_least` exist (the batch writer flushes within ~0.5 s).
async fn log_rows(s: &Gateway, token: &str, at_least: usize) -> Vec<Value> {
    for _ in 0..80 {
        let v = ok(s.get(token, "/v2/logs?per_page=100").await);
        let rows = v["logs"].as_array().cloned().unwrap_or_default();
        if rows.len() >= at_least {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the request log did not reach {at_least} rows");
}

/// `GET path` as the client at `ip` (through the trusted loopback proxy).
async fn get_from(s: &Gateway, path: &str, ip: &str) -> reqwest::Response {
    let r = s.client.get(s.url(path)).header("x-forwarded-for", ip);
    r.send().await.unwrap()
}

/// `POST /v2/login` with `password` as the client at `ip`.
async fn login_from(s: &Gateway, ip: &str, password: &str) -> reqwest::Response {
    let r = s
        .client
        .post(s.url("/v2/login"))
        .header("x-forwarded-for", ip);
    r.json(&json!({"password": password})).send().await.unwrap()
}

// §1 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn keyless_gateway_refuses_requests_relayed_by_a_local_proxy() {
    // No key, no trusted proxy: the default a new user runs behind nginx on the same machine.
    let s = TestServer::start("").await;
    let (status, v) = s.v1_json("/v1/messages", None, &[], json!({})).await;
    assert_eq!(status, 200, "a caller on this machine is served: {v}");
    for (header, value) in [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9;proto=https"),
        ("x-forwarded-host", "gateway.example.com"),
    ] {
        let (status, v) = s
            .v1_json("/v1/messages", None, &[(header, value)], json!({}))
            .await;
        assert_eq!(status, 403, "{header}: {v}");
        anthropic::assert_error(&v, "permission_error");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("create an API key"), "{message}");
        let (status, v) = s
            .v1_json("/v1/chat/completions", None, &[(header, value)], json!({}))
            .await;
        assert_eq!(status, 403, "{header}: {v}");
        openai::assert_error(&v, None, Some("no_api_key_configured"));
    }
    s.stop().await;

    // A trusted proxy is believed: it may vouch for a loopback client, not for a remote one.
    let s = TestServer::start(TRUST_LOOPBACK).await;
    let local = [("x-forwarded-for", "127.0.0.1")];
    assert_eq!(
        s.v1_status("/v1/messages", None, &local, json!({})).await,
        200
    );
    let remote = [("x-forwarded-for", "203.0.113.9")];
    assert_eq!(
        s.v1_status("/v1/messages", None, &remote, json!({})).await,
        403
    );
    s.stop().await;
}

// §2 ------------------------------------------------------------------------------------------

/// A loopback image server that counts the connections it accepts: (base URL, counter).
async fn counting_image_server() -> (String, Arc<AtomicUsize>) {
    let png = base64::engine::general_purpose::STANDARD
        .decode(crate::common::v1::PNG_1X1)
        .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().route(
        "/a.png",
        axum::routing::get(move || {
            let png = png.clone();
            async move { png }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let counted = CountingListener {
        inner: listener,
        hits: counter,
    };
    spawn(async move { axum::serve(counted, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}"), hits)
}

/// A listener that counts accepted connections.
struct CountingListener {
    inner: tokio::net::TcpListener,
    hits: Arc<AtomicUsize>,
}

impl axum::serve::Listener for CountingListener {
    type Io = tokio::net::TcpStream;
    type Addr = std::net::SocketAddr;
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Ok(pair) = self.inner.accept().await {
                self.hits.fetch_add(1, Ordering::SeqCst);
                return pair;
            }
        }
    }
    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

fn image_request(url: &str) -> Value {
    json!({"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "#say seen"},
        {"type": "image", "source": {"type": "url", "url": url}}]}]})
}

#[tokio::test]
async fn remote_image_on_a_private_address_is_refused_and_never_contacted() {
    let (base, hits) = counting_image_server().await;
    let port = base.rsplit(':').next().unwrap().to_owned();
    let h = Harness::start().await;
    for url in [
        format!("{base}/a.png"),
        format!("http://localhost:{port}/a.png"),
        format!("http://[::ffff:127.0.0.1]:{port}/a.png"),
    ] {
        let (status, _, v) = h.json("/v1/messages", &image_request(&url)).await;
        assert_eq!(status, 400, "{url}: {v}");
        anthropic::assert_error(&v, "invalid_request_error");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(message.contains("messages[0].content[1]"), "{message}");
        assert!(message.contains("loopback"), "{message}");
        assert!(message.contains("allow_private_addresses"), "{message}");
    }
    let (status, _, v) = h
        .json(
            "/v1/chat/completions",
            &json!({"model": MODEL, "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": format!("{base}/a.png")}}]}]}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("loopback"));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the image server was contacted"
    );
    assert!(h.upstream_chats().is_empty(), "nothing went upstream");
    h.stop().await;

    // Turned off for a trusted LAN (and this test): the same server is fetched.
    let h = Harness::with(&["a1"], "images:\n  allow_private_addresses: true\n").await;
    h.answered("/v1/messages", &image_request(&format!("{base}/a.png")))
        .await;
    assert!(hits.load(Ordering::SeqCst) > 0);
    h.stop().await;
}

// §3 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn blocklist_and_ip_limit_cover_every_surface_but_healthz() {
    let (s, token, (_, secret)) =
        TestServer::start_with_key(TRUST_LOOPBACK, json!({"name": "k"})).await;
    ok(
        s.post(&token, "/v2/ips/block", json!({"ip": "203.0.113.0/24"}))
            .await,
    );
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    let blocked = from("203.0.113.9");
    // Admin API: 403 in its own JSON shape, even for the login.
    let (status, v) = into_json(login_from(&s, "203.0.113.9", "admin").await).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"]["code"], "ip_blocked", "{v}");
    // Console: a small HTML page.
    for path in ["/", "/accounts", "/assets/index.js"] {
        let r = get_from(&s, path, "203.0.113.9").await;
        assert_eq!(r.status(), 403, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(r.text().await.unwrap().contains("blocked"), "{path}");
    }
    // Client API: the dialect's error; /healthz still answers.
    let (status, v) = s
        .v1_json("/v1/chat/completions", Some(&secret), &blocked, json!({}))
        .await;
    assert_eq!(status, 403);
    openai::assert_error(&v, None, Some("ip_blocked"));
    assert_eq!(get_from(&s, "/healthz", "203.0.113.9").await.status(), 200);
    assert_eq!(get_from(&s, "/metrics", "203.0.113.9").await.status(), 403);

    // The per-IP limit counts console and admin requests too.
    let limit = json!({"enableIPRateLimit": true, "ipRateLimitWindow": 1, "ipRateLimitMax": 2});
    assert_eq!(s.put(&token, "/v2/settings", limit).await.0, 200);
    let busy = from("198.51.100.7");
    for _ in 0..2 {
        assert_ne!(get_from(&s, "/", "198.51.100.7").await.status(), 429);
    }
    let r = login_from(&s, "198.51.100.7", "admin").await;
    assert!(r.headers().contains_key("retry-after"));
    let (status, v) = into_json(r).await;
    assert_eq!(status, 429, "{v}");
    assert_eq!(v["error"]["code"], "rate_limited");
    assert_eq!(
        s.v1_status("/v1/messages", Some(&secret), &busy, json!({}))
            .await,
        429
    );
    // Monitoring is not counted: /metrics and /healthz still answer the limited address.
    assert_eq!(get_from(&s, "/metrics", "198.51.100.7").await.status(), 200);
    assert_eq!(get_from(&s, "/healthz", "198.51.100.7").await.status(), 200);
    assert_eq!(
        s.put(&token, "/v2/settings", json!({"enableIPRateLimit": false}))
            .await
            .0,
        200
    );

    // Blocking the admin's own address needs the explicit confirmation.
    let (status, v) = s
        .post(&token, "/v2/ips/block", json!({"ip": "127.0.0.0/8"}))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["field"], "confirm_self_block", "{v}");
    assert_error_mentions(&v, "127.0.0.1");
    let (status, v) = s.get(&token, "/v2/ips/blocked").await;
    assert_eq!(status, 200, "nothing was blocked: {v}");
    assert_eq!(v["blocked"].as_array().unwrap().len(), 1);
    ok(s.post(
        &token,
        "/v2/ips/block",
        json!({"ip": "127.0.0.0/8", "confirm_self_block": true}),
    )
    .await);
    let (status, v) = s.get(&token, "/v2/ips/blocked").await;
    assert_eq!(
        status, 403,
        "the admin is now locked out, as confirmed: {v}"
    );
    s.stop().await;
}

// §4 ------------------------------------------------------------------------------------------

#[tokio::test]
async fn request_log_and_debug_log_settings_take_effect_at_once() {
    let h = Harness::start().await;
    let token = h.admin_token().await;
    let ask = |text: &str| anthropic::body(text, false);
    assert_eq!(h.json("/v1/messages", &ask("#say one")).await.0, 200);
    let rows = log_rows(&h, &token, 1).await;
    let id = rows[0]["id"].as_i64().unwrap();
    let (_, detail) = h.get(&token, &format!("/v2/logs/{id}")).await;
    assert!(
        detail["request_body"].is_null(),
        "no bodies without debugLog: {detail}"
    );

    // enableRequestLog off: no row (the request is still served), on again: rows again.
    let off = json!({"enableRequestLog": false});
    assert_eq!(h.put(&token, "/v2/settings", off).await.0, 200);
    assert_eq!(h.json("/v1/messages", &ask("#say unlogged")).await.0, 200);
    let on = json!({"enableRequestLog": true});
    assert_eq!(h.put(&token, "/v2/settings", on).await.0, 200);
    assert_eq!(h.json("/v1/messages", &ask("#say logged")).await.0, 200);
    let rows = log_rows(&h, &token, 2).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let rows_after = log_rows(&h, &token, 2).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows_after.len(), 2, "the unlogged request left a row");

    // debugLog on: redacted bodies in the row (and its detail), streams included.
    let debug = json!({"debugLog": true});
    assert_eq!(h.put(&token, "/v2/settings", debug).await.0, 200);
    let mut secretive = ask("#say visible-answer");
    secretive["messages"][0]["content"] = json!("Bearer sk-ant-leaked-credential");
    secretive["messages"] = json!([
        {"role": "user", "content": "Bearer sk-ant-leaked-credential"},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": "#say visible-answer"}
    ]);
    assert_eq!(h.json("/v1/messages", &secretive).await.0, 200);
    let streamed = h
        .sse(
            "/v1/messages",
            &anthropic::body("#say streamed-answer", true),
        )
        .await;
    assert_eq!(streamed.status, 200);
    let rows = log_rows(&h, &token, 4).await;
    let (stream_row, json_row) = (&rows[0], &rows[1]);
    let id = json_row["id"].as_i64().unwrap();
    let (status, detail) = h.get(&token, &format!("/v2/logs/{id}")).await;
    assert_eq!(status, 200);
    let request = detail["request_body"]
        .as_str()
        .unwrap_or_else(|| panic!("{detail} / {rows:?}"));
    assert!(request.contains("visible-answer"), "{request}");
    assert!(!request.contains("leaked-credential"), "{request}");
    assert!(request.contains("[redacted]"), "{request}");
    let response = detail["response_body"].as_str().unwrap();
    assert!(response.contains("visible-answer"), "{response}");
    let id = stream_row["id"].as_i64().unwrap();
    let (_, detail) = h.get(&token, &format!("/v2/logs/{id}")).await;
    let response = detail["response_body"].as_str().unwrap();
    assert!(response.contains("message_stop"), "{response}");
    assert!(response.contains("streamed-answer"), "{response}");

    // debugLog off: bodies stop at once.
    let quiet = json!({"debugLog": false});
    assert_eq!(h.put(&token, "/v2/settings", quiet).await.0, 200);
    assert_eq!(h.json("/v1/messages", &ask("#say quiet")).await.0, 200);
    let rows = log_rows(&h, &token, 5).await;
    let id = rows[0]["id"].as_i64().unwrap();
    let (_, detail) = h.get(&token, &format!("/v2/logs/{id}")).await;
    assert_eq!(detail["model_requested"], MODEL, "{detail}");
    assert!(detail["request_body"].is_null(), "{detail}");
    assert!(detail["response_body"].is_null(), "{detail}");
    h.stop().await;
}

// §5 ------------------------------------------------------------------------------------------

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one end-to-end scenario whose steps build on each other's state; split it, the steps would pass that state around"
)]
async fn refused_requests_leave_request_log_rows() {
    let yaml = format!("{TRUST_LOOPBACK}  max_body_bytes: 2048\n");
    let (s, token, (key_id, secret)) = TestServer::start_with_key(
        &yaml,
        json!({"name": "scoped", "models": ["claude-sonnet-4.5"], "rpm": 2}),
    )
    .await;
    ok(
        s.post(&token, "/v2/ips/block", json!({"ip": "203.0.113.9"}))
            .await,
    );
    let from = |ip: &'static str| [("x-forwarded-for", ip)];
    // Blocked: on /v1 and on the admin API.
    let blocked = from("203.0.113.9");
    assert_eq!(
        s.v1_status("/v1/messages", None, &blocked, json!({})).await,
        403
    );
    assert_eq!(login_from(&s, "203.0.113.9", "x").await.status(), 403);
    // No key, a wrong key.
    let nokey = from("198.51.100.1");
    assert_eq!(
        s.v1_status("/v1/messages", None, &nokey, json!({})).await,
        401
    );
    let badkey = from("198.51.100.2");
    let bad = s
        .v1_status("/v1/chat/completions", Some("sk-wrong"), &badkey, json!({}))
        .await;
    assert_eq!(bad, 401);
    // Model scope, body cap, the key's rpm (2 served above this point: none yet).
    let scope = from("198.51.100.3");
    let other_model = json!({"model": "claude-opus-4.6"});
    assert_eq!(
        s.v1_status("/v1/messages", Some(&secret), &scope, other_model)
            .await,
        403
    );
    let big = from("198.51.100.4");
    let pad = json!({"pad": "x".repeat(4096)});
    assert_eq!(
        s.v1_status("/v1/messages", Some(&secret), &big, pad).await,
        413
    );
    let busy = from("198.51.100.5");
    let fine = json!({"model": "claude-sonnet-4.5"});
    for _ in 0..2 {
        let status = s
            .v1_status("/v1/messages", Some(&secret), &busy, fine.clone())
            .await;
        assert!(status == 200 || status == 429, "{status}");
    }
    assert_eq!(
        s.v1_status("/v1/messages", Some(&secret), &busy, fine)
            .await,
        429
    );

    let rows = log_rows(&s, &token, 7).await;
    let row = |ip: &str| {
        rows.iter()
            .find(|r| r["client_ip"] == ip)
            .unwrap_or_else(|| panic!("no row for {ip}: {rows:?}"))
            .clone()
    };
    let r = row("203.0.113.9");
    assert_eq!(
        (r["status"].as_u64(), r["error_class"].as_str()),
        (Some(403), Some("ip_blocked"))
    );
    let blocked_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["client_ip"] == "203.0.113.9")
        .collect();
    assert!(
        blocked_rows.iter().any(|r| r["dialect"] == "admin"),
        "the admin-API refusal is logged too: {blocked_rows:?}"
    );
    let r = row("198.51.100.1");
    assert_eq!(r["status"], 401);
    assert!(r["key_id"].is_null());
    assert_eq!(row("198.51.100.2")["status"], 401);
    let r = row("198.51.100.3");
    assert_eq!(
        (r["status"].as_u64(), r["error_class"].as_str()),
        (Some(403), Some("model_not_allowed"))
    );
    assert_eq!(r["key_id"], key_id.as_str());
    let r = row("198.51.100.4");
    assert_eq!(
        (r["status"].as_u64(), r["error_class"].as_str()),
        (Some(413), Some("payload_too_large"))
    );
    assert_eq!(r["key_id"], key_id.as_str());
    let limited = rows
        .iter()
        .find(|r| r["client_ip"] == "198.51.100.5" && r["status"] == 429)
        .unwrap_or_else(|| panic!("no 429 row: {rows:?}"));
    assert_eq!(limited["error_class"], "rate_limited");
    assert_eq!(limited["key_id"], key_id.as_str());
    // The writer's drop counter is exported (sampled at start-up, then every 5 s).
    let metrics = s.get_text("/metrics").await;
    assert!(
        metrics.contains("gateway_request_log_dropped_total"),
        "drops are counted on /metrics"
    );
    s.stop().await;
}

// §6 ------------------------------------------------------------------------------------------

/// A gateway config over `dir` whose credentials key is `key` (32 bytes of one value).
fn config_with_key(dir: &tempfile::TempDir, key: u8) -> gateway::Config {
    let b64 = base64::engine::general_purpose::STANDARD.encode([key; 32]);
    let yaml = format!("security:\n  encryption_key: {b64}\n");
    crate::common::server::config(
        dir,
        crate::common::admin::DEAD,
        "{connect: 1, first_byte: 2, idle: 2, auth: 2}",
        &yaml,
        5,
    )
}

async fn add_account(config: &gateway::Config, refresh: &str) -> String {
    let store = gateway::open_store(config).await.unwrap();
    let new = store::NewAccount::new(
        store::AuthMethod::Social,
        crate::common::admin::long_token(refresh),
    );
    let id = store.create_account(new).await.unwrap().id;
    store.close().await.unwrap();
    id
}

#[tokio::test]
async fn one_undecryptable_account_does_not_stop_start_up() {
    crate::common::server::init();
    let dir = tempfile::tempdir().unwrap();
    let good = add_account(&config_with_key(&dir, 7), "rt-good").await;
    // Written under another key (a restored row, a hand edit): it cannot be decrypted.
    let bad = add_account(&config_with_key(&dir, 9), "rt-foreign").await;

    // Every row unreadable: the key is wrong, start-up is refused with the reason.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let single = config_with_key(&other_dir, 9);
    add_account(&single, "rt-only").await;
    let wrong = config_with_key(&other_dir, 3);
    let err = gateway::serve(listener, wrong, async {})
        .await
        .expect_err("a wrong key must stop start-up");
    let text = format!("{err:#}");
    assert!(text.contains("none of the 1 stored accounts"), "{text}");
    assert!(text.contains("encryption key"), "{text}");

    // Some rows unreadable: the service starts; the bad account is needs_login with the reason,
    // listed in the console's account list, with an audit entry.
    let config = config_with_key(&dir, 7);
    let s = Gateway::spawn(dir, config, gateway::Extensions::default()).await;
    let token = s.login().await;
    let v = ok(s.get(&token, &format!("/v2/accounts/{bad}")).await);
    assert_eq!(v["status"], "needs_login", "{v}");
    let reason = v["status_reason"].as_str().unwrap();
    assert!(reason.contains("cannot be decrypted"), "{reason}");
    let v = ok(s.get(&token, &format!("/v2/accounts/{good}")).await);
    assert!(
        !v["status_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("decrypted"),
        "{v}"
    );
    let (status, list) = s.get(&token, "/v2/accounts").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 2, "{list}");
    let (status, audit) = s
        .get(&token, "/v2/audit?action=account.undecryptable")
        .await;
    assert_eq!(status, 200, "{audit}");
    let text = audit.to_string();
    assert!(text.contains(&bad) && !text.contains(&good), "{text}");
    s.stop().await;
}
