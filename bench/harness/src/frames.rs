//! Frame parsers for the three stream shapes the benchmark reads, and what one stream observed.
//!
//! * Amazon Q event stream (amazon-q-protocol.md §5.2) on the direct and B0 legs: prelude, headers,
//!   JSON payload, CRC. `assistantResponseEvent` is a text frame, `toolUseEvent` a tool fragment.
//! * OpenAI `chat.completion.chunk` SSE: `delta.content` and `delta.tool_calls[].function.arguments`.
//! * Anthropic Messages SSE: `content_block_delta` with `text_delta`, `thinking_delta` or
//!   `input_json_delta`.
//!
//! A "frame" is one piece of generated content (a text delta or a tool-argument fragment): lost
//! frames, gaps and time to first token are all counted on those. Pure code: bytes and instants in,
//! observations out.

use std::time::Instant;

use serde_json::Value;

/// Which stream shape a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Amazon Q binary event stream.
    Eventstream,
    /// OpenAI Chat Completions SSE.
    Openai,
    /// Anthropic Messages SSE.
    Anthropic,
    /// Any body; only its size and the status are checked (non-stream requests).
    Plain,
}

/// What one response delivered.
#[derive(Debug, Default)]
pub struct Observed {
    /// Content frames (text deltas and tool-argument fragments).
    pub frames: u64,
    pub text: Vec<u8>,
    pub first_frame: Option<Instant>,
    pub last_frame: Option<Instant>,
    /// Gaps between consecutive content frames, µs.
    pub gaps_us: Vec<u64>,
    /// Tool calls in arrival order: (id or index, reassembled arguments).
    pub tools: Vec<(String, String)>,
    /// The protocol's end marker was seen (`[DONE]`, `message_stop`); event streams end at EOF.
    pub done: bool,
    /// Error events or unparseable frames.
    pub errors: u64,
    pub body_bytes: u64,
}

impl Observed {
    fn frame(&mut self, at: Instant) {
        if let Some(prev) = self.last_frame {
            self.gaps_us
                .push(u64::try_from(at.duration_since(prev).as_micros()).unwrap_or(u64::MAX));
        }
        self.first_frame.get_or_insert(at);
        self.last_frame = Some(at);
        self.frames += 1;
    }

    fn text(&mut self, s: &str, at: Instant) {
        if !s.is_empty() {
            self.text.extend_from_slice(s.as_bytes());
            self.frame(at);
        }
    }

    fn tool(&mut self, key: &str, args: &str, at: Instant) {
        match self.tools.iter_mut().find(|(k, _)| k == key) {
            Some((_, a)) => a.push_str(args),
            None => self.tools.push((key.to_owned(), args.to_owned())),
        }
        if !args.is_empty() {
            self.frame(at);
        }
    }
}

/// Incremental parser for one response body.
#[derive(Debug)]
pub struct Parser {
    proto: Protocol,
    buf: Vec<u8>,
}

impl Parser {
    pub fn new(proto: Protocol) -> Self {
        Self {
            proto,
            buf: Vec::new(),
        }
    }

    /// Feeds body bytes that arrived at `at`.
    pub fn push(&mut self, data: &[u8], at: Instant, obs: &mut Observed) {
        obs.body_bytes += data.len() as u64;
        match self.proto {
            Protocol::Plain => {}
            Protocol::Eventstream => {
                self.buf.extend_from_slice(data);
                self.eventstream(at, obs);
            }
            Protocol::Openai | Protocol::Anthropic => {
                // A raw CR only ever ends a line in SSE (JSON escapes it inside strings).
                self.buf
                    .extend(data.iter().copied().filter(|&b| b != b'\r'));
                self.sse(at, obs);
            }
        }
    }

