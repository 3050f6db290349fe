//! One failure taxonomy on `/v1` (issue 19 item 3): an upstream failure has one
//! `amazonq::error::ErrorClass` however it arrives — as an HTTP answer (§5.1), as the first frame
//! of the event stream, or after output (§5.3) — and so one answer and one pool action.
//!
//! Every documented reason (amazon-q-protocol.md §5.1 reason enums, kiro-2026-endpoints.md §8) is
//! sent by the simulator as an in-stream exception (`#exception <Type> <REASON>`) first and after
//! a partial answer, and where §5.1 has an HTTP row, as that HTTP answer. Each arrival runs on a
//! fresh gateway with one account and records what the client saw (status and Anthropic
//! `error.type`, or the in-band `error` event when streaming) and what the pool did to the
//! account (its status, and the answer to the next request: served, held back, out of quota, no
//! account). All arrivals of a reason must agree, and agree with the class's documented answer.

use std::time::Duration;

use crate::common::v1::Harness;
use serde_json::{Value, json};

/// Long pauses and a short queue wait: an account the pool held back is refused at once.
const POOL: &str = "pool:\n  queue_timeout_ms: 300\n  transient_pause_ms: 60000\n  \
                    cooldown_base_ms: 60000\n  cooldown_max_ms: 120000\n";

/// How the failure reaches the gateway.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// The §5.1 HTTP answer (simulator fault row).
    Http(&'static str),
    /// The exception is the stream's first frame (nothing was sent to the client yet).
    FirstFrame,
    /// The exception follows a partial answer; non-stream request.
    MidStream,
    /// The exception follows a partial answer; streaming request (already answered 200).
    MidStreamSse,
}

/// What the client saw and what the pool did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// HTTP status of the failed request (`None` for an answer already streaming).
    status: Option<u16>,
    /// Anthropic `error.type`, of the body or of the in-band `error` event.
    error_type: String,
    /// The account's status afterwards (admin API).
    account: String,
    /// Status of the next request (`#say ok`): 200 served, 529 held back, 429 out of quota,
    /// 503 no usable account.
    next: u16,
}

fn chat(prompt: &str, stream: bool) -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": stream,
           "messages": [{"role": "user", "content": prompt}]})
}

