//! The `/v1` guard stack over real HTTP (issue 7 §Client API keys, §Security controls): loopback-only
//! default, key auth and scopes, CIDR blocks, IP/key rate limits, trusted proxies and spoofing,
//! body cap, per-key concurrency — each error in the client's dialect.

use crate::common::admin::TestServer;
use crate::common::server::{assert_error_mentions, field_error, into_json, ok, retry_after};
use crate::common::task::spawn;
use crate::common::{anthropic, openai};
use serde_json::{Value, json};

const TRUST_LOOPBACK: &str = "security:\n  trusted_proxies: [\"127.0.0.1/32\"]\n";

/// `POST /v1/messages` with `key`, `headers` and an empty body: (status, echo or error body).
async fn messages(s: &TestServer, key: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    s.v1_json("/v1/messages", Some(key), headers, json!({}))
        .await
}

/// `POST /v1/chat/completions` with `key`, `headers` and an empty body: (status, body).
async fn completions(s: &TestServer, key: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    s.v1_json("/v1/chat/completions", Some(key), headers, json!({}))
        .await
}

/// `POST path` with `key` and a body naming `model`: (status, echo or error body).
async fn with_model(s: &TestServer, path: &str, key: &str, model: &str) -> (u16, Value) {
    s.v1_json(path, Some(key), &[], json!({"model": model}))
        .await
}

#[tokio::test]
async fn no_key_means_loopback_only_and_says_why() {
    let s = TestServer::start(TRUST_LOOPBACK).await;
    // A loopback client without any key configured is served.
    let r = s
        .v1("/v1/chat/completions", None, &[], json!({"model": "m"}))
        .await;
    let (status, v) = into_json(r).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ip"], "127.0.0.1");
    assert!(v["key"].is_null());
    // A remote client (via a trusted proxy) is refused with the reason, in its dialect.
    let remote = [("x-forwarded-for", "203.0.113.7")];
    let (status, v) = s.v1_json("/v1/messages", None, &remote, json!({})).await;
    assert_eq!(status, 403);
    anthropic::assert_error(&v, "permission_error");
    assert_error_mentions(&v, "no API key configured");
    let (status, v) = s
        .v1_json("/v1/chat/completions", None, &remote, json!({}))
        .await;
    assert_eq!(status, 403);
    openai::assert_error(&v, None, Some("no_api_key_configured"));
    // Once a key exists, loopback clients need it too.
    let token = s.login().await;
    let (_, secret) = s.create_key(&token, json!({"name": "k"})).await;
    let (status, v) = s
        .v1_json("/v1/chat/completions", None, &[], json!({}))
        .await;
    assert_eq!(status, 401);
    openai::assert_error(&v, None, Some("invalid_api_key"));
    let (status, v) = messages(&s, "sk-wrong", &[]).await;
    assert_eq!(status, 401);
    anthropic::assert_error(&v, "authentication_error");
    let r = s
        .client
        .post(s.url("/v1/messages"))
        .header("x-api-key", &secret)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = messages(&s, &secret, &remote).await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn legacy_api_key_setting_is_one_of_the_keys() {
    let (s, token) = TestServer::signed_in("").await;
    ok(
        s.put(&token, "/v2/settings", json!({"apiKey": "legacy-secret"}))
            .await,
    );
    let (_, secret) = s.create_key(&token, json!({"name": "new"})).await;
    let (status, v) = completions(&s, "legacy-secret", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(v["key"], "setting:apiKey");
    let (status, _) = completions(&s, &secret, &[]).await;
    assert_eq!(status, 200);
    s.stop().await;
}

#[tokio::test]
async fn key_scopes_models_disabled_expired() {
    let (s, token, (id, secret)) = TestServer::start_with_key(
        "",
        json!({"name": "scoped", "models": ["claude-sonnet-4.5", "claude-4.5-opus-*"]}),
    )
    .await;
    let allowed = with_model(&s, "/v1/messages", &secret, "claude-4.5-opus-high").await;
    assert_eq!(allowed.0, 200);
    let (status, v) = with_model(&s, "/v1/messages", &secret, "claude-sonnet-3.5").await;
    assert_eq!(status, 403);
    anthropic::assert_error(&v, "permission_error");
    assert_error_mentions(&v, "claude-sonnet-3.5");
    let (status, v) = with_model(&s, "/v1/chat/completions", &secret, "gpt-4").await;
    assert_eq!(status, 403);
    openai::assert_error(&v, None, Some("model_not_allowed"));

    ok(
        s.patch(&token, &format!("/v2/keys/{id}"), json!({"enabled": false}))
            .await,
    );
    let (status, v) = with_model(&s, "/v1/chat/completions", &secret, "claude-sonnet-4.5").await;
    assert_eq!(status, 403);
    openai::assert_error(&v, None, Some("key_disabled"));

    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    ok(s.patch(
        &token,
        &format!("/v2/keys/{id}"),
        json!({"enabled": true, "expires_at": past}),
    )
    .await);
    let (status, v) = with_model(&s, "/v1/messages", &secret, "claude-sonnet-4.5").await;
    assert_eq!(status, 403);
    anthropic::assert_error(&v, "permission_error");
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));

    // Clearing the expiry and deleting the key take effect at once.
    ok(s.patch(
        &token,
        &format!("/v2/keys/{id}"),
        json!({"expires_at": null}),
    )
    .await);
    assert_eq!(
        with_model(&s, "/v1/messages", &secret, "claude-sonnet-4.5")
            .await
            .0,
        200
    );
    // (Another key keeps the gateway out of the loopback-only no-key mode.)
    s.create_key(&token, json!({"name": "other"})).await;
    ok(s.delete(&token, &format!("/v2/keys/{id}")).await);
    assert_eq!(messages(&s, &secret, &[]).await.0, 401);
    s.stop().await;
}

