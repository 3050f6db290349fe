//! Incremental, sans-IO frame decoder (spec §5.2, §5.5).
//!
//! Feed bytes as they arrive, in any chunking, then pull frames. The prelude is
//! validated (CRC, lengths, size cap) as soon as its 12 bytes are buffered, so a
//! corrupt or hostile length is rejected before anything else is buffered. After
//! the first error the decoder stays failed: an event stream cannot be
//! resynchronised reliably, and a turn with silently dropped content is worse
//! than a failed one (§5.2 "fail the turn").

use bytes::{Buf, Bytes, BytesMut};

use super::{Frame, Header, HeaderValue, MIN_FRAME_LEN, PRELUDE_LEN};

/// Frames larger than this are refused (16 MiB, what peers use).
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Why bytes could not be decoded. Every variant is terminal for the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("prelude checksum mismatch (computed {computed:#010x}, frame has {found:#010x})")]
    PreludeChecksum { computed: u32, found: u32 },
    #[error("message checksum mismatch (computed {computed:#010x}, frame has {found:#010x})")]
    MessageChecksum { computed: u32, found: u32 },
    #[error("frame length {total_len} is below the 16-byte minimum")]
    FrameTooShort { total_len: u32 },
    #[error("frame length {total_len} exceeds the {max}-byte cap")]
    FrameTooLarge { total_len: u32, max: usize },
    #[error("headers length {headers_len} is impossible in a frame of {total_len} bytes")]
    HeadersLength { headers_len: u32, total_len: u32 },
    #[error("header name is empty")]
    EmptyHeaderName,
    #[error("header name or string value is not UTF-8")]
    InvalidUtf8,
    #[error("unknown header value type {0}")]
    UnknownHeaderType(u8),
    #[error("header runs past the end of the header block")]
    HeaderTruncated,
    #[error("stream ended inside a frame ({buffered} bytes buffered)")]
    Truncated { buffered: usize },
}

/// The incremental decoder. See the module docs.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: BytesMut,
    max_frame_len: usize,
    /// `(total_len, headers_len)` of the frame whose prelude was validated.
    pending: Option<(usize, usize)>,
    failed: Option<DecodeError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameDecoder {
    /// A decoder with the 16 MiB frame cap.
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A decoder with a custom frame cap (at least [`MIN_FRAME_LEN`]).
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            max_frame_len: max_frame_len.max(MIN_FRAME_LEN),
            pending: None,
            failed: None,
        }
    }

    /// Appends received bytes. Bytes fed after a failure are dropped.
    pub fn feed(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the
    /// error that ended the stream (returned again on every later call).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.step() {
            Ok(frame) => Ok(frame),
            Err(err) => {
                self.failed = Some(err.clone());
                self.buf = BytesMut::new();
                Err(err)
            }
        }
    }

    /// Declares end of input: `Ok` only if the input ended exactly at a frame
    /// boundary (a clean end of turn, §5.5).
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Truncated {
                buffered: self.buf.len(),
            })
        }
    }

    fn step(&mut self) -> Result<Option<Frame>, DecodeError> {
        let (total_len, headers_len) = if let Some(p) = self.pending {
            p
        } else {
            if self.buf.len() < PRELUDE_LEN {
                return Ok(None);
            }
            let p = check_prelude(&self.buf[..PRELUDE_LEN], self.max_frame_len)?;
            self.pending = Some(p);
            // Grow once instead of doubling repeatedly for big frames.
            self.buf.reserve(p.0.saturating_sub(self.buf.len()));
            p
        };
        if self.buf.len() < total_len {
            return Ok(None);
        }
        self.pending = None;
        let bytes = self.buf.split_to(total_len).freeze();
        parse_frame(&bytes, headers_len).map(Some)
    }
}

/// Decodes a complete byte string that must hold whole frames only.
pub fn decode_all(bytes: &[u8]) -> Result<Vec<Frame>, DecodeError> {
    let mut decoder = FrameDecoder::new();
    decoder.feed(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.next_frame()? {
        frames.push(frame);
    }
    decoder.finish()?;
    Ok(frames)
}

fn be_u32(b: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&b[..4]);
    u32::from_be_bytes(word)
}