/// The account's status once the pool has heard how the turn ended (a mid-stream outcome is
/// reported on a tracked task after the answer: wait for the lease to go, then for the store).
async fn account_after(h: &Harness) -> String {
    let token = h.admin_token().await;
    let mut last = Value::Null;
    for _ in 0..100 {
        let (_, v) = h.get(&token, "/v2/accounts/a1").await;
        if v["inflight"] == 0 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let (_, v) = h.get(&token, "/v2/accounts/a1").await;
            return v["status"].as_str().unwrap_or_default().to_owned();
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the account's lease was never released: {last}");
}

async fn run(directive: &str, arrival: Arrival) -> Seen {
    let h = Harness::with(&["a1"], POOL).await;
    let partial = format!("#say partial answer\n{directive}");
    let (status, error_type) = match arrival {
        Arrival::Http(fault) => {
            h.fault_chats(fault, 1);
            http_error(&h, "#say never shown").await
        }
        Arrival::FirstFrame => http_error(&h, directive).await,
        Arrival::MidStream => http_error(&h, &partial).await,
        Arrival::MidStreamSse => {
            let s = h.sse("/v1/messages", &chat(&partial, true)).await;
            assert_eq!(s.status, 200, "{}", s.raw);
            let errors = s.named("error");
            assert_eq!(errors.len(), 1, "one in-band error: {}", s.raw);
            (
                None,
                errors[0]["error"]["type"].as_str().unwrap().to_owned(),
            )
        }
    };
    let account = account_after(&h).await;
    let (next, _, _) = h.json("/v1/messages", &chat("#say ok", false)).await;
    h.stop().await;
    Seen {
        status,
        error_type,
        account,
        next,
    }
}

/// A non-stream request that must fail: its status and Anthropic `error.type`.
async fn http_error(h: &Harness, prompt: &str) -> (Option<u16>, String) {
    let (status, _, v) = h.json("/v1/messages", &chat(prompt, false)).await;
    assert!(status >= 400, "{prompt:?} was answered {status}: {v}");
    assert_eq!(v["type"], "error", "{v}");
    (
        Some(status),
        v["error"]["type"].as_str().unwrap().to_owned(),
    )
}

/// Runs every arrival of `directive` (plus the HTTP row `http`, when §5.1 has one) and checks
/// that each saw `want` as it [arrives](arriving).
async fn check(directive: &str, http: Option<&'static str>, want: &Seen) {
    let mut arrivals = vec![
        Arrival::FirstFrame,
        Arrival::MidStream,
        Arrival::MidStreamSse,
    ];
    arrivals.extend(http.map(Arrival::Http));
    for arrival in arrivals {
        let seen = run(directive, arrival).await;
        assert_eq!(
            seen,
            arriving(want, arrival),
            "{directive:?} arriving as {arrival:?}"
        );
    }
}

/// `want` as seen when the failure arrives as `arrival`: an answer already streaming has no
/// status of its own.
fn arriving(want: &Seen, arrival: Arrival) -> Seen {
    match arrival {
        Arrival::MidStreamSse => Seen {
            status: None,
            ..want.clone()
        },
        _ => want.clone(),
    }
}

fn seen(status: u16, error_type: &str, account: &str, next: u16) -> Seen {
    Seen {
        status: Some(status),
        error_type: error_type.to_owned(),
        account: account.to_owned(),
        next,
    }
}

/// Bug named in issue 19: `INSUFFICIENT_MODEL_CAPACITY` was "model unavailable" as the first
/// frame but "throttled" (429, account cooling down) mid-stream. It is the model, not the account:
/// 529 overloaded, the account only paused, whenever it arrives.
#[tokio::test]
async fn insufficient_model_capacity_is_the_model_unavailable_first_frame_and_mid_stream() {
    let want = seen(529, "overloaded_error", "active", 529);
    check(
        "#exception ThrottlingException INSUFFICIENT_MODEL_CAPACITY",
        Some("capacity"),
        &want,
    )
    .await;
    check(
        "#exception InternalServerException MODEL_TEMPORARILY_UNAVAILABLE",
        None,
        &want,
    )
    .await;
    check("#model-unavailable", None, &want).await;
}

/// Bug named in issue 19: an in-stream `MONTHLY_REQUEST_COUNT` was a transient error, so the
/// account was not marked exhausted. It is out of quota whatever carries it (Kiro 402, Q 429,
/// either exception type, first frame or after output).
#[tokio::test]
async fn mid_stream_monthly_request_count_marks_the_account_exhausted() {
    let want = seen(429, "rate_limit_error", "exhausted", 429);
    check(
        "#exception ThrottlingException MONTHLY_REQUEST_COUNT",
        Some("monthly-quota"),
        &want,
    )
    .await;
    check(
        "#exception ServiceQuotaExceededException MONTHLY_REQUEST_COUNT",
        None,
        &want,
    )
    .await;
    check(
        "#exception ServiceQuotaExceededException OVERAGE_REQUEST_LIMIT_EXCEEDED",
        None,
        &want,
    )
    .await;
    check(
        "#exception ThrottlingException DAILY_REQUEST_COUNT",
        Some("daily-quota"),
        &want,
    )
    .await;
}

/// Throttling: 429 with the account cooling down (the next request is held back).
#[tokio::test]
async fn throttling_cools_the_account_down() {
    let want = seen(429, "rate_limit_error", "cooling_down", 529);
    check(
        "#exception ThrottlingException USER_REQUEST_RATE_EXCEEDED",
        Some("rate-exceeded"),
        &want,
    )
    .await;
    // A throttling exception with a reason this build does not know is still throttling.
    check("#exception ThrottlingException SOMETHING_NEW", None, &want).await;
}

/// Account problems: suspension bans the account; plan/feature refusals pause it. The client gets
/// 503 (no account could serve), never a client error.
#[tokio::test]
async fn account_refusals_ban_or_pause_the_account() {
    check(
        "#exception AccessDeniedException TEMPORARILY_SUSPENDED",
        Some("suspended"),
        &seen(503, "api_error", "banned", 503),
    )
    .await;
    for reason in [
        "FEATURE_NOT_SUPPORTED",
        "UNAUTHORIZED_CUSTOMIZATION_RESOURCE_ACCESS",
        "UNAUTHORIZED_WORKSPACE_CONTEXT_FEATURE_ACCESS",
    ] {
        check(
            &format!("#exception AccessDeniedException {reason}"),
            None,
            &seen(503, "api_error", "cooling_down", 529),
        )
        .await;
    }
}

/// Server-side trouble (the service model's streamed `error` exception, an unknown exception
/// type, a `:message-type error` frame): 503, the account paused briefly, not blamed otherwise.
#[tokio::test]
async fn server_side_exceptions_are_transient() {
    let want = seen(503, "api_error", "active", 529);
    check("#exception error SOMETHING_NEW", Some("internal"), &want).await;
    check(
        "#exception InternalServerException SOMETHING_NEW",
        None,
        &want,
    )
    .await;
    // `:message-type error` (`:error-code InternalFailure`): first frame, and after everything.
    for (arrival, directive) in [
        (Arrival::FirstFrame, "#fault error-frame:0"),
        (Arrival::MidStream, "#fault error-frame:99"),
        (Arrival::MidStreamSse, "#fault error-frame:99"),
    ] {
        let seen = run(directive, arrival).await;
        assert_eq!(seen, arriving(&want, arrival), "error frame as {arrival:?}");
    }
}

/// Requests the upstream refuses as such: a client error, no retry elsewhere, the account
/// untouched.
#[tokio::test]
async fn request_refusals_leave_the_account_alone() {
    let want = seen(400, "invalid_request_error", "active", 200);
    check(
        "#exception ValidationException CONTENT_LENGTH_EXCEEDS_THRESHOLD",
        Some("input-too-long"),
        &want,
    )
    .await;
    // (Its HTTP answer sends the request to the next model of the family instead:
    // `v1_model_fallback`.)
    check(
        "#exception ValidationException INVALID_MODEL_ID",
        None,
        &want,
    )
    .await;
    for directive in [
        "#exception ValidationException INVALID_CONVERSATION_ID",
        "#exception ValidationException INVALID_KMS_GRANT",
        "#exception ValidationException REQUEST_BODY_INVALID",
        "#exception ServiceQuotaExceededException CONVERSATION_LIMIT_EXCEEDED",
        "#exception ConflictException CUSTOMER_KMS_KEY_DISABLED",
        "#exception ConflictException MISMATCHED_KMS_KEY",
    ] {
        check(directive, None, &want).await;
    }
    check(
        "#exception ValidationException SOMETHING_NEW",
        Some("unknown-reason"),
        &want,
    )
    .await;
}
