//! `QClient::web_search` on the wire (docs/upstream-mcp-web-search.md): where it goes, what it
//! sends (JSON-RPC body, profile ARN in body and header, persona headers), how answers, tool
//! failures, HTTP errors, malformed bodies and slow servers come back.

use std::time::Duration;

use amazonq::client::{
    AuthKind, BUILDER_ID_SERVICE_ARN, ClientError, Dialect, McpErrorKind, QClient,
};
use amazonq::error::ErrorClass;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use crate::chat::{config, creds, legacy};
use crate::server::{Log, late, serve};

const OWN_ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC";

/// A server whose `/mcp` records the call and answers `status` with `body`.
async fn mcp_host(status: u16, body: String) -> (String, Log) {
    let log = Log::default();
    let router = Router::new()
        .route(
            "/mcp",
            post(move |State(log): State<Log>, req: Request<Body>| {
                let body = body.clone();
                async move {
                    log.record(req).await;
                    let error_type = match status {
                        400 => "ValidationException",
                        429 => "ThrottlingException",
                        _ => "",
                    };
                    let mut r = Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .header("x-amzn-requestid", "req-9");
                    if !error_type.is_empty() {
                        r = r.header("x-amzn-errortype", error_type);
                    }
                    r.body(Body::from(body)).unwrap()
                }
            }),
        )
        .with_state(log.clone());
    (serve(router).await, log)
}

fn answer(payload: &Value) -> String {
    json!({"jsonrpc": "2.0", "id": "x", "result": {
        "content": [{"type": "text", "text": payload.to_string()}], "isError": false}})
    .to_string()
}

fn two_hits() -> Value {
    json!({"results": [
        {"title": "A", "url": "https://example.com/a", "snippet": "sa", "publishedDate": 1_775_520_000_000_i64,
         "id": "1", "domain": "example.com", "maxVerbatimWordLimit": 30, "publicDomain": false},
        {"title": "B", "url": "https://example.org/b", "snippet": null, "publishedDate": null,
         "id": "2", "domain": "example.org", "maxVerbatimWordLimit": 30, "publicDomain": true}
    ], "totalResults": 2, "query": "rust", "error": null})
}

#[tokio::test]
async fn a_search_posts_json_rpc_with_the_profile_in_body_and_header() {
    let (base, log) = mcp_host(200, answer(&two_hits())).await;
    let client = QClient::new(config(&base)).unwrap();
    let idc = creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "tok-1");
    let r = client.web_search(&idc, "rust async").await.unwrap();
    assert_eq!(r.request_id.as_deref(), Some("req-9"));
    assert_eq!(r.hits.len(), 2);
    assert_eq!(r.hits[0].title, "A");
    assert_eq!(
        r.hits[0].published_date.as_deref(),
        Some("2026-04-07T00:00:00Z")
    );
    assert_eq!(r.hits[1].snippet, None);
    assert_eq!(r.total_results, Some(2));

    let seen = log.all();
    assert_eq!(seen.len(), 1);
    let call = &seen[0];
    assert_eq!(call.method, "POST");
    assert_eq!(call.uri, "/mcp");
    assert_eq!(call.header("authorization"), Some("Bearer tok-1"));
    assert_eq!(call.header("content-type"), Some("application/json"));
    assert_eq!(call.header("x-amzn-kiro-profile-arn"), Some(OWN_ARN));
    assert!(call.header("amz-sdk-invocation-id").is_some());
    // kiro-cli persona: the Rust SDK agents of chat.
    assert!(
        call.header("user-agent")
            .is_some_and(|ua| ua.contains("app/AmazonQ-For-CLI")),
        "{:?}",
        call.header("user-agent")
    );
    let body = call.json();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["method"], "tools/call");
    assert_eq!(
        body["params"],
        json!({"name": "web_search", "arguments": {"query": "rust async"}})
    );
    assert_eq!(body["profileArn"], OWN_ARN);
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("web_search_tooluse_"))
    );
}

#[tokio::test]
async fn each_persona_sends_its_profile_and_agents_to_its_host() {
    let (base, log) = mcp_host(200, answer(&two_hits())).await;
    let client = QClient::new(config(&base)).unwrap();
    // Builder ID on runtime.*: the service ARN, like chat.
    let builder = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    client.web_search(&builder, "q").await.unwrap();
    // Social (Kiro IDE persona): its own ARN, the JS SDK agents.
    let social = creds(Dialect::Kiro, AuthKind::Social, "t");
    client.web_search(&social, "q").await.unwrap();
    // Builder ID on the legacy host: no ARN at all (R17), like chat.
    client.web_search(&legacy(builder), "q").await.unwrap();
    let seen = log.all();
    assert_eq!(seen[0].json()["profileArn"], BUILDER_ID_SERVICE_ARN);
    assert_eq!(
        seen[0].header("x-amzn-kiro-profile-arn"),
        Some(BUILDER_ID_SERVICE_ARN)
    );
    assert_eq!(seen[1].json()["profileArn"], OWN_ARN);
    assert!(
        seen[1]
            .header("user-agent")
            .is_some_and(|ua| ua.contains("KiroIDE-"))
    );
    assert!(seen[2].json().get("profileArn").is_none());
    assert_eq!(seen[2].header("x-amzn-kiro-profile-arn"), None);
}

