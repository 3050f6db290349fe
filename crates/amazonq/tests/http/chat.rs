//! The chat call against a loopback server: streamed answers in both
//! dialects, the headers and the profile-ARN rule. Shared helpers live here.

use std::time::Duration;

use amazonq::client::{AuthKind, ClientConfig, Credentials, Dialect, QClient, StreamError};
use amazonq::events::StreamEvent;
use amazonq::types::{
    ChatMessage, ChatTriggerType, ConversationState, GenerateAssistantResponseRequest,
    UserInputMessage,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::Request;
use axum::response::Response;
use axum::routing::post;
use futures_util::StreamExt;

use crate::server::{End, Log, encode_events, paced_body, serve};

pub fn request(text: &str) -> GenerateAssistantResponseRequest {
    GenerateAssistantResponseRequest {
        conversation_state: ConversationState {
            conversation_id: "conv-1".into(),
            current_message: ChatMessage::UserInputMessage(UserInputMessage {
                content: text.into(),
                model_id: Some("claude-sonnet-4.5".into()),
                origin: Some("CLI".into()),
                ..Default::default()
            }),
            history: vec![],
            chat_trigger_type: ChatTriggerType::Manual,
            agent_task_type: None,
            agent_continuation_id: None,
            workspace_id: None,
            customization_arn: None,
        },
        // Ignored: the client decides from the credentials.
        profile_arn: Some("arn:aws:codewhisperer:us-east-1:1:profile/IGNORED".into()),
        additional_model_request_fields: None,
    }
}

pub fn config(base: &str) -> ClientConfig {
    ClientConfig {
        base_url: base.to_owned(),
        connect_timeout: Duration::from_millis(500),
        first_byte_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_secs(1),
        ..ClientConfig::default()
    }
}

pub fn creds(dialect: Dialect, kind: AuthKind, token: &str) -> Credentials {
    Credentials {
        dialect,
        auth_kind: kind,
        access_token: token.into(),
        profile_arn: Some("arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC".into()),
        machine_id: Some("ab".repeat(32)),
        ..Credentials::default()
    }
}

pub fn answer() -> Vec<StreamEvent> {
    vec![
        StreamEvent::InitialResponse {
            conversation_id: Some("conv-1".into()),
        },
        StreamEvent::AssistantResponse {
            content: "Hel".into(),
        },
        StreamEvent::AssistantResponse {
            content: "lo ✓".into(),
        },
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "fs_read".into(),
            input: None,
            stop: false,
        },
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "fs_read".into(),
            input: Some("{\"path\":".into()),
            stop: false,
        },
        StreamEvent::ToolUse {
            tool_use_id: "T1".into(),
            name: "fs_read".into(),
            input: Some("\"a.txt\"}".into()),
            stop: true,
        },
        StreamEvent::Unknown {
            event_type: "futureEvent".into(),
            payload: "{}".into(),
        },
        StreamEvent::Metering {
            usage: 0.25,
            unit: Some("credit".into()),
        },
        StreamEvent::ContextUsage { percentage: 4.5 },
    ]
}

/// Serves `answer()` in 7-byte pieces (splits inside preludes, headers, CRCs).
pub async fn answer_handler(State(log): State<Log>, req: Request<Body>) -> Response {
    log.record(req).await;
    let bytes = encode_events(&answer());
    let pieces = bytes.chunks(7).map(<[u8]>::to_vec).collect();
    Response::builder()
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-requestid", "req-42")
        .body(paced_body(pieces, Duration::ZERO, End::Clean))
        .unwrap()
}

pub async fn collect(
    client: &QClient,
    creds: &Credentials,
) -> (Option<String>, Vec<Result<StreamEvent, StreamError>>) {
    let response = client
        .generate_assistant_response(creds, &request("hi"))
        .await
        .unwrap();
    (response.request_id, response.events.collect().await)
}

