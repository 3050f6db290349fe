//! The typed event stream of one chat call: body bytes → [`FrameDecoder`] →
//! [`StreamEvent`], with the idle timeout between frames (§5.5).
//!
//! The stream ends with `None` only on a clean end (EOF at a frame boundary).
//! Every failure — idle timeout, truncation, corrupt frame, transport error —
//! is yielded once as an `Err` and then the stream ends. Dropping it drops the
//! HTTP response, which closes (cancels) the upstream request.
//!
//! Cost per frame (issue 11 S2): `poll_next` is a plain state machine (no boxed
//! async block), frames are decoded in place ([`FrameDecoder::next_raw`]), and
//! the idle timeout is one timer per stream with a lazy deadline: a frame only
//! records its arrival time, and the timer, when it fires, either ends the
//! stream or moves to the real deadline. Arming a fresh timeout per body read
//! cost a timer-wheel insert and removal per frame.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep, sleep_until, timeout_at};

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
    body: ByteStream,
    decoder: FrameDecoder,
    idle: Duration,
    last_frame: Instant,
    /// The idle timer, created at the first wait; its deadline is never later than
    /// `last_frame + idle` (see the module docs).
    timer: Option<Pin<Box<Sleep>>>,
    eof: bool,
    done: bool,
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
        Ok(Self::new(body, decoder, idle, eof))
    }

    /// Decodes any byte stream (e.g. a recorded body) with the same rules.
    pub fn from_byte_stream<S, E>(bytes: S, idle: Duration) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: fmt::Display,
    {
        let body: ByteStream = Box::pin(bytes.map(|r| r.map_err(|e| e.to_string())));
        Self::new(body, FrameDecoder::new(), idle, false)
    }

    fn new(body: ByteStream, decoder: FrameDecoder, idle: Duration, eof: bool) -> Self {
        Self {
            body,
            decoder,
            idle,
            last_frame: Instant::now(),
            timer: None,
            eof,
            done: false,
        }
    }

    fn fail(&mut self, err: StreamError) -> Result<StreamEvent, StreamError> {
        self.done = true;
        Err(err)
    }

    /// `Ready` once no frame arrived for `idle`; otherwise registers the wake-up.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let due = self.last_frame + self.idle;
        let timer = self.timer.get_or_insert_with(|| Box::pin(sleep_until(due)));
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // Frames arrived since the timer was set: move it to the real deadline.
            let due = self.last_frame + self.idle;
            if Instant::now() >= due {
                return Poll::Ready(());
            }
            timer.as_mut().reset(due);
        }
    }
}

impl Stream for EventStream {
    type Item = Result<StreamEvent, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            match this.decoder.next_raw() {
                Ok(Some(frame)) => {
                    this.last_frame = Instant::now();
                    let event = StreamEvent::from_raw(&frame).map_err(StreamError::from);
                    this.done = event.is_err();
                    return Poll::Ready(Some(event));
                }
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(this.fail(e.into()))),
            }
            if this.eof {
                this.done = true;
                return Poll::Ready(this.decoder.finish().err().map(|e| Err(e.into())));
            }
            match this.body.as_mut().poll_next(cx) {
                Poll::Ready(None) => this.eof = true,
                Poll::Ready(Some(Err(e))) => {
                    return Poll::Ready(Some(this.fail(StreamError::Transport(e))));
                }
                Poll::Ready(Some(Ok(chunk))) => this.decoder.feed(&chunk),
                Poll::Pending => {
                    return match this.poll_idle(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(()) => {
                            let idle = this.idle;
                            Poll::Ready(Some(this.fail(StreamError::IdleTimeout(idle))))
                        }
                    };
                }
            }
        }
    }
}
