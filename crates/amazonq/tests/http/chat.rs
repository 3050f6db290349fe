//! The chat call against a loopback server: streamed answers in both dialects,
//! every HTTP error class, broken streams, timeouts, cancellation, proxies.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use amazonq::client::{
    AuthKind, ClientConfig, ClientError, Credentials, Dialect, QClient, StreamError,
};
use amazonq::error::{ErrorClass, QuotaPeriod};
use amazonq::events::StreamEvent;
use amazonq::eventstream::DecodeError;
use amazonq::types::{
    ChatMessage, ChatTriggerType, ConversationState, GenerateAssistantResponseRequest,
    UserInputMessage,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::{any, post};
use futures_util::StreamExt;

use crate::server::{End, Log, encode_events, paced_body, serve};

fn request(text: &str) -> GenerateAssistantResponseRequest {
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

fn answer() -> Vec<StreamEvent> {
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
async fn answer_handler(State(log): State<Log>, req: Request<Body>) -> Response {
    log.record(req).await;
    let bytes = encode_events(&answer());
    let pieces = bytes.chunks(7).map(<[u8]>::to_vec).collect();
    Response::builder()
        .header("content-type", "application/vnd.amazon.eventstream")
        .header("x-amzn-requestid", "req-42")
        .body(paced_body(pieces, Duration::ZERO, End::Clean))
        .unwrap()
}

async fn collect(
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

/// (status, x-amzn-ErrorType, retry-after, body, expected class)
type ErrorCase = (
    u16,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    ErrorClass,
);

fn error_cases() -> Vec<ErrorCase> {
    vec![
        (
            400,
            Some("ValidationException"),
            None,
            r#"{"message":"Improperly formed request.","reason":null}"#,
            ErrorClass::BadRequest {
                message: "Improperly formed request.".into(),
            },
        ),
        (
            400,
            Some("ValidationException"),
            None,
            r#"{"message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}"#,
            ErrorClass::ContextTooLong,
        ),
        (
            400,
            Some("ValidationException"),
            None,
            r#"{"message":"Invalid model.","reason":"INVALID_MODEL_ID"}"#,
            ErrorClass::InvalidModel,
        ),
        (
            402,
            None,
            None,
            r#"{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}"#,
            ErrorClass::QuotaExhausted {
                resets_at: None,
                period: QuotaPeriod::Monthly,
            },
        ),
        (
            403,
            Some("AccessDeniedException"),
            None,
            r#"{"message":"The bearer token included in the request is invalid.","reason":null}"#,
            ErrorClass::NeedsRefresh,
        ),
        (
            403,
            Some("AccessDeniedException"),
            None,
            r#"{"message":"Your User ID (x) temporarily is suspended.","reason":"TEMPORARILY_SUSPENDED"}"#,
            ErrorClass::Suspended,
        ),
        (
            403,
            Some("AccessDeniedException"),
            None,
            r#"{"message":"User is not authorized to access this feature."}"#,
            ErrorClass::Forbidden,
        ),
        (
            429,
            Some("ThrottlingException"),
            Some("3"),
            r#"{"message":"Too many requests, please wait before trying again."}"#,
            ErrorClass::Throttled {
                retry_after: Some(Duration::from_secs(3)),
            },
        ),
        (
            429,
            Some("ThrottlingException"),
            None,
            r#"{"message":"Maximum reached for this month.","reason":"MONTHLY_REQUEST_COUNT"}"#,
            ErrorClass::QuotaExhausted {
                resets_at: None,
                period: QuotaPeriod::Monthly,
            },
        ),
        (
            429,
            Some("ThrottlingException"),
            None,
            r#"{"message":"busy","reason":"INSUFFICIENT_MODEL_CAPACITY"}"#,
            ErrorClass::ModelUnavailable,
        ),
        (
            500,
            Some("InternalServerException"),
            None,
            r#"{"message":"Encountered an unexpected error when processing the request, please try again."}"#,
            ErrorClass::Transient,
        ),
        (
            503,
            Some("ServiceUnavailableException:http://internal/"),
            None,
            r#"{"message":"The service is temporarily unavailable."}"#,
            ErrorClass::Transient,
        ),
    ]
}

async fn error_handler(req: Request<Body>) -> Response {
    let auth = req.headers()["authorization"].to_str().unwrap().to_owned();
    let index: usize = auth.trim_start_matches("Bearer case-").parse().unwrap();
    let (status, error_type, retry_after, body, _) = error_cases().swap_remove(index);
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", format!("req-{index}"));
    if let Some(t) = error_type {
        response = response.header("x-amzn-errortype", t);
    }
    if let Some(r) = retry_after {
        response = response.header("retry-after", r);
    }
    response.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn each_http_error_class() {
    let url = serve(Router::new().route("/", post(error_handler))).await;
    let client = QClient::new(config(&url)).unwrap();
    for (index, (status, _, _, _, expected)) in error_cases().into_iter().enumerate() {
        let creds = creds(
            Dialect::AmazonQ,
            AuthKind::BuilderId,
            &format!("case-{index}"),
        );
        let err = client
            .generate_assistant_response(&creds, &request("x"))
            .await
            .unwrap_err();
        let ClientError::Http(http) = &err else {
            panic!("case {index}: expected an HTTP error, got {err:?}")
        };
        assert_eq!(http.status, status);
        assert_eq!(
            http.request_id.as_deref(),
            Some(format!("req-{index}").as_str())
        );
        assert_eq!(err.class(), expected, "case {index}");
    }
}

fn frames_then(
    end: End,
    cut_last_frame: bool,
    gap: Duration,
) -> impl Fn(Request<Body>) -> std::future::Ready<Response> + Clone {
    move |_req| {
        let mut bytes = encode_events(&[
            StreamEvent::AssistantResponse {
                content: "one".into(),
            },
            StreamEvent::AssistantResponse {
                content: "two".into(),
            },
        ]);
        if cut_last_frame {
            bytes.truncate(bytes.len() - 10);
        }
        let first_len = encode_events(&[StreamEvent::AssistantResponse {
            content: "one".into(),
        }])
        .len();
        let pieces = vec![bytes[..first_len].to_vec(), bytes[first_len..].to_vec()];
        std::future::ready(Response::new(paced_body(pieces, gap, end)))
    }
}

async fn events_from(handler_router: Router) -> Vec<Result<StreamEvent, StreamError>> {
    let url = serve(handler_router).await;
    let client = QClient::new(config(&url)).unwrap();
    let response = client
        .generate_assistant_response(
            &creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
            &request("x"),
        )
        .await
        .unwrap();
    response.events.collect().await
}

#[tokio::test]
async fn connection_dropped_mid_frame() {
    let events = events_from(Router::new().route(
        "/",
        post(frames_then(End::Abort, true, Duration::from_millis(50))),
    ))
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0],
        Ok(StreamEvent::AssistantResponse {
            content: "one".into()
        })
    );
    assert!(
        matches!(events[1], Err(StreamError::Transport(_))),
        "{:?}",
        events[1]
    );
}

#[tokio::test]
async fn clean_eof_mid_frame_is_a_truncation() {
    let events =
        events_from(Router::new().route("/", post(frames_then(End::Clean, true, Duration::ZERO))))
            .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        matches!(
            events[1],
            Err(StreamError::Decode(DecodeError::Truncated { .. }))
        ),
        "{:?}",
        events[1]
    );
}

#[tokio::test]
async fn empty_200_is_a_clean_empty_stream() {
    let events =
        events_from(Router::new().route("/", post(|| async { Response::new(Body::empty()) })))
            .await;
    assert!(events.is_empty(), "{events:?}");
}

#[tokio::test]
async fn first_byte_timeout_on_slow_headers_and_on_slow_body() {
    let slow_headers = Router::new().route(
        "/",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Response::new(Body::empty())
        }),
    );
    // Headers at once, first body bytes never.
    let slow_body = Router::new().route(
        "/",
        post(|| async { Response::new(paced_body(vec![], Duration::ZERO, End::Hang)) }),
    );
    for router in [slow_headers, slow_body] {
        let url = serve(router).await;
        let client = QClient::new(config(&url)).unwrap();
        let started = std::time::Instant::now();
        let err = client
            .generate_assistant_response(
                &creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
                &request("x"),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ClientError::FirstByteTimeout(Duration::from_millis(400))
        );
        assert_eq!(err.class(), ErrorClass::Transient);
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
    }
}

