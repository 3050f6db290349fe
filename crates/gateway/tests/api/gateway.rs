//! Gateway behaviour around the chat handlers (issue 10 "Streaming behaviour", "Token accounting"):
//! failover before the first byte, client disconnect cancelling the upstream, body cap, one
//! request-log row per request, metrics, and token counts agreeing across endpoints and dialects.

use std::time::{Duration, Instant};

use crate::common::anthropic::body;
use crate::common::server::into_json;
use crate::common::v1::{Harness, label};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

#[tokio::test]
async fn failover_before_first_byte_is_transparent() {
    let h = Harness::with(&["a1", "a2"], "").await;
    // The first chat call (whichever account gets it) is throttled; the pool retries elsewhere.
    h.sim.fault_next_chat(None, "throttled").unwrap();
    let s = h.sse("/v1/messages", &body("#say served", true)).await;
    assert_eq!(s.status, 200, "{}", s.raw);
    assert_eq!(s.anthropic_text(), "served");
    let chats = h.upstream_chats();
    assert_eq!(chats.len(), 2, "{chats:?}");
    assert_eq!(chats[0].status, 429);
    assert_eq!(chats[1].status, 200);
    assert_ne!(chats[0].decision.account, chats[1].decision.account);
    let served = chats[1].decision.account.clone().unwrap();
    assert_eq!(s.headers["x-claude-api-account"], label(&served).as_str());
    h.stop().await;
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_at_once() {
    let h = Harness::start().await;
    // 60 frames, one every 100 ms: six seconds of upstream answer.
    let prompt = "#pace interval=100 chunk=4\n#split fixed 4\n#text 60";
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 4096, "stream": true,
                   "messages": [{"role": "user", "content": prompt}]});
    let r = h.post("/v1/messages", &b).await;
    assert_eq!(r.status(), 200);
    let mut body = r.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("message_start"));
    assert_eq!(h.sim.stats().streams.streams_active, 1);
    drop(body);
    let dropped = Instant::now();
    while h.sim.stats().streams.streams_active > 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(2),
            "upstream stream still open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let frames_then = h.sim.stats().streams.frames;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        h.sim.stats().streams.frames,
        frames_then,
        "no frames after the cancel"
    );
    assert!(
        frames_then < 40,
        "cancelled long before the script ended: {frames_then}"
    );
    // The simulator saw its client (the gateway) leave before the end of the answer.
    let chats = h.upstream_chats();
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert!(
        chats[0].cancelled,
        "upstream request not closed by the gateway"
    );
    // The request is logged as closed by the client.
    let rows = h.logs(1).await;
    assert_eq!(rows[0]["status"], 499, "{rows:?}");
    assert_eq!(rows[0]["error_class"], "client_closed");
    h.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413_in_both_dialects() {
    let h = Harness::with(&["a1"], "security:\n  max_body_bytes: 4096\n").await;
    let big = "x".repeat(10_000);
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": big}]});
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"]["type"], "request_too_large");
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 413, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(h.upstream_chats().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn tokens_agree_across_count_tokens_stream_and_openai_usage() {
    let h = Harness::start().await;
    let prompt = "#say fine\nPlease summarise the history of the printing press in Europe.";
    let count = json!({"model": "claude-sonnet-4-5", "system": "You are a historian.",
                       "messages": [{"role": "user", "content": prompt}]});
    let (_, _, v) = h.json("/v1/messages/count_tokens", &count).await;
    let n = v["input_tokens"].as_u64().unwrap();
    let mut anth = count.clone();
    anth["max_tokens"] = json!(100);
    let (_, _, v) = h.json("/v1/messages", &anth).await;
    assert_eq!(v["usage"]["input_tokens"].as_u64().unwrap(), n);
    let openai = json!({"model": "claude-sonnet-4-5", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "system", "content": "You are a historian."}, {"role": "user", "content": prompt}]});
    let s = h.sse("/v1/chat/completions", &openai).await;
    let usage = s.openai_chunks().last().unwrap()["usage"].clone();
    assert_eq!(usage["prompt_tokens"].as_u64().unwrap(), n, "{usage}");
    h.stop().await;
}

