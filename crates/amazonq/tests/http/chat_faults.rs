//! The chat call when things go wrong: every HTTP error class, connections
//! dropped mid-frame, truncation, first-byte and idle timeouts, cancellation
//! by dropping the stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use amazonq::client::{AuthKind, ChatResponse, ClientError, Dialect, QClient, StreamError};
use amazonq::error::{ErrorClass, QuotaPeriod};
use amazonq::events::StreamEvent;
use amazonq::eventstream::DecodeError;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::post;
use futures_util::StreamExt;

use crate::chat::{config, creds, request};
use crate::server::{End, encode_events, late, paced_body, serve};

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

/// One chat (dialect Q, Builder ID) against `router` served on 127.0.0.1.
async fn chat_against(router: Router) -> Result<ChatResponse, ClientError> {
    let url = serve(router).await;
    QClient::new(config(&url))
        .unwrap()
        .generate_assistant_response(
            &creds(Dialect::AmazonQ, AuthKind::BuilderId, "t"),
            &request("x"),
        )
        .await
}

async fn events_from(handler_router: Router) -> Vec<Result<StreamEvent, StreamError>> {
    let response = chat_against(handler_router).await.unwrap();
    response.events.collect().await
}

/// A stream of the frame "one", then after `gap` the frame "two" (its last 10 bytes cut when
/// `cut_last_frame`) and `end`: asserts two items came and the first is "one"; returns the second.
async fn after_frame_one(
    end: End,
    cut_last_frame: bool,
    gap: Duration,
) -> Result<StreamEvent, StreamError> {
    let mut events =
        events_from(Router::new().route("/", post(frames_then(end, cut_last_frame, gap)))).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[0],
        Ok(StreamEvent::AssistantResponse {
            content: "one".into()
        })
    );
    events.remove(1)
}

#[tokio::test]
async fn connection_dropped_mid_frame() {
    let second = after_frame_one(End::Abort, true, Duration::from_millis(50)).await;
    assert!(
        matches!(second, Err(StreamError::Transport(_))),
        "{second:?}"
    );
}

#[tokio::test]
async fn clean_eof_mid_frame_is_a_truncation() {
    let second = after_frame_one(End::Clean, true, Duration::ZERO).await;
    assert!(
        matches!(
            second,
            Err(StreamError::Decode(DecodeError::Truncated { .. }))
        ),
        "{second:?}"
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
    let slow_headers = late("/", Duration::from_secs(3));
    // Headers at once, first body bytes never.
    let slow_body = Router::new().route(
        "/",
        post(|| async { Response::new(paced_body(vec![], Duration::ZERO, End::Hang)) }),
    );
    for router in [slow_headers, slow_body] {
        let started = std::time::Instant::now();
        let err = chat_against(router).await.unwrap_err();
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
    let second = after_frame_one(End::Hang, false, Duration::from_secs(5)).await;
    assert_eq!(
        second,
        Err(StreamError::IdleTimeout(Duration::from_millis(300)))
    );
}

#[tokio::test]
async fn slow_but_steady_frames_do_not_trip_the_idle_timeout() {
    // 100 ms between frames < 300 ms idle timeout (margin for a loaded machine).
    let second = after_frame_one(End::Clean, false, Duration::from_millis(100)).await;
    assert_eq!(
        second,
        Ok(StreamEvent::AssistantResponse {
            content: "two".into()
        })
    );
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
