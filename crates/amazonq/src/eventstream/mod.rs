//! AWS event-stream framing (spec §5.2, Appendix A): frame model, a sans-IO
//! incremental decoder and an encoder. No I/O, no async: bytes in, frames out.
//!
//! ```text
//! total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
//! ```
//!
//! # Why hand-written and not `aws-smithy-eventstream`
//!
//! `aws-smithy-eventstream` 0.61 (`MessageFrameDecoder`) decodes the Appendix A
//! vectors and is used in this crate's tests as the *reference* implementation
//! (differential property tests in both directions). It is not the codec itself
//! because it misses three requirements of a gateway facing untrusted bytes:
//!
//! 1. **Size cap / fail fast.** It checks the prelude CRC and lengths only once
//!    the whole claimed frame (up to 4 GiB) is buffered, so one corrupt length
//!    makes the caller buffer without bound. This decoder validates the prelude
//!    as soon as its 12 bytes arrive and refuses frames over 16 MiB.
//! 2. **Truncation.** It has no end-of-input notion; [`FrameDecoder::finish`]
//!    tells a clean end at a frame boundary from a truncated frame (§5.5).
//! 3. **Types.** Its `HeaderValue` is `#[non_exhaustive]` and its writer panics on
//!    unknown variants; ours is a closed enum and encoding returns errors.
//!
//! The format is small (~200 lines here) and fully specified, and the payload is
//! handed out as a zero-copy slice of the received buffer.

mod decode;
mod encode;

pub use decode::{DEFAULT_MAX_FRAME_LEN, DecodeError, FrameDecoder, RawFrame, decode_all};
pub use encode::{EncodeError, encode_frame, encode_frame_into};

use bytes::Bytes;

/// Length of the prelude (`total_len`, `headers_len`, `prelude_crc`).
pub const PRELUDE_LEN: usize = 12;
/// Smallest possible frame: prelude + message CRC, no headers, no payload.
pub const MIN_FRAME_LEN: usize = PRELUDE_LEN + 4;
/// Longest header name in bytes.
pub const MAX_HEADER_NAME_LEN: usize = 255;
/// Longest string/bytes header value (`i16::MAX`, as the AWS implementations use).
pub const MAX_HEADER_VALUE_LEN: usize = i16::MAX as usize;

/// Header names used by the service (§5.2).
pub mod names {
    /// `event` | `exception` | `error`.
    pub const MESSAGE_TYPE: &str = ":message-type";
    /// Event name on `event` frames.
    pub const EVENT_TYPE: &str = ":event-type";
    /// Exception name on `exception` frames.
    pub const EXCEPTION_TYPE: &str = ":exception-type";
    /// Payload MIME type.
    pub const CONTENT_TYPE: &str = ":content-type";
    /// Error code on `error` frames.
    pub const ERROR_CODE: &str = ":error-code";
    /// Error text on `error` frames.
    pub const ERROR_MESSAGE: &str = ":error-message";
}

/// A typed header value. The wire has ten type tags; `true` and `false` are two
/// of them (tags 0 and 1) and both map to [`HeaderValue::Bool`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Tags 0 (true) / 1 (false): no value bytes.
    Bool(bool),
    /// Tag 2: one signed byte.
    Byte(i8),
    /// Tag 3.
    Int16(i16),
    /// Tag 4.
    Int32(i32),
    /// Tag 5.
    Int64(i64),
    /// Tag 6: u16 length + bytes.
    ByteArray(Bytes),
    /// Tag 7: u16 length + UTF-8.
    String(String),
    /// Tag 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Tag 9: 16 bytes, big-endian.
    Uuid(u128),
}

impl HeaderValue {
    /// The string, if this is a string header.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }
}

/// One header; order is preserved (it is part of the bytes, not of the meaning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

impl Header {
    /// A header with any value.
    pub fn new(name: impl Into<String>, value: HeaderValue) -> Self {
        Self {
            name: name.into(),
            value,
        }
    }

    /// A string header.
    pub fn string(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self::new(name, HeaderValue::String(value.into()))
    }
}

/// One event-stream message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    pub headers: Vec<Header>,
    pub payload: Bytes,
}

impl Frame {
    /// A frame from parts.
    pub fn new(headers: Vec<Header>, payload: impl Into<Bytes>) -> Self {
        Self {
            headers,
            payload: payload.into(),
        }
    }

    /// An `event` frame; headers in the order the service (and Appendix A) uses:
    /// `:event-type`, `:content-type`, `:message-type`.
    pub fn event(event_type: &str, json_payload: impl Into<Bytes>) -> Self {
        Self::json_message((names::EVENT_TYPE, event_type), "event", json_payload)
    }

    /// An `exception` frame (payload usually `{"message": …}`).
    pub fn exception(exception_type: &str, payload: impl Into<Bytes>) -> Self {
        Self::json_message(
            (names::EXCEPTION_TYPE, exception_type),
            "exception",
            payload,
        )
    }

    /// A JSON frame named by `(header, name)`, headers in the order `event` and `exception`
    /// frames share: the name, `:content-type`, `:message-type`.
    fn json_message(
        (header, name): (&str, &str),
        message_type: &str,
        payload: impl Into<Bytes>,
    ) -> Self {
        Self::new(
            vec![
                Header::string(header, name),
                Header::string(names::CONTENT_TYPE, "application/json"),
                Header::string(names::MESSAGE_TYPE, message_type),
            ],
            payload,
        )
    }

    /// An `error` frame: code and message in headers, empty payload.
    pub fn error(code: &str, message: &str) -> Self {
        Self::new(
            vec![
                Header::string(names::MESSAGE_TYPE, "error"),
                Header::string(names::ERROR_CODE, code),
                Header::string(names::ERROR_MESSAGE, message),
            ],
            Bytes::new(),
        )
    }

    /// The first header with this name.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// The first header with this name, if it is a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(HeaderValue::as_str)
    }

    /// `:message-type`.
    pub fn message_type(&self) -> Option<&str> {
        self.header_str(names::MESSAGE_TYPE)
    }

    /// `:event-type`.
    pub fn event_type(&self) -> Option<&str> {
        self.header_str(names::EVENT_TYPE)
    }

    /// `:exception-type`.
    pub fn exception_type(&self) -> Option<&str> {
        self.header_str(names::EXCEPTION_TYPE)
    }
}

#[cfg(test)]
mod tests;
