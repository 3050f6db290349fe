//! The chat call against a loopback server: streamed answers of every persona (kiro-cli and Kiro
//! IDE on `runtime.*`, both legacy dialects on `q.*`), their headers, the profile ARN per account
//! kind, `origin` and the root members (kiro-2026-endpoints.md §2–§4). Shared helpers live here.

use std::time::Duration;

use amazonq::client::{
    AuthKind, BUILDER_ID_SERVICE_ARN, ClientConfig, Credentials, Dialect, Host, QClient,
    StreamError,
};
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
        connect_timeout: Duration::from_millis(500),
        first_byte_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(300),
        request_timeout: Duration::from_secs(1),
        ..ClientConfig::at(base)
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

/// The same account on the legacy `q.*` host.
pub fn legacy(creds: Credentials) -> Credentials {
    Credentials {
        host: Host::LegacyQ,
        ..creds
    }
}

const OWN_ARN: &str = "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC";

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

/// A client whose hosts all point at a server answering `POST /` with [`answer()`].
pub async fn root_client() -> (QClient, Log) {
    let log = Log::default();
    let url = serve(
        Router::new()
            .route("/", post(answer_handler))
            .with_state(log.clone()),
    )
    .await;
    (QClient::new(config(&url)).unwrap(), log)
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
async fn streamed_answer_kiro_cli_persona_on_runtime() {
    let (client, log) = root_client().await;
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
    let ua = seen.header("user-agent").unwrap();
    assert!(
        ua.starts_with("aws-sdk-rust/")
            && ua.contains("api/codewhispererstreaming/")
            && ua.contains("md/appVersion-2.19.1")
            && ua.ends_with("app/AmazonQ-For-CLI"),
        "{ua}"
    );
    let amz = seen.header("x-amz-user-agent").unwrap();
    assert!(
        !amz.contains("md/appVersion") && amz.contains("app/AmazonQ-For-CLI"),
        "{amz}"
    );
    assert_eq!(seen.header("x-amzn-kiro-client-attribution"), None);
    assert_eq!(seen.header("x-amzn-kiro-agent-mode"), None);
    let body = seen.json();
    assert_eq!(
        body["conversationState"]["currentMessage"]["userInputMessage"]["content"],
        "hi"
    );
    assert_eq!(
        body["profileArn"], BUILDER_ID_SERVICE_ARN,
        "Builder ID carries the request-scoped service ARN on runtime, not its stored one"
    );
}

#[tokio::test]
async fn kiro_ide_persona_on_runtime_sends_the_social_arn() {
    let (client, log) = root_client().await;
    collect(&client, &creds(Dialect::Kiro, AuthKind::Social, "tok-s")).await;
    let seen = &log.all()[0];
    assert_eq!(seen.uri, "/", "JSON 1.0 on POST /, not the REST path");
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    assert_eq!(
        seen.header("x-amz-target"),
        Some("KiroRuntimeService.GenerateAssistantResponse")
    );
    assert_eq!(
        seen.header("x-amzn-kiro-client-attribution"),
        Some("kiro-ide")
    );
    let machine = "ab".repeat(32);
    let ua = seen.header("user-agent").unwrap();
    assert!(
        ua.starts_with("aws-sdk-js/1.0.0 ")
            && ua.contains("api/kiroruntime#1.0.0")
            && ua.ends_with(&format!("KiroIDE-1.0.437-{machine}")),
        "{ua}"
    );
    assert_eq!(
        seen.header("x-amz-user-agent"),
        Some(format!("aws-sdk-js/1.0.0 KiroIDE-1.0.437-{machine}").as_str())
    );
    assert_eq!(seen.header("x-amzn-kiro-agent-mode"), None);
    assert_eq!(seen.json()["profileArn"], OWN_ARN);
}

#[tokio::test]
async fn legacy_kiro_dialect_headers_and_profile_arn_rule() {
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
        let (_, events) = collect(&client, &legacy(creds(Dialect::Kiro, kind, "tok-k"))).await;
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
            .contains(&format!("KiroIDE-1.0.437-{}", "ab".repeat(32)))
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
async fn profile_arn_per_account_kind_and_host() {
    let (client, log) = root_client().await;
    let idc = creds(Dialect::AmazonQ, AuthKind::IdentityCenter, "t");
    let idc_without = Credentials {
        profile_arn: None,
        ..idc.clone()
    };
    let builder = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    for c in [
        &idc,
        &idc_without,
        &builder,
        &legacy(idc.clone()),
        &legacy(builder.clone()),
    ] {
        collect(&client, c).await;
    }
    let arns: Vec<_> = log
        .all()
        .iter()
        .map(|s| s.json()["profileArn"].clone())
        .collect();
    assert_eq!(arns[0], OWN_ARN, "IdC: its own ARN");
    assert!(
        arns[1].is_null(),
        "IdC without a profile sends none, never the Builder ID ARN"
    );
    assert_eq!(arns[2], BUILDER_ID_SERVICE_ARN);
    assert_eq!(arns[3], OWN_ARN, "legacy q: IdC keeps its ARN");
    assert!(arns[4].is_null(), "legacy q: R17, Builder ID sends none");
}

#[tokio::test]
async fn origin_root_members_and_native_options() {
    let (client, log) = root_client().await;
    let mut req = request("now");
    req.conversation_state.history = vec![
        ChatMessage::UserInputMessage(UserInputMessage {
            content: "before".into(),
            ..Default::default()
        }),
        ChatMessage::AssistantResponseMessage(amazonq::types::AssistantResponseMessage {
            content: "ok".into(),
            ..Default::default()
        }),
    ];
    req.additional_model_request_fields =
        Some(serde_json::json!({"output_config": {"effort": "high"}}));
    for (c, origin, task) in [
        (
            creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
            "KIRO_CLI",
            Some("vibe"),
        ),
        (
            creds(Dialect::Kiro, AuthKind::Social, "t"),
            "AI_EDITOR",
            Some("vibe"),
        ),
        (
            legacy(creds(Dialect::AmazonQ, AuthKind::BuilderId, "t")),
            "CLI",
            None,
        ),
    ] {
        client.prepare(&c, &mut req);
        let response = client.generate_assistant_response(&c, &req).await.unwrap();
        drop(response);
        let body = log.all().last().unwrap().json();
        let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut allowed = vec![
            "additionalModelRequestFields",
            "conversationState",
            "profileArn",
        ];
        if c.host == Host::LegacyQ {
            allowed.retain(|k| *k != "profileArn");
        }
        assert_eq!(keys, allowed, "root members only");
        assert_eq!(
            body["additionalModelRequestFields"]["output_config"]["effort"],
            "high"
        );
        let state = &body["conversationState"];
        assert_eq!(
            state["currentMessage"]["userInputMessage"]["origin"],
            origin
        );
        assert_eq!(state["history"][0]["userInputMessage"]["origin"], origin);
        assert_eq!(state["chatTriggerType"], "MANUAL");
        assert_eq!(state["agentTaskType"].as_str(), task);
    }
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
