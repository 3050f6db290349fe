//! Turning an open upstream [`Feed`] into the client's answer: an SSE stream or one JSON body
//! (client doc §1.4/§1.5, §2.4/§2.5; issue 10 "Streaming behaviour").
//!
//! - **Commit point.** Nothing is sent until the upstream answered (the pool returned) and either
//!   the state machine produced its first output or one keep-alive interval passed. An error that
//!   arrives before that (e.g. an in-stream context-overflow exception) still gets a proper HTTP
//!   status; after it, errors go in-band (Anthropic `event: error`, OpenAI `data: {"error":…}`).
//! - **Keep-alive.** During upstream silence longer than `stream.keepalive_ms`: Anthropic
//!   `event: ping`, OpenAI an SSE comment (both SDKs skip it).
//! - **Disconnect.** The body owns the feed; dropping it cancels the upstream (see `upstream.rs`).
//! - **Early end.** When the state machine finishes (stop sequence, output limit), the feed is
//!   dropped at once, which cancels the rest of the upstream answer.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use tokio::time::Instant;
use tokio_util::sync::DropGuard;
use translate::collect::Collector;
use translate::ir::{OutEvent, StreamError};
use translate::sse::{AnthropicSse, OpenAiSse, ResponsesSse};
use translate::stream::StreamMachine;

use super::error::ApiError;
use super::record::Record;
use super::upstream::{Feed, outcome_of};
use crate::api::dialect_error::Dialect;
use crate::pool::Outcome;

/// The dialect's SSE encoder.
#[derive(Debug)]
pub enum Encoder {
    Anthropic(AnthropicSse),
    OpenAi(OpenAiSse),
    /// Boxed: it carries the whole response object it builds.
    Responses(Box<ResponsesSse>),
}

impl Encoder {
    pub(crate) fn start(&mut self, out: &mut Vec<u8>) {
        match self {
            Self::Anthropic(e) => e.start_into(out),
            Self::OpenAi(e) => e.start_into(out),
            Self::Responses(e) => e.start_into(out),
        }
    }

    pub(crate) fn encode(&mut self, outs: &[OutEvent], out: &mut Vec<u8>) {
        for ev in outs {
            match self {
                Self::Anthropic(e) => e.encode_into(ev, out),
                Self::OpenAi(e) => e.encode_into(ev, out),
                Self::Responses(e) => e.encode_into(ev, out),
            }
        }
    }

    pub(crate) fn keep_alive(&self, out: &mut Vec<u8>) {
        match self {
            Self::Anthropic(_) => AnthropicSse::ping_into(out),
            Self::OpenAi(_) => OpenAiSse::keep_alive_into(out),
            Self::Responses(_) => ResponsesSse::keep_alive_into(out),
        }
    }
}

/// Work that must finish before the last bytes of a stream leave: the Responses API stores the
/// answer here, so a follow-up naming it (`previous_response_id`) cannot arrive before it exists.
pub struct OnEnd(EndFn);

type EndFn = Box<dyn FnOnce(&Encoder) -> BoxFuture<'static, ()> + Send>;

impl OnEnd {
    pub fn new(f: impl FnOnce(&Encoder) -> BoxFuture<'static, ()> + Send + 'static) -> Self {
        Self(Box::new(f))
    }

    /// Runs the work for the finished `encoder`.
    pub(crate) fn run(self, encoder: &Encoder) -> BoxFuture<'static, ()> {
        (self.0)(encoder)
    }
}

impl std::fmt::Debug for OnEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnEnd")
    }
}

/// What the body loop waits for next.
enum Step {
    /// An upstream event (`None`: clean end).
    Item(Option<super::upstream::Item>),
    /// The keep-alive timer fired.
    Tick,
}