#[tokio::test]
async fn idle_timeout_between_frames() {
    // One frame, then silence longer than the 300 ms idle timeout.
    let events = events_from(Router::new().route(
        "/",
        post(frames_then(End::Hang, false, Duration::from_secs(5))),
    ))
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0],
        Ok(StreamEvent::AssistantResponse {
            content: "one".into()
        })
    );
    assert_eq!(
        events[1],
        Err(StreamError::IdleTimeout(Duration::from_millis(300)))
    );
}

#[tokio::test]
async fn slow_but_steady_frames_do_not_trip_the_idle_timeout() {
    // 200 ms between frames < 300 ms idle timeout.
    let events = events_from(Router::new().route(
        "/",
        post(frames_then(End::Clean, false, Duration::from_millis(200))),
    ))
    .await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.iter().all(Result::is_ok));
}

/// Flags when the server's body stream is dropped (the client went away).
struct DropFlag(Arc<AtomicBool>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn dropping_the_stream_cancels_the_request() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    let router = Router::new().route(
        "/",
        post(move || {
            let flag = flag.clone();
            async move {
                let frame = encode_events(&[StreamEvent::AssistantResponse {
                    content: "tick".into(),
                }]);
                let guard = DropFlag(flag);
                let body =
                    futures_util::stream::unfold((guard, frame), |(guard, frame)| async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Some((
                            Ok::<_, std::io::Error>(axum::body::Bytes::from(frame.clone())),
                            (guard, frame),
                        ))
                    });
                Response::new(Body::from_stream(body))
            }
        }),
    );
    let url = serve(router).await;
    let client = QClient::new(config(&url)).unwrap();
    let mut response = client
        .generate_assistant_response(
            &creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
            &request("x"),
        )
        .await
        .unwrap();
    assert!(response.events.next().await.unwrap().is_ok());
    assert!(!dropped.load(Ordering::SeqCst));
    drop(response);
    for _ in 0..100 {
        if dropped.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server kept streaming after the client dropped the stream");
}

#[tokio::test]
async fn per_call_proxy_is_used() {
    let log = Log::default();
    // A forward proxy receives absolute-form requests; this one answers them itself.
    let proxy = serve(
        Router::new()
            .fallback(any(answer_handler))
            .with_state(log.clone()),
    )
    .await;
    // Nothing listens on the discard port: only the proxy can answer.
    let client = QClient::new(config("http://127.0.0.1:9")).unwrap();
    let mut c = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    c.proxy = Some(proxy);
    let (_, events) = collect(&client, &c).await;
    assert_eq!(events.len(), answer().len());
    assert_eq!(log.all()[0].uri, "http://127.0.0.1:9/");

    // Without the proxy the same call cannot connect, and says so.
    c.proxy = None;
    let err = client
        .generate_assistant_response(&c, &request("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Transport(amazonq::TransportError::Connect(_))
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Transient);
}