#[tokio::test]
async fn upstream_metadata_refines_usage() {
    let h = Harness::start().await;
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 100,
                   "messages": [{"role": "user", "content": "#say hi\n#metadata 4321 77"}]});
    let v = h.answered("/v1/messages", &b).await;
    assert_eq!(v["usage"]["input_tokens"], 4321);
    assert_eq!(v["usage"]["output_tokens"], 77);
    h.stop().await;
}

#[tokio::test]
async fn one_log_row_per_request_and_metrics() {
    let h = Harness::start().await;
    let tools = json!([{"name": "x".repeat(80), "input_schema": {"type": "object"}}]);
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "tools": tools,
                   "messages": [{"role": "user", "content": "#say logged"}]});
    let (status, _, _) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 200);
    let bad = json!({"model": "nope-model", "messages": [{"role": "user", "content": "hi"}]});
    let (status, _, _) = h.json("/v1/chat/completions", &bad).await;
    assert_eq!(status, 404);
    let rows = h.logs(2).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let ok = rows.iter().find(|r| r["status"] == 200).unwrap();
    assert_eq!(ok["dialect"], "anthropic");
    assert_eq!(ok["account_id"], "a1");
    assert_eq!(ok["model_requested"], "claude-sonnet-4-5");
    assert_eq!(ok["model_used"], "claude-sonnet-4.5");
    assert_eq!(ok["stream"], false);
    assert!(ok["input_tokens"].as_u64().unwrap() > 0 && ok["output_tokens"].as_u64().unwrap() > 0);
    assert!(ok["ttfb_ms"].is_u64() && ok["duration_ms"].is_u64());
    let rules: Vec<&str> = ok["rules_fired"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(rules.contains(&"r10_tool_name_shortened"), "{rules:?}");
    let nf = rows.iter().find(|r| r["status"] == 404).unwrap();
    assert_eq!(nf["dialect"], "openai");
    assert_eq!(nf["error_class"], "model_not_found");
    let metrics = h.get_text("/metrics").await;
    for name in [
        "gateway_chat_requests_total",
        "gateway_chat_ttfb_seconds",
        "gateway_chat_duration_seconds",
        "gateway_chat_inflight",
        "gateway_normalizer_rules_total",
    ] {
        assert!(metrics.contains(name), "{name} missing");
    }
    assert!(metrics.contains("rule=\"r10_tool_name_shortened\""));
    h.stop().await;
}