/// Everything the answer needs besides the feed.
#[derive(Debug)]
pub struct Answer {
    pub dialect: Dialect,
    pub machine: StreamMachine,
    pub record: Record,
    pub input_tokens: u32,
    /// The model's prompt limit (for a prompt-too-long error before the first byte).
    pub input_limit: u32,
    pub keepalive: Duration,
    /// Cancels the pool request when the answer is dropped.
    pub cancel: DropGuard,
    /// Runs once the turn is over, before its last bytes are sent (streams only).
    pub on_end: Option<OnEnd>,
}

impl Answer {
    pub(crate) fn prompt(&self) -> super::error::PromptSize {
        super::error::PromptSize {
            tokens: self.input_tokens,
            limit: self.input_limit,
        }
    }
}

/// What the first events decided.
enum Start {
    /// Outputs to send after the stream header (possibly none yet).
    Commit(Vec<OutEvent>),
    /// The answer failed before any byte left.
    Fail(StreamError),
}

fn apply(machine: &mut StreamMachine, item: Option<super::upstream::Item>) -> Vec<OutEvent> {
    let mut outs = Vec::new();
    apply_into(machine, item, &mut outs);
    outs
}

/// [`apply`], appending to a list the stream reuses for every event.
pub(crate) fn apply_into(
    machine: &mut StreamMachine,
    item: Option<super::upstream::Item>,
    outs: &mut Vec<OutEvent>,
) {
    match item {
        Some(Ok(ev)) => machine.push_into(&ev, outs),
        Some(Err(e)) => outs.extend(machine.fail(e)),
        None => outs.extend(machine.finish()),
    }
}

/// Reads until the machine has output or `wait` passed without any.
async fn first_outputs(feed: &mut Feed, machine: &mut StreamMachine, wait: Duration) -> Start {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let Ok(item) = tokio::time::timeout_at(deadline, feed.recv()).await else {
            return Start::Commit(Vec::new());
        };
        let outs = apply(machine, item);
        if let Some(OutEvent::Error(e)) = outs.first() {
            return Start::Fail(e.clone());
        }
        if !outs.is_empty() || machine.is_finished() {
            return Start::Commit(outs);
        }
    }
}

/// Notes usage and the end of the turn in the record and the feed's verdict; returns the error
/// class of an in-band error.
pub(crate) fn observe(
    outs: &[OutEvent],
    record: &mut Record,
    feed: &mut Feed,
) -> Option<&'static str> {
    for ev in outs {
        match ev {
            OutEvent::Finish { usage, .. } => {
                record.usage = *usage;
                feed.verdict(Outcome::Success);
            }
            OutEvent::Error(e) => {
                feed.verdict(outcome_of(e));
                return Some(e.label());
            }
            _ => {}
        }
    }
    None
}