#[tokio::test]
async fn cidr_blocks_trusted_proxies_and_spoofing() {
    let (s, token, (_, secret)) =
        TestServer::start_with_key(TRUST_LOOPBACK, json!({"name": "k"})).await;
    ok(s.post(
        &token,
        "/v2/ips/block",
        json!({"ip": "203.0.113.0/24", "reason": "abuse"}),
    )
    .await);
    let blocked = [("x-forwarded-for", "203.0.113.99")];
    let (status, v) = messages(&s, &secret, &blocked).await;
    assert_eq!(status, 403);
    anthropic::assert_error(&v, "permission_error");
    // Blocked before any other work: even without a key the answer is the block, not 401.
    let (status, v) = s
        .v1_json("/v1/chat/completions", None, &blocked, json!({}))
        .await;
    assert_eq!(status, 403);
    openai::assert_error(&v, None, Some("ip_blocked"));
    // X-Real-IP is honoured from a trusted peer as well.
    let (status, _) = messages(&s, &secret, &[("x-real-ip", "203.0.113.1")]).await;
    assert_eq!(status, 403);
    // Outside the range: served, and the echoed client IP is the forwarded one.
    let (status, v) = messages(&s, &secret, &[("x-forwarded-for", "198.51.100.4")]).await;
    assert_eq!(status, 200);
    assert_eq!(v["ip"], "198.51.100.4");
    // A client-supplied first hop cannot hide the address the proxy appended.
    let spoof = [("x-forwarded-for", "198.51.100.4, 203.0.113.5")];
    assert_eq!(messages(&s, &secret, &spoof).await.0, 403);
    // Unblock takes effect at once.
    ok(
        s.post(&token, "/v2/ips/unblock", json!({"ip": "203.0.113.0/24"}))
            .await,
    );
    assert_eq!(messages(&s, &secret, &blocked).await.0, 200);
    // Expired blocks do not apply (expiry in the future still blocks).
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    ok(s.post(
        &token,
        "/v2/ips/block",
        json!({"ip": "192.0.2.1", "expires_at": soon}),
    )
    .await);
    assert_eq!(
        messages(&s, &secret, &[("x-forwarded-for", "192.0.2.1")])
            .await
            .0,
        403
    );
    assert_eq!(
        field_error(
            s.post(&token, "/v2/ips/block", json!({"ip": "not-an-ip"}))
                .await
        ),
        (400, json!("ip"))
    );
    s.stop().await;
}