#[tokio::test]
async fn streamed_answer_amazon_q_dialect() {
    let log = Log::default();
    let url = serve(
        Router::new()
            .route("/", post(answer_handler))
            .with_state(log.clone()),
    )
    .await;
    let client = QClient::new(config(&url)).unwrap();
    let (request_id, events) = collect(
        &client,
        &creds(Dialect::AmazonQ, AuthKind::BuilderId, "tok-q"),
    )
    .await;
    assert_eq!(request_id.as_deref(), Some("req-42"));
    let events: Vec<StreamEvent> = events.into_iter().map(Result::unwrap).collect();
    assert_eq!(events, answer());

    let seen = &log.all()[0];
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, "/");
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(
        seen.header("x-amz-target"),
        Some("AmazonCodeWhispererStreamingService.GenerateAssistantResponse")
    );
    assert_eq!(seen.header("authorization"), Some("Bearer tok-q"));
    assert!(seen.header("amz-sdk-invocation-id").is_some());
    assert!(
        seen.header("user-agent")
            .unwrap()
            .contains("AmazonQ-For-CLI")
    );
    let body = seen.json();
    assert_eq!(
        body["conversationState"]["currentMessage"]["userInputMessage"]["content"],
        "hi"
    );
    assert!(
        body.get("profileArn").is_none(),
        "Builder ID never sends a profile ARN"
    );
}

#[tokio::test]
async fn kiro_dialect_headers_and_profile_arn_rule() {
    let log = Log::default();
    let router = Router::new()
        .route("/generateAssistantResponse", post(answer_handler))
        .with_state(log.clone());
    let url = serve(router).await;
    let client = QClient::new(config(&url)).unwrap();
    for kind in [
        AuthKind::Social,
        AuthKind::BuilderId,
        AuthKind::IdentityCenter,
    ] {
        let (_, events) = collect(&client, &creds(Dialect::Kiro, kind, "tok-k")).await;
        assert_eq!(events.len(), answer().len());
    }
    let seen = log.all();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(seen[0].header("x-amzn-kiro-agent-mode"), Some("vibe"));
    assert_eq!(seen[0].header("x-amz-target"), None);
    assert!(
        seen[0]
            .header("x-amz-user-agent")
            .unwrap()
            .contains(&format!("KiroIDE-0.8.0-{}", "ab".repeat(32)))
    );
    assert_eq!(
        seen[0].json()["profileArn"],
        "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC",
        "social accounts send their profile ARN"
    );
    assert!(seen[1].json().get("profileArn").is_none());
    assert!(seen[2].json().get("profileArn").is_none());
}

#[tokio::test]
async fn amazon_q_identity_center_sends_profile_arn() {
    let log = Log::default();
    let url = serve(
        Router::new()
            .route("/", post(answer_handler))
            .with_state(log.clone()),
    )
    .await;
    let client = QClient::new(config(&url)).unwrap();
    collect(
        &client,
        &creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t"),
    )
    .await;
    assert_eq!(
        log.all()[0].json()["profileArn"],
        "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC"
    );
}

#[test]
fn credentials_debug_hides_the_token() {
    let shown = format!(
        "{:?}",
        creds(Dialect::Kiro, AuthKind::Social, "SECRET-TOKEN")
    );
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(
        shown.contains("access_token: ***") && shown.contains("Social"),
        "{shown}"
    );
}

#[tokio::test]
async fn event_stream_over_any_byte_stream() {
    // One byte per chunk: the decoder reassembles every frame.
    let bytes = encode_events(&answer());
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .iter()
        .map(|b| Ok(axum::body::Bytes::copy_from_slice(&[*b])))
        .collect();
    let stream = amazonq::client::EventStream::from_byte_stream(
        futures_util::stream::iter(chunks),
        Duration::from_secs(1),
    );
    let events: Vec<StreamEvent> = stream.map(Result::unwrap).collect().await;
    assert_eq!(events, answer());

    // A source that stalls after one frame trips the idle timeout.
    let one = encode_events(&answer()[..1]);
    let stalled =
        futures_util::stream::iter(vec![Ok::<_, std::io::Error>(axum::body::Bytes::from(one))])
            .chain(futures_util::stream::pending());
    let events: Vec<_> =
        amazonq::client::EventStream::from_byte_stream(stalled, Duration::from_millis(50))
            .collect()
            .await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1],
        Err(StreamError::IdleTimeout(Duration::from_millis(50)))
    );
}
