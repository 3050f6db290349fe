//! A minimal HTTP/1.1 client for the driver: one pre-encoded request, a response head parser and a
//! chunked-body decoder that hands every received piece to the caller with its arrival time.
//!
//! Why not reqwest/hyper: the driver shares a core with the simulator, so it must be cheap, and it
//! must see each body read as it arrives (the read time is the frame's timestamp). Only what the
//! benchmark needs is implemented: `Content-Length`, `chunked`, or read-to-EOF bodies.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Errors of one exchange.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("connection closed before the response ended")]
    Closed,
    #[error("malformed response: {0}")]
    Malformed(&'static str),
}

/// Encodes a POST request once; the bytes are reused for every request of a run.
pub fn encode_post(host: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The parts of a response head the driver uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub content_length: Option<usize>,
    pub chunked: bool,
    /// False when the server said `Connection: close` (or the body runs to EOF).
    pub keep_alive: bool,
}

/// Parses a complete head (everything before the blank line, without it).
pub fn parse_head(raw: &[u8]) -> Result<Head, HttpError> {
    let text = std::str::from_utf8(raw).map_err(|_| HttpError::Malformed("head is not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().ok_or(HttpError::Malformed("empty head"))?;
    let mut parts = status_line.split(' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(HttpError::Malformed("not an HTTP/1 status line"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(HttpError::Malformed("bad status code"))?;
    let mut head = Head {
        status,
        content_length: None,
        chunked: false,
        keep_alive: true,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(
                value
                    .parse()
                    .map_err(|_| HttpError::Malformed("bad content-length"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            head.keep_alive = !value.eq_ignore_ascii_case("close");
        }
    }
    if !head.chunked && head.content_length.is_none() {
        head.keep_alive = false;
    }
    Ok(head)
}

/// Incremental `Transfer-Encoding: chunked` decoder.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
    line: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Data(usize),
    DataEnd,
    Trailers,
    Done,
}

impl Chunked {
    /// Decodes `input`, appending body bytes to `out`. Returns true once the final chunk and the
    /// trailers have been read.
    pub fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<bool, HttpError> {
        while !input.is_empty() && self.state != ChunkState::Done {
            match self.state {
                ChunkState::Size | ChunkState::Trailers | ChunkState::DataEnd => {
                    let Some(nl) = input.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(input);
                        return Ok(false);
                    };
                    self.line.extend_from_slice(&input[..nl]);
                    input = &input[nl + 1..];
                    let line = std::mem::take(&mut self.line);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    self.state = match self.state {
                        ChunkState::Size => {
                            let hex = line.split(|&b| b == b';').next().unwrap_or(&[]);
                            let hex = std::str::from_utf8(hex)
                                .map_err(|_| HttpError::Malformed("chunk size"))?;
                            let n = usize::from_str_radix(hex.trim(), 16)
                                .map_err(|_| HttpError::Malformed("chunk size"))?;
                            if n == 0 {
                                ChunkState::Trailers
                            } else {
                                ChunkState::Data(n)
                            }
                        }
                        ChunkState::DataEnd if line.is_empty() => ChunkState::Size,
                        ChunkState::DataEnd => {
                            return Err(HttpError::Malformed("chunk not followed by CRLF"));
                        }
                        _ if line.is_empty() => ChunkState::Done,
                        _ => ChunkState::Trailers,
                    };
                }
                ChunkState::Data(n) => {
                    let take = n.min(input.len());
                    out.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    self.state = if take == n {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(n - take)
                    };
                }
                ChunkState::Done => {}
            }
        }
        Ok(self.state == ChunkState::Done)
    }
}

/// One keep-alive connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Self, HttpError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
        })
    }

    async fn fill(&mut self) -> Result<usize, HttpError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        Ok(self.stream.read_buf(&mut self.buf).await?)
    }

    /// Sends `request` and reads the response head. Returns the head and when the request was sent.
    pub async fn send(&mut self, request: &[u8]) -> Result<(Head, Instant), HttpError> {
        let sent = Instant::now();
        self.stream.write_all(request).await?;
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = parse_head(&self.buf[..end])?;
                self.buf.advance(end + 4);
                // 1xx heads (100 Continue) are skipped; the real one follows.
                if (100..200).contains(&head.status) {
                    continue;
                }
                return Ok((head, sent));
            }
            if self.fill().await? == 0 {
                return Err(HttpError::Closed);
            }
        }
    }

    /// Reads the body of `head`, calling `sink(bytes, arrival)` for every decoded piece.
    pub async fn read_body(
        &mut self,
        head: &Head,
        mut sink: impl FnMut(&[u8], Instant),
    ) -> Result<(), HttpError> {
        if head.chunked {
            let mut dec = Chunked::default();
            let mut out = Vec::with_capacity(4096);
            loop {
                if !self.buf.is_empty() {
                    let now = Instant::now();
                    let done = dec.feed(&self.buf, &mut out)?;
                    self.buf.clear();
                    if !out.is_empty() {
                        sink(&out, now);
                        out.clear();
                    }
                    if done {
                        return Ok(());
                    }
                }
                if self.fill().await? == 0 {
                    return Err(HttpError::Closed);
                }
            }
        } else if let Some(mut left) = head.content_length {
            loop {
                if !self.buf.is_empty() {
                    let take = left.min(self.buf.len());
                    sink(&self.buf[..take], Instant::now());
                    self.buf.advance(take);
                    left -= take;
                }
                if left == 0 {
                    return Ok(());
                }
                if self.fill().await? == 0 {
                    return Err(HttpError::Closed);
                }
            }
        } else {
            loop {
                if !self.buf.is_empty() {
                    sink(&self.buf, Instant::now());
                    self.buf.clear();
                }
                if self.fill().await? == 0 {
                    return Ok(());
                }
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parsing() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y").unwrap();
        assert_eq!(
            h,
            Head {
                status: 200,
                content_length: None,
                chunked: true,
                keep_alive: true
            }
        );
        let h = parse_head(b"HTTP/1.1 429 Too Many\r\ncontent-length: 12\r\nconnection: close")
            .unwrap();
        assert_eq!(
            (h.status, h.content_length, h.keep_alive),
            (429, Some(12), false)
        );
        assert!(parse_head(b"HTTP/1.1 200 OK").is_ok_and(|h| !h.keep_alive));
        assert!(parse_head(b"SPDY/3 200").is_err());
        assert!(parse_head(b"HTTP/1.1 abc").is_err());
    }

    #[test]
    fn chunked_decoding_across_arbitrary_splits() {
        let wire = b"5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\n";
        for step in 1..wire.len() {
            let mut dec = Chunked::default();
            let mut out = Vec::new();
            let mut done = false;
            for piece in wire.chunks(step) {
                assert!(!done, "data after the end (step {step})");
                done = dec.feed(piece, &mut out).unwrap();
            }
            assert!(done, "step {step}");
            assert_eq!(out, b"helloabcdefghijklmnopqrstuvwxyz");
        }
        let mut dec = Chunked::default();
        assert!(dec.feed(b"zz\r\n", &mut Vec::new()).is_err());
        let mut dec = Chunked::default();
        assert!(dec.feed(b"2\r\nabXY\r\n", &mut Vec::new()).is_err());
    }

    #[test]
    fn post_encoding() {
        let req = encode_post("127.0.0.1:1", "/v1/x", &[("A".into(), "b".into())], b"{}");
        assert_eq!(
            req,
            b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Length: 2\r\nA: b\r\n\r\n{}"
        );
    }
}