#[tokio::test]
async fn item_22_61_auth_and_model_scope_with_the_real_handlers() {
    let h = Harness::start().await;
    let token = h.admin_token().await;
    let (_, key) = h.create_key(&token, json!({"name": "all"})).await;
    let scoped = json!({"name": "sonnet-only", "models": ["claude-sonnet-4-5"]});
    let (_, scoped) = h.create_key(&token, scoped).await;
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 20, "messages": [{"role": "user", "content": "#say ok"}]});
    let send = |path: &'static str, headers: Vec<(&'static str, String)>, body: Value| {
        let mut rb = h.client.post(h.url(path)).json(&body);
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        async move { into_json(rb.send().await.unwrap()).await }
    };
    // 22: x-api-key alone, Bearer alone, both.
    for headers in [
        vec![("x-api-key", key.clone())],
        vec![("authorization", format!("Bearer {key}"))],
        vec![
            ("x-api-key", key.clone()),
            ("authorization", format!("Bearer {key}")),
        ],
    ] {
        let (status, v) = send("/v1/messages", headers, b.clone()).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["content"][0]["text"], "ok");
    }
    let (status, v) = send("/v1/messages", vec![], b.clone()).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "authentication_error");
    // 61: OpenAI dialect, wrong key.
    let (status, v) = send(
        "/v1/chat/completions",
        vec![("authorization", "Bearer sk-wrong".into())],
        b.clone(),
    )
    .await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["error"]["code"], "invalid_api_key");
    assert!(v["error"].get("param").is_some() && v["error"]["message"].is_string());
    // Per-key model scope.
    let (status, _) = send(
        "/v1/messages",
        vec![("x-api-key", scoped.clone())],
        b.clone(),
    )
    .await;
    assert_eq!(status, 200);
    // The scope names a model, not a spelling: the dated and dotted forms are the same model.
    for spelling in ["claude-sonnet-4-5-20250929", "claude-sonnet-4.5"] {
        let mut same = b.clone();
        same["model"] = json!(spelling);
        let (status, v) = send("/v1/messages", vec![("x-api-key", scoped.clone())], same).await;
        assert_eq!(status, 200, "{spelling}: {v}");
    }
    let mut other = b.clone();
    other["model"] = json!("claude-opus-4-5");
    let (status, v) = send("/v1/messages", vec![("x-api-key", scoped)], other).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["error"]["type"], "permission_error");
    // Logged with the key id.
    let rows = h.logs(6).await;
    assert!(
        rows.iter()
            .any(|r| r["key_id"].is_string() && r["status"] == 200),
        "{rows:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn upstream_exception_before_any_output_gets_an_http_status() {
    let h = Harness::start().await;
    // The exception frame follows `initial-response`: nothing was sent yet, so no 200. A request
    // the upstream refuses (its class: a bad request, not retried elsewhere) is the account's
    // answer, a 400 in the dialect.
    for (path, stream) in [
        ("/v1/messages", true),
        ("/v1/messages", false),
        ("/v1/chat/completions", true),
    ] {
        let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
                       "messages": [{"role": "user",
                                     "content": "#exception ValidationException INVALID_KMS_GRANT"}]});
        let r = h.post(path, &b).await;
        let status = r.status().as_u16();
        assert!(r.headers().contains_key("x-claude-api-account"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 400, "{path} stream={stream}: {v}");
        if path == "/v1/messages" {
            assert_eq!(v["type"], "error");
        }
        assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
    }
    h.stop().await;
    // The service's own streamed exception (`error`, server-side trouble) is retried on another
    // account like a 500; with none left the client gets 503, still before any byte.
    let h = Harness::start().await;
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": true,
                   "messages": [{"role": "user", "content": "#say never shown\n#fault exception:1"}]});
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"]["type"], "api_error", "{v}");
    h.stop().await;
}

/// Issue 17 items 6–7: the "no account" answers say what is wrong and what to do, at once, in
/// the client's dialect: none configured → 503 naming the console; every account out of quota →
/// 429 with the reset time (not a "busy" answer after the queue timeout).
#[tokio::test]
async fn no_account_answers_say_why_and_what_to_do() {
    let h = Harness::with(&[], "").await;
    let b = json!({"model": "claude-sonnet-4-5", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "#say hi"}]});
    let (status, _, v) = h.json("/v1/messages", &b).await;
    assert_eq!(status, 503, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("no upstream account is configured"), "{msg}");
    assert!(msg.contains(&h.url("/accounts")), "{msg}");
    h.stop().await;

    let h = Harness::with(&["q1"], "pool:\n  queue_timeout_ms: 10000\n").await;
    h.sim.fault_next_chat(None, "monthly-quota").unwrap();
    let (status, _, v) = h.json("/v1/chat/completions", &b).await;
    assert_eq!(status, 429, "{v}");
    for path in ["/v1/chat/completions", "/v1/messages"] {
        let started = Instant::now();
        let (status, headers, v) = h.json(path, &b).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} waited for the queue timeout"
        );
        assert_eq!(status, 429, "{path}: {v}");
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 60, "{path}: retry-after {retry}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("out of quota until"), "{msg}");
    }
    assert_eq!(
        h.upstream_chats().len(),
        1,
        "the exhausted account was called again"
    );
    h.stop().await;
}
