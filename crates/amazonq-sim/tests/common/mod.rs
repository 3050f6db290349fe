//! Shared helpers for the simulator's integration tests: a started simulator, an HTTP client,
//! request bodies and an independent event-stream decoder (`aws-smithy-eventstream`).
#![allow(dead_code, reason = "each module uses a subset")]

use amazonq_sim::{AccountSpec, AccountTokens, SimConfig, SimHandle, Simulator};
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{BufMut, BytesMut};
use serde_json::{Value, json};

pub const Q_TARGET: &str = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse";

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// `GET url` answered 200 with a JSON body.
pub async fn get_json(c: &reqwest::Client, url: &str) -> Value {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

pub async fn start(config: SimConfig) -> SimHandle {
    Simulator::start(config).await.unwrap()
}

/// The spec of a Builder ID account `id` with default settings; tests set other fields with
/// `AccountSpec { field, ..account(id) }`.
pub fn account(id: &str) -> AccountSpec {
    AccountSpec {
        id: id.into(),
        ..AccountSpec::default()
    }
}

/// [`account`] `id` with `set` applied: the way to give it one of its terms, e.g.
/// `account_with(id, |a| a.limits.monthly_limit = Some(1))`.
pub fn account_with(id: &str, set: impl FnOnce(&mut AccountSpec)) -> AccountSpec {
    let mut spec = account(id);
    set(&mut spec);
    spec
}

/// A simulator with one Builder ID account `a1`.
pub async fn start_with_account() -> (SimHandle, AccountTokens) {
    let sim = start(SimConfig::default()).await;
    let t = sim.add_account(&account("a1"));
    (sim, t)
}

/// A minimal valid body whose current message says `text`.
pub fn body(text: &str) -> Value {
    json!({"conversationState": {
        "conversationId": "conv-1",
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {"content": text, "origin": "CLI", "modelId": "claude-sonnet-4.5"}}
    }})
}

/// `POST /` in dialect Q (the CLI style), on the legacy `q.*` listener.
pub async fn chat_q(
    c: &reqwest::Client,
    sim: &SimHandle,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    send_chat(
        chat_request(c, &sim.legacy_q_url(), Style::Cli),
        token,
        body,
    )
    .await
}

/// `POST /generateAssistantResponse` in dialect K (the REST style), on the legacy `q.*` listener.
pub async fn chat_k(
    c: &reqwest::Client,
    sim: &SimHandle,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    send_chat(
        chat_request(c, &sim.legacy_q_url(), Style::Rest),
        token,
        body,
    )
    .await
}

/// A chat request `req` (URL and style headers set) sent with `token` and `body`.
async fn send_chat(req: reqwest::RequestBuilder, token: &str, body: &Value) -> reqwest::Response {
    req.header("authorization", format!("Bearer {token}"))
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// The three request styles the runtime host accepts (kiro-2026-endpoints.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `POST /`, `x-amz-target: AmazonCodeWhispererStreamingService.GenerateAssistantResponse`.
    Cli,
    /// `POST /`, `x-amz-target: KiroRuntimeService.GenerateAssistantResponse`.
    Ide,
    /// `POST /generateAssistantResponse`, `application/json`.
    Rest,
}

pub const STYLES: [Style; 3] = [Style::Cli, Style::Ide, Style::Rest];

/// A chat on the main listener (runtime host by default) in one of its styles.
pub async fn chat_rt(
    c: &reqwest::Client,
    sim: &SimHandle,
    style: Style,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    send_chat(chat_request(c, &sim.base_url(), style), token, body).await
}

/// A chat request in `style` to the listener at `base`, URL and style headers set.
fn chat_request(c: &reqwest::Client, base: &str, style: Style) -> reqwest::RequestBuilder {
    match style {
        Style::Cli | Style::Ide => c
            .post(format!("{base}/"))
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "x-amz-target",
                if style == Style::Cli {
                    Q_TARGET
                } else {
                    "KiroRuntimeService.GenerateAssistantResponse"
                },
            ),
        Style::Rest => c
            .post(format!("{base}/generateAssistantResponse"))
            .header("content-type", "application/json"),
    }
}

/// Status of a [`chat_rt`].
pub async fn rt_status(
    c: &reqwest::Client,
    sim: &SimHandle,
    style: Style,
    token: &str,
    body: &Value,
) -> u16 {
    chat_rt(c, sim, style, token, body).await.status().as_u16()
}

/// [`body`] with a root `profileArn`.
pub fn body_arn(text: &str, arn: &str) -> Value {
    let mut b = body(text);
    b["profileArn"] = json!(arn);
    b
}

/// Decodes a whole body with aws-smithy-eventstream, feeding it `chunk` bytes at a time.
pub fn decode(bytes: &[u8], chunk: usize) -> Result<Vec<Message>, String> {
    let mut dec = MessageFrameDecoder::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk.max(1)) {
        buf.put_slice(piece);
        while let DecodedFrame::Complete(m) =
            dec.decode_frame(&mut buf).map_err(|e| format!("{e:?}"))?
        {
            out.push(m);
        }
    }
    if !buf.is_empty() {
        return Err(format!("{} trailing bytes", buf.len()));
    }
    Ok(out)
}

pub fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

pub fn event_type(m: &Message) -> String {
    header(m, ":event-type")
        .or_else(|| header(m, ":exception-type"))
        .unwrap_or("")
        .to_owned()
}

pub fn payload(m: &Message) -> Value {
    serde_json::from_slice(m.payload()).unwrap_or(Value::Null)
}

/// Concatenated `assistantResponseEvent` text.
pub fn text_of(msgs: &[Message]) -> String {
    msgs.iter()
        .filter(|m| event_type(m) == "assistantResponseEvent")
        .filter_map(|m| {
            payload(m)
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// Status of a dialect-Q chat ([`chat_q`]) whose current message says `text`.
pub async fn q_status(c: &reqwest::Client, sim: &SimHandle, token: &str, text: &str) -> u16 {
    chat_q(c, sim, token, &body(text)).await.status().as_u16()
}

/// Status of a dialect-K chat ([`chat_k`]) whose current message says `text`.
pub async fn k_status(c: &reqwest::Client, sim: &SimHandle, token: &str, text: &str) -> u16 {
    chat_k(c, sim, token, &body(text)).await.status().as_u16()
}

/// The body of a chat answer, which must be a 200 event stream.
pub async fn bytes_of(r: reqwest::Response) -> Vec<u8> {
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.amazon.eventstream"
    );
    r.bytes().await.unwrap().to_vec()
}

/// The events of a dialect-Q chat whose current message says `text`: a 200 event stream
/// ([`bytes_of`]) that decodes ([`decode`], 4096 bytes at a time) with nothing left over.
pub async fn q_events(
    c: &reqwest::Client,
    sim: &SimHandle,
    token: &str,
    text: &str,
) -> Vec<Message> {
    decode(
        &bytes_of(chat_q(c, sim, token, &body(text)).await).await,
        4096,
    )
    .unwrap()
}

/// Stream faults that break the framing itself: no decoder may accept what they send.
pub const CORRUPT_FRAMING: [&str; 6] = [
    "corrupt-prelude-crc:2",
    "corrupt-message-crc:2",
    "corrupt-payload:2",
    "bogus-length:small",
    "bogus-length:huge",
    "bogus-length:headers",
];