/// Validates the 12-byte prelude; returns `(total_len, headers_len)`.
fn check_prelude(prelude: &[u8], max_frame_len: usize) -> Result<(usize, usize), DecodeError> {
    let total_len = be_u32(&prelude[0..4]);
    let headers_len = be_u32(&prelude[4..8]);
    let found = be_u32(&prelude[8..12]);
    let computed = crc32fast::hash(&prelude[..8]);
    if computed != found {
        return Err(DecodeError::PreludeChecksum { computed, found });
    }
    let total = total_len as usize;
    if total < MIN_FRAME_LEN {
        return Err(DecodeError::FrameTooShort { total_len });
    }
    if total > max_frame_len {
        return Err(DecodeError::FrameTooLarge {
            total_len,
            max: max_frame_len,
        });
    }
    // A header needs at least name_len + 1 name byte + type, so 1 is impossible.
    let headers = headers_len as usize;
    if headers == 1 || headers > total - MIN_FRAME_LEN {
        return Err(DecodeError::HeadersLength {
            headers_len,
            total_len,
        });
    }
    Ok((total, headers))
}

/// Parses one whole frame whose prelude was already validated.
fn parse_frame(bytes: &Bytes, headers_len: usize) -> Result<Frame, DecodeError> {
    let crc_at = bytes.len() - 4;
    let computed = crc32fast::hash(&bytes[..crc_at]);
    let found = be_u32(&bytes[crc_at..]);
    if computed != found {
        return Err(DecodeError::MessageChecksum { computed, found });
    }
    let header_end = PRELUDE_LEN + headers_len;
    let headers = parse_headers(bytes.slice(PRELUDE_LEN..header_end))?;
    Ok(Frame {
        headers,
        payload: bytes.slice(header_end..crc_at),
    })
}

fn parse_headers(mut block: Bytes) -> Result<Vec<Header>, DecodeError> {
    let mut headers = Vec::with_capacity(4);
    while block.has_remaining() {
        let name_len = usize::from(block.get_u8());
        if name_len == 0 {
            return Err(DecodeError::EmptyHeaderName);
        }
        let name = take(&mut block, name_len)?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| DecodeError::InvalidUtf8)?;
        if !block.has_remaining() {
            return Err(DecodeError::HeaderTruncated);
        }
        let value = parse_value(block.get_u8(), &mut block)?;
        headers.push(Header { name, value });
    }
    Ok(headers)
}

fn take(block: &mut Bytes, n: usize) -> Result<Bytes, DecodeError> {
    if block.remaining() < n {
        return Err(DecodeError::HeaderTruncated);
    }
    Ok(block.split_to(n))
}

fn parse_value(tag: u8, block: &mut Bytes) -> Result<HeaderValue, DecodeError> {
    Ok(match tag {
        0 => HeaderValue::Bool(true),
        1 => HeaderValue::Bool(false),
        2 => HeaderValue::Byte(take(block, 1)?.get_i8()),
        3 => HeaderValue::Int16(take(block, 2)?.get_i16()),
        4 => HeaderValue::Int32(take(block, 4)?.get_i32()),
        5 => HeaderValue::Int64(take(block, 8)?.get_i64()),
        6 | 7 => {
            let len = usize::from(take(block, 2)?.get_u16());
            let value = take(block, len)?;
            if tag == 6 {
                HeaderValue::ByteArray(value)
            } else {
                let s = String::from_utf8(value.to_vec()).map_err(|_| DecodeError::InvalidUtf8)?;
                HeaderValue::String(s)
            }
        }
        8 => HeaderValue::Timestamp(take(block, 8)?.get_i64()),
        9 => HeaderValue::Uuid(take(block, 16)?.get_u128()),
        other => return Err(DecodeError::UnknownHeaderType(other)),
    })
}