    fn eventstream(&mut self, at: Instant, obs: &mut Observed) {
        let mut pos = 0;
        while self.buf.len() - pos >= 12 {
            let b = &self.buf[pos..];
            let total = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            let headers_len = u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize;
            if total < 16 + headers_len {
                // Unrecoverable framing error: count it and drop the rest.
                obs.errors += 1;
                pos = self.buf.len();
                break;
            }
            if b.len() < total {
                break;
            }
            let headers = parse_headers(&b[12..12 + headers_len]);
            let payload = &b[12 + headers_len..total - 4];
            let message_type = headers.message_type.unwrap_or("");
            if message_type == "event" {
                match headers.event_type.unwrap_or("") {
                    "assistantResponseEvent" => match serde_json::from_slice::<Value>(payload) {
                        Ok(v) => obs.text(v["content"].as_str().unwrap_or(""), at),
                        Err(_) => obs.errors += 1,
                    },
                    "toolUseEvent" => match serde_json::from_slice::<Value>(payload) {
                        Ok(v) => obs.tool(
                            v["toolUseId"].as_str().unwrap_or(""),
                            v["input"].as_str().unwrap_or(""),
                            at,
                        ),
                        Err(_) => obs.errors += 1,
                    },
                    _ => {}
                }
            } else {
                obs.errors += 1;
            }
            pos += total;
        }
        self.buf.drain(..pos);
    }

    fn sse(&mut self, at: Instant, obs: &mut Observed) {
        let mut pos = 0;
        while let Some(end) = self.buf[pos..].windows(2).position(|w| w == b"\n\n") {
            let block = &self.buf[pos..pos + end];
            pos += end + 2;
            let mut data = Vec::new();
            for line in block.split(|&b| b == b'\n') {
                if let Some(d) = line.strip_prefix(b"data:") {
                    if !data.is_empty() {
                        data.push(b'\n');
                    }
                    data.extend_from_slice(d.strip_prefix(b" ").unwrap_or(d));
                }
            }
            if data.is_empty() {
                continue;
            }
            if data == b"[DONE]" {
                obs.done = true;
                continue;
            }
            let Ok(v) = serde_json::from_slice::<Value>(&data) else {
                obs.errors += 1;
                continue;
            };
            match self.proto {
                Protocol::Openai => openai_event(&v, at, obs),
                _ => anthropic_event(&v, at, obs),
            }
        }
        self.buf.drain(..pos);
    }
}

fn openai_event(v: &Value, at: Instant, obs: &mut Observed) {
    if v.get("error").is_some() {
        obs.errors += 1;
        return;
    }
    let delta = &v["choices"][0]["delta"];
    if let Some(s) = delta["content"].as_str() {
        obs.text(s, at);
    }
    if let Some(s) = delta["reasoning_content"].as_str() {
        obs.text(s, at);
    }
    if let Some(calls) = delta["tool_calls"].as_array() {
        for c in calls {
            let key = c["index"].as_u64().unwrap_or(0).to_string();
            obs.tool(&key, c["function"]["arguments"].as_str().unwrap_or(""), at);
        }
    }
}

fn anthropic_event(v: &Value, at: Instant, obs: &mut Observed) {
    match v["type"].as_str().unwrap_or("") {
        "content_block_delta" => {
            let d = &v["delta"];
            match d["type"].as_str().unwrap_or("") {
                "text_delta" => obs.text(d["text"].as_str().unwrap_or(""), at),
                "thinking_delta" => obs.text(d["thinking"].as_str().unwrap_or(""), at),
                "input_json_delta" => {
                    let key = v["index"].as_u64().unwrap_or(0).to_string();
                    obs.tool(&key, d["partial_json"].as_str().unwrap_or(""), at);
                }
                _ => {}
            }
        }
        "message_stop" => obs.done = true,
        "error" => obs.errors += 1,
        _ => {}
    }
}

#[derive(Debug, Default)]
struct Headers<'a> {
    message_type: Option<&'a str>,
    event_type: Option<&'a str>,
}