#[tokio::test]
async fn the_legacy_host_gets_the_call_for_an_account_on_it() {
    let (runtime, runtime_log) = mcp_host(200, answer(&two_hits())).await;
    let (legacy_q, legacy_log) = mcp_host(200, answer(&two_hits())).await;
    let client = QClient::new(amazonq::client::ClientConfig {
        legacy_q_url: legacy_q,
        ..config(&runtime)
    })
    .unwrap();
    let social = creds(Dialect::Kiro, AuthKind::Social, "t");
    client.web_search(&legacy(social), "q").await.unwrap();
    assert_eq!(runtime_log.all().len(), 0);
    assert_eq!(legacy_log.all().len(), 1);
    assert_eq!(
        legacy_log.all()[0].header("x-amzn-kiro-profile-arn"),
        Some(OWN_ARN)
    );
}

async fn failure(status: u16, body: String) -> ClientError {
    let (base, _log) = mcp_host(status, body).await;
    let client = QClient::new(config(&base)).unwrap();
    client
        .web_search(&creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t"), "q")
        .await
        .unwrap_err()
}

fn mcp_kind(e: &ClientError) -> McpErrorKind {
    match e {
        ClientError::Mcp(m) => m.kind,
        other => panic!("expected an MCP failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tool_failures_map_to_classes() {
    let rpc = |code: i64, message: &str| {
        json!({"jsonrpc": "2.0", "id": "x", "error": {"code": code, "message": message}})
            .to_string()
    };
    let e = failure(200, rpc(-32000, "Rate exceeded")).await;
    assert_eq!(mcp_kind(&e), McpErrorKind::Throttled);
    assert!(matches!(e.class(), ErrorClass::Throttled { .. }));
    if let ClientError::Mcp(m) = &e {
        assert_eq!(m.request_id.as_deref(), Some("req-9"));
        assert_eq!(m.code, Some(-32000));
    }

    let e = failure(200, rpc(-32601, "Method not found: tools/call")).await;
    assert_eq!(mcp_kind(&e), McpErrorKind::MethodNotFound);
    assert!(matches!(e.class(), ErrorClass::BadRequest { .. }));

    let e = failure(200, rpc(-32603, "Internal error")).await;
    assert_eq!(e.class(), ErrorClass::Transient);

    let not_entitled = json!({"jsonrpc": "2.0", "id": "x", "result": {"content": [
        {"type": "text", "text": "Web search is not available for this account."}], "isError": true}});
    let e = failure(200, not_entitled.to_string()).await;
    assert_eq!(mcp_kind(&e), McpErrorKind::NotEntitled);
    assert!(!e.class().is_retryable());
    assert!(!e.class().is_account_problem());
    assert!(e.to_string().contains("not available"), "{e}");
}

#[tokio::test]
async fn http_errors_are_classified_like_chat() {
    let e = failure(
        400,
        r#"{"message":"profileArn is required for this request.","reason":null}"#.into(),
    )
    .await;
    assert!(
        matches!(&e, ClientError::Http(h) if h.status == 400),
        "{e:?}"
    );
    assert_eq!(e.class(), ErrorClass::ProfileRejected);
    let e = failure(
        429,
        r#"{"message":"Too many requests","reason":null}"#.into(),
    )
    .await;
    assert!(matches!(e.class(), ErrorClass::Throttled { .. }), "{e:?}");
}

#[tokio::test]
async fn malformed_answers_are_decode_errors() {
    for body in [
        "not json".to_owned(),
        json!({"jsonrpc": "2.0", "id": 1}).to_string(),
        json!({"result": {"content": [{"type": "text", "text": "plain words"}]}}).to_string(),
    ] {
        let e = failure(200, body.clone()).await;
        assert!(matches!(e, ClientError::Decode(_)), "{body}: {e:?}");
        assert_eq!(e.class(), ErrorClass::Transient);
    }
}

#[tokio::test]
async fn an_empty_query_is_refused_without_a_call() {
    let (base, log) = mcp_host(200, answer(&two_hits())).await;
    let client = QClient::new(config(&base)).unwrap();
    let e = client
        .web_search(&creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"), "  ")
        .await
        .unwrap_err();
    assert_eq!(mcp_kind(&e), McpErrorKind::InvalidParams);
    assert!(log.all().is_empty());
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_first_byte_timeout() {
    let base = serve(late("/mcp", Duration::from_secs(5))).await;
    let client = QClient::new(config(&base)).unwrap();
    let started = std::time::Instant::now();
    let e = client
        .web_search(&creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"), "q")
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::FirstByteTimeout(_)), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}