/// Streams the answer as SSE.
pub async fn stream(
    mut feed: Feed,
    mut answer: Answer,
    mut encoder: Encoder,
) -> Result<Response, (ApiError, Answer)> {
    let outs = match first_outputs(&mut feed, &mut answer.machine, answer.keepalive).await {
        Start::Fail(e) => {
            feed.verdict(outcome_of(&e));
            let err = ApiError::from_stream(&e, answer.dialect, answer.prompt());
            return Err((err, answer));
        }
        Start::Commit(outs) => outs,
    };
    let label = feed.account_label.clone();
    let mut head = Vec::new();
    encoder.start(&mut head);
    encoder.encode(&outs, &mut head);
    let mut in_band = observe(&outs, &mut answer.record, &mut feed);
    answer.record.sent(&head);
    answer.record.first_byte();
    let body = async_stream::stream! {
        let Answer { mut machine, mut record, keepalive, cancel, mut on_end, .. } = answer;
        if machine.is_finished() && let Some(OnEnd(f)) = on_end.take() {
            f(&encoder).await;
        }
        yield Ok::<Bytes, Infallible>(Bytes::from(head));
        // One buffer and one event list for the whole stream: each chunk is copied out once, at
        // its exact size.
        let mut buf = Vec::new();
        let mut outs = Vec::new();
        // One keep-alive timer for the whole stream, moved only when it fires early (a lazy
        // deadline): arming a fresh timer per upstream event cost a timer-wheel insert and removal
        // per frame (issue 11 S2). The ping is due `keepalive` after the last upstream event.
        let mut last_event = Instant::now();
        let timer = tokio::time::sleep_until(last_event + keepalive);
        tokio::pin!(timer);
        while !machine.is_finished() {
            let step = tokio::select! {
                biased;
                item = feed.recv() => Step::Item(item),
                () = &mut timer => Step::Tick,
            };
            let item = match step {
                Step::Item(item) => item,
                Step::Tick => {
                    let now = Instant::now();
                    let due = last_event + keepalive;
                    if now < due {
                        timer.as_mut().reset(due);
                        continue;
                    }
                    last_event = now;
                    timer.as_mut().reset(now + keepalive);
                    encoder.keep_alive(&mut buf);
                    yield Ok(Bytes::copy_from_slice(&buf));
                    buf.clear();
                    continue;
                }
            };
            last_event = Instant::now();
            apply_into(&mut machine, item, &mut outs);
            if let Some(class) = observe(&outs, &mut record, &mut feed) {
                in_band = Some(class);
            }
            encoder.encode(&outs, &mut buf);
            outs.clear();
            if machine.is_finished() && let Some(OnEnd(f)) = on_end.take() {
                f(&encoder).await;
            }
            if !buf.is_empty() {
                record.sent(&buf);
                yield Ok(Bytes::copy_from_slice(&buf));
                buf.clear();
            }
        }
        // Stop sequence / output limit may end the turn before the upstream did: cancel it now.
        drop(feed);
        drop(cancel);
        record.finish(200, in_band);
    };
    Ok(event_stream(body, &label))
}

/// Collects the whole answer into one JSON body (`render` builds the dialect's body, serialized
/// straight to bytes: no `serde_json::Value` tree in between).
pub async fn collect<B: serde::Serialize>(
    mut feed: Feed,
    mut answer: Answer,
    render: impl FnOnce(&translate::collect::Collected) -> B,
) -> Result<Response, (ApiError, Answer)> {
    let mut collector = Collector::default();
    while !answer.machine.is_finished() {
        let item = feed.recv().await;
        let outs = apply(&mut answer.machine, item);
        observe(&outs, &mut answer.record, &mut feed);
        collector.extend(outs);
    }
    let label = feed.account_label.clone();
    drop(feed);
    match collector.finish() {
        Ok(collected) => json_reply(answer, &render(&collected), &label),
        Err(e) => {
            let err = ApiError::from_stream(&e, answer.dialect, answer.prompt());
            Err((err, answer))
        }
    }
}

/// A collected answer as one `200 application/json` response: serialized straight to bytes,
/// recorded as sent, marked with the serving account.
#[expect(
    clippy::result_large_err,
    reason = "the same (error, answer) pair `collect` returns: the caller records the failure on the answer"
)]
pub fn json_reply<B: serde::Serialize>(
    mut answer: Answer,
    body: &B,
    label: &str,
) -> Result<Response, (ApiError, Answer)> {
    let bytes = match serde_json::to_vec(body) {
        Ok(b) => b,
        Err(e) => {
            let err = ApiError::internal(&format!("serializing the answer: {e}"));
            return Err((err, answer));
        }
    };
    answer.record.sent(&bytes);
    answer.record.first_byte();
    answer.record.finish(200, None);
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response();
    set_account(&mut response, label);
    Ok(response)
}

/// A streamed answer's response: `body` as `text/event-stream`, uncached and unbuffered by
/// proxies (`x-accel-buffering: no`), naming the account that serves it.
pub fn event_stream<S>(body: S, label: &str) -> Response
where
    S: futures_util::Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
{
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    set_account(&mut response, label);
    response
}

/// `x-claude-api-account`: the account that served the request (the console's chat tester).
pub fn set_account(response: &mut Response, label: &str) {
    if let Ok(v) = HeaderValue::from_str(label) {
        response.headers_mut().insert("x-claude-api-account", v);
    }
}