#[tokio::test]
async fn forwarded_headers_from_untrusted_peers_are_ignored() {
    // No trusted proxies.
    let (s, token, (_, secret)) = TestServer::start_with_key("", json!({"name": "k"})).await;
    ok(
        s.post(&token, "/v2/ips/block", json!({"ip": "203.0.113.0/24"}))
            .await,
    );
    // Claiming a blocked address does not get a loopback client blocked ...
    let (status, v) = messages(
        &s,
        &secret,
        &[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-real-ip", "203.0.113.9"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["ip"], "127.0.0.1");
    // ... and claiming another address does not escape a block on the real one.
    ok(s.post(
        &token,
        "/v2/ips/block",
        json!({"ip": "127.0.0.1", "confirm_self_block": true}),
    )
    .await);
    let (status, _) = messages(&s, &secret, &[("x-forwarded-for", "198.51.100.1")]).await;
    assert_eq!(status, 403);
    s.stop().await;
}

#[tokio::test]
async fn ip_rate_limit_window_and_per_key_rpm() {
    let (s, token, (_, secret)) =
        TestServer::start_with_key(TRUST_LOOPBACK, json!({"name": "k"})).await;
    let settings = json!({"enableIPRateLimit": true, "ipRateLimitWindow": 1, "ipRateLimitMax": 3});
    ok(s.put(&token, "/v2/settings", settings).await);
    let a = [("x-forwarded-for", "198.51.100.10")];
    for _ in 0..3 {
        assert_eq!(completions(&s, &secret, &a).await.0, 200);
    }
    let r = s
        .v1("/v1/chat/completions", Some(&secret), &a, json!({}))
        .await;
    assert_eq!(r.status(), 429);
    let retry: u64 = retry_after(&r);
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    let (_, v) = into_json(r).await;
    assert_eq!(v["error"]["type"], "rate_limit_exceeded");
    let r = s.v1("/v1/messages", Some(&secret), &a, json!({})).await;
    assert_eq!(r.status(), 429);
    anthropic::assert_error(&into_json(r).await.1, "rate_limit_error");
    // Another client address has its own window.
    assert_eq!(
        completions(&s, &secret, &[("x-forwarded-for", "198.51.100.11")])
            .await
            .0,
        200
    );
    // Turning the limit off lifts it at once.
    ok(
        s.put(&token, "/v2/settings", json!({"enableIPRateLimit": false}))
            .await,
    );
    assert_eq!(completions(&s, &secret, &a).await.0, 200);

    // Per-key requests per minute.
    let (_, limited) = s
        .create_key(&token, json!({"name": "slow", "rpm": 2}))
        .await;
    for _ in 0..2 {
        assert_eq!(completions(&s, &limited, &[]).await.0, 200);
    }
    let r = s
        .v1("/v1/chat/completions", Some(&limited), &[], json!({}))
        .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // The other key is unaffected.
    assert_eq!(completions(&s, &secret, &[]).await.0, 200);
    s.stop().await;
}

#[tokio::test]
async fn body_cap_is_413_in_dialect() {
    let s = TestServer::start("security:\n  max_body_bytes: 2048\n").await;
    let big = json!({"model": "m", "pad": "x".repeat(4096)});
    let (status, v) = s.v1_json("/v1/messages", None, &[], big.clone()).await;
    assert_eq!(status, 413);
    anthropic::assert_error(&v, "request_too_large");
    let (status, v) = s
        .v1_json("/v1/chat/completions", None, &[], big.clone())
        .await;
    assert_eq!(status, 413);
    openai::assert_error(&v, None, Some("request_too_large"));
    // Without content-length (chunked) the cap still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|_| Ok(vec![b' '; 1024])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let r = s
        .client
        .post(s.url("/v1/messages"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // Under the cap the handler gets the whole body.
    let small = json!({"model": "m", "pad": "x".repeat(1000)});
    let (status, v) = s.v1_json("/v1/messages", None, &[], small.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(v["body_len"], small.to_string().len());
    s.stop().await;
}

#[tokio::test]
async fn per_key_concurrency_and_request_ids() {
    let (s, _, (_, secret)) =
        TestServer::start_with_key("", json!({"name": "one-at-a-time", "max_concurrency": 1}))
            .await;
    let first = s.v1("/v1/slow", Some(&secret), &[], json!({}));
    let second = async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        s.v1("/v1/slow", Some(&secret), &[], json!({})).await
    };
    let (held, refused) = tokio::join!(first, second);
    assert_eq!(held.status(), 200);
    assert_eq!(refused.status(), 429);
    // The slot is free again after the first finished.
    let again = s.v1("/v1/slow", Some(&secret), &[], json!({})).await;
    assert_eq!(again.status(), 200);
    assert!(again.headers().contains_key("x-request-id"));
    // Unknown /v1 paths answer 404 in dialect, after the guard.
    let (status, v) = s.v1_json("/v1/nope", Some(&secret), &[], json!({})).await;
    assert_eq!(status, 404);
    assert!(v["error"]["message"].as_str().is_some());
    s.stop().await;
}

#[tokio::test]
async fn shutdown_drains_open_requests_then_stops_accepting() {
    let mut s = TestServer::start("").await;
    let url = s.url("/v1/slow");
    let client = s.client.clone();
    let in_flight = spawn(async move {
        client
            .post(url)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    s.begin_shutdown();
    // The request that was already running completes normally ...
    assert_eq!(in_flight.await.unwrap(), 200);
    s.join().await;
    // ... and once serve has returned nothing answers any more.
    let after = s.client.get(s.url("/healthz")).send().await;
    assert!(after.is_err(), "server still answering after shutdown");
}
