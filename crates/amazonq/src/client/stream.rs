//! The typed event stream of one chat call: body bytes → [`FrameDecoder`] →
//! [`StreamEvent`], with the idle timeout between frames (§5.5).
//!
//! The stream ends with `None` only on a clean end (EOF at a frame boundary).
//! Every failure — idle timeout, truncation, corrupt frame, transport error —
//! is yielded once as an `Err` and then the stream ends. Dropping it drops the
//! HTTP response, which closes (cancels) the upstream request.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, timeout_at};

use crate::events::{EventError, StreamEvent};
use crate::eventstream::{DecodeError, FrameDecoder};
use crate::http::TransportError;

/// Why a stream ended early. Everything here ends the turn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// No complete frame within the idle timeout.
    #[error("no event from upstream for {0:?}")]
    IdleTimeout(Duration),
    /// Bad framing, including a truncated final frame.
    #[error("event stream: {0}")]
    Decode(#[from] DecodeError),
    /// A known event whose payload is not the documented JSON.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The connection failed mid-stream.
    #[error("upstream connection failed mid-stream: {0}")]
    Transport(String),
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, String>> + Send>>;

/// Stream of typed upstream events (`futures::Stream`).
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = Result<StreamEvent, StreamError>> + Send>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventStream")
    }
}

pub(crate) enum OpenError {
    Timeout,
    Transport(TransportError),
}

struct State {
    body: ByteStream,
    decoder: FrameDecoder,
    idle: Duration,
    last_frame: Instant,
    eof: bool,
    done: bool,
}

impl EventStream {
    /// Reads the first body bytes before `deadline` (the first-byte timeout),
    /// then hands the rest to the stream.
    pub(crate) async fn open(
        response: reqwest::Response,
        deadline: Instant,
        idle: Duration,
    ) -> Result<Self, OpenError> {
        let mut body: ByteStream = Box::pin(
            response
                .bytes_stream()
                .map(|r| r.map_err(|e| TransportError::from(e).to_string())),
        );
        let mut decoder = FrameDecoder::new();
        let mut eof = false;
        match timeout_at(deadline, body.next()).await {
            Err(_) => return Err(OpenError::Timeout),
            Ok(None) => eof = true,
            Ok(Some(Err(e))) => return Err(OpenError::Transport(TransportError::Other(e))),
            Ok(Some(Ok(chunk))) => decoder.feed(&chunk),
        }
        Ok(Self::from_state(State {
            body,
            decoder,
            idle,
            last_frame: Instant::now(),
            eof,
            done: false,
        }))
    }

    /// Decodes any byte stream (e.g. a recorded body) with the same rules.
    pub fn from_byte_stream<S, E>(bytes: S, idle: Duration) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: fmt::Display,
    {
        let body: ByteStream = Box::pin(bytes.map(|r| r.map_err(|e| e.to_string())));
        Self::from_state(State {
            body,
            decoder: FrameDecoder::new(),
            idle,
            last_frame: Instant::now(),
            eof: false,
            done: false,
        })
    }

    fn from_state(state: State) -> Self {
        let inner = futures_util::stream::unfold(state, |mut st| async move {
            let item = st.next_item().await?;
            Some((item, st))
        });
        Self {
            inner: Box::pin(inner),
        }
    }
}

impl State {
    async fn next_item(&mut self) -> Option<Result<StreamEvent, StreamError>> {
        loop {
            if self.done {
                return None;
            }
            match self.decoder.next_frame() {
                Ok(Some(frame)) => {
                    self.last_frame = Instant::now();
                    let event = StreamEvent::from_frame(&frame).map_err(StreamError::from);
                    self.done = event.is_err();
                    return Some(event);
                }
                Ok(None) => {}
                Err(e) => return Some(self.fail(e.into())),
            }
            if self.eof {
                self.done = true;
                return self.decoder.finish().err().map(|e| Err(e.into()));
            }
            match timeout_at(self.last_frame + self.idle, self.body.next()).await {
                Err(_) => return Some(self.fail(StreamError::IdleTimeout(self.idle))),
                Ok(None) => self.eof = true,
                Ok(Some(Err(e))) => return Some(self.fail(StreamError::Transport(e))),
                Ok(Some(Ok(chunk))) => self.decoder.feed(&chunk),
            }
        }
    }

    fn fail(&mut self, err: StreamError) -> Result<StreamEvent, StreamError> {
        self.done = true;
        Err(err)
    }
}

impl Stream for EventStream {
    type Item = Result<StreamEvent, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