/// Reads the string headers the driver needs and skips every other value type (§5.2 table).
fn parse_headers(mut b: &[u8]) -> Headers<'_> {
    let mut h = Headers::default();
    while let Some((&name_len, rest)) = b.split_first() {
        let name_len = usize::from(name_len);
        if rest.len() < name_len + 1 {
            break;
        }
        let name = &rest[..name_len];
        let ty = rest[name_len];
        let rest = &rest[name_len + 1..];
        let (value, rest) = match ty {
            0 | 1 => (&rest[..0], rest),
            2 => rest.split_at_checked(1).unwrap_or((&[], &[])),
            3 => rest.split_at_checked(2).unwrap_or((&[], &[])),
            4 => rest.split_at_checked(4).unwrap_or((&[], &[])),
            5 | 8 => rest.split_at_checked(8).unwrap_or((&[], &[])),
            9 => rest.split_at_checked(16).unwrap_or((&[], &[])),
            6 | 7 if rest.len() >= 2 => {
                let n = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                rest[2..].split_at_checked(n).unwrap_or((&[], &[]))
            }
            _ => break,
        };
        if ty == 7 {
            let s = std::str::from_utf8(value).ok();
            match name {
                b":message-type" => h.message_type = s,
                b":event-type" => h.event_type = s,
                _ => {}
            }
        }
        b = rest;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An event frame that also carries a string header and a bool header the parser must skip.
    fn es_frame(event: &str, payload: &str) -> Vec<u8> {
        let mut extra = Vec::new();
        crate::encode::string_header(&mut extra, ":content-type", "application/json");
        extra.extend_from_slice(b"\x01x\x00");
        crate::encode::event_frame(event, &extra, payload)
    }

    fn feed(proto: Protocol, wire: &[u8], step: usize) -> Observed {
        let mut p = Parser::new(proto);
        let mut obs = Observed::default();
        let t0 = Instant::now();
        for (i, piece) in wire.chunks(step).enumerate() {
            p.push(piece, t0 + Duration::from_millis(i as u64), &mut obs);
        }
        obs
    }

    #[test]
    fn eventstream_text_and_tool_fragments() {
        let mut wire = es_frame("assistantResponseEvent", r#"{"content":"Hel"}"#);
        wire.extend(es_frame("assistantResponseEvent", r#"{"content":"lo"}"#));
        wire.extend(es_frame(
            "toolUseEvent",
            r#"{"toolUseId":"t1","name":"f","input":"{\"a\":"}"#,
        ));
        wire.extend(es_frame(
            "toolUseEvent",
            r#"{"toolUseId":"t1","input":"1}"}"#,
        ));
        wire.extend(es_frame(
            "toolUseEvent",
            r#"{"toolUseId":"t1","stop":true}"#,
        ));
        wire.extend(es_frame("meteringEvent", r#"{"usage":1}"#));
        for step in [1, 7, wire.len()] {
            let obs = feed(Protocol::Eventstream, &wire, step);
            assert_eq!(obs.text, b"Hello");
            assert_eq!(obs.frames, 4, "step {step}");
            assert_eq!(obs.tools, vec![("t1".to_owned(), "{\"a\":1}".to_owned())]);
            assert_eq!(obs.errors, 0);
            assert_eq!(obs.gaps_us.len(), 3);
        }
    }

    #[test]
    fn openai_sse_with_tool_calls() {
        let wire = concat!(
            "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n",
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]}}]}\n\n",
            "data: [DONE]\n\n"
        );
        for step in [1, 5, wire.len()] {
            let obs = feed(Protocol::Openai, wire.as_bytes(), step);
            assert_eq!(obs.text, b"Hi");
            assert_eq!(obs.frames, 3);
            assert_eq!(obs.tools, vec![("0".to_owned(), "{\"a\":1}".to_owned())]);
            assert!(obs.done);
            assert_eq!(obs.errors, 0);
        }
    }

    #[test]
    fn anthropic_sse_with_tool_use() {
        let wire = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"p\\\":\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"x\\\"}\"}}\n\n",
            "event: error\ndata: {\"type\":\"error\"}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        );
        let obs = feed(Protocol::Anthropic, wire.as_bytes(), 3);
        assert_eq!(obs.text, b"ok");
        assert_eq!(
            obs.tools,
            vec![("1".to_owned(), "{\"p\":\"x\"}".to_owned())]
        );
        assert_eq!((obs.frames, obs.errors, obs.done), (3, 1, true));
    }

    #[test]
    fn broken_eventstream_prelude_is_an_error() {
        let obs = feed(
            Protocol::Eventstream,
            &[0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0, 0, 1],
            13,
        );
        assert_eq!(obs.errors, 1);
    }
}
