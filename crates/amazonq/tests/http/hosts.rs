//! Host selection and the legacy-fallback rules (kiro-2026-endpoints.md §1, §9 client item 2):
//! which host each call goes to, and which failures make an account try `q.*` — a connection
//! failure, a 404 `UnknownOperationException`, a configured 403 — and never a 400.

use std::sync::Arc;

use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, Dialect, Endpoints, Host, QClient,
};
use amazonq::types::ListAvailableProfilesRequest;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::Response;
use axum::routing::post;

use crate::chat::{answer_handler, config, creds, legacy, request};
use crate::server::{Log, serve};

/// A server that records every call and answers chats with a stream.
async fn host() -> (String, Log) {
    let log = Log::default();
    let router = Router::new()
        .route("/", post(answer_handler))
        .route("/generateAssistantResponse", post(answer_handler))
        .with_state(log.clone());
    (serve(router).await, log)
}

/// A server that records every call and answers with an empty profile list.
async fn management_host() -> (String, Log) {
    let log = Log::default();
    let router = Router::new()
        .fallback(|State(log): State<Log>, req: Request<Body>| async move {
            log.record(req).await;
            Response::new(Body::from("{\"profiles\":[]}"))
        })
        .with_state(log.clone());
    (serve(router).await, log)
}

/// A server that answers every call with `status` and the JSON `body`.
async fn failing(status: u16, error_type: &'static str, body: &'static str) -> String {
    let router = Router::new().fallback(move || async move {
        Response::builder()
            .status(status)
            .header("x-amzn-errortype", error_type)
            .body(Body::from(body))
            .unwrap()
    });
    serve(router).await
}

#[tokio::test]
async fn each_call_goes_to_its_host() {
    let (runtime, runtime_log) = host().await;
    let (management, management_log) = management_host().await;
    let (legacy_q, legacy_log) = host().await;
    // The client's own hosts are unreachable: the account's endpoints must win.
    let client = QClient::new(config("http://127.0.0.1:9")).unwrap();
    let endpoints = Arc::new(Endpoints::new(&runtime, &management, &legacy_q).unwrap());
    let on_runtime = Credentials {
        endpoints: Some(Arc::clone(&endpoints)),
        ..creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t")
    };
    client
        .generate_assistant_response(&on_runtime, &request("a"))
        .await
        .unwrap();
    client
        .list_available_profiles(&on_runtime, &ListAvailableProfilesRequest::default())
        .await
        .unwrap();
    let social_legacy = Credentials {
        endpoints: Some(endpoints),
        ..legacy(creds(Dialect::Kiro, AuthKind::Social, "t"))
    };
    client
        .generate_assistant_response(&social_legacy, &request("b"))
        .await
        .unwrap();
    assert_eq!(runtime_log.all().len(), 1);
    assert_eq!(runtime_log.all()[0].uri, "/");
    assert_eq!(management_log.all().len(), 1);
    assert_eq!(legacy_log.all().len(), 1);
    assert_eq!(legacy_log.all()[0].uri, "/generateAssistantResponse");
}

#[test]
fn default_hosts_are_the_kiro_hosts_of_the_region() {
    let config = ClientConfig::default();
    assert_eq!(config.runtime_url, "https://runtime.us-east-1.kiro.dev");
    assert_eq!(
        config.management_url,
        "https://management.us-east-1.kiro.dev"
    );
    assert_eq!(config.legacy_q_url, "https://q.us-east-1.amazonaws.com");
    assert_eq!(config.kiro_version, "1.0.437");
    assert_eq!(Host::default(), Host::Runtime);
    assert_eq!(Host::LegacyQ.as_str(), "legacy_q");
}

/// The chat error of a server answering `status` with the JSON `body`.
async fn answered(status: u16, error_type: &'static str, body: &'static str) -> ClientError {
    chat_error(&failing(status, error_type, body).await).await
}

async fn chat_error(base: &str) -> ClientError {
    let client = QClient::new(config(base)).unwrap();
    client
        .generate_assistant_response(
            &creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
            &request("x"),
        )
        .await
        .unwrap_err()
}

#[tokio::test]
async fn fallback_rules() {
    let markers = vec!["Bearer Token Invalid".to_owned()];
    // A refused connection (nothing listens on port 9 of loopback).
    let refused = chat_error("http://127.0.0.1:9").await;
    assert!(matches!(refused, ClientError::Transport(_)), "{refused:?}");
    assert!(refused.is_fallback_candidate(&[]));

    let unknown = answered(404, "UnknownOperationException", "{}").await;
    assert!(unknown.is_fallback_candidate(&[]));
    let other_404 = answered(
        404,
        "ResourceNotFoundException",
        r#"{"message":"no such thing"}"#,
    )
    .await;
    assert!(!other_404.is_fallback_candidate(&markers));

    let bearer = answered(
        403,
        "AccessDeniedException",
        r#"{"message":"bearer token invalid"}"#,
    )
    .await;
    assert!(
        bearer.is_fallback_candidate(&markers),
        "configured 403, case-insensitive"
    );
    assert!(
        !bearer.is_fallback_candidate(&[]),
        "a 403 not configured stays"
    );

    // Never on a 400, whatever its text.
    for body in [
        r#"{"message":"profileArn is required for this request.","reason":null}"#,
        r#"{"message":"Improperly formed request.","reason":"REQUEST_BODY_INVALID"}"#,
        r#"{"message":"bearer token invalid"}"#,
    ] {
        let e = answered(400, "ValidationException", body).await;
        assert!(!e.is_fallback_candidate(&markers), "{body}");
    }
}
