//! Incremental, sans-IO frame decoder (spec §5.2, §5.5).
//!
//! Feed bytes as they arrive, in any chunking, then pull frames. The prelude is
//! validated (CRC, lengths, size cap) as soon as its 12 bytes are buffered, so a
//! corrupt or hostile length is rejected before anything else is buffered. After
//! the first error the decoder stays failed: an event stream cannot be
//! resynchronised reliably, and a turn with silently dropped content is worse
//! than a failed one (§5.2 "fail the turn").

use std::ops::ControlFlow;

use bytes::{Bytes, BytesMut};

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
        self.guarded(|d| {
            let Some((bytes, headers_len)) = d.step()? else {
                return Ok(None);
            };
            parse_frame(&bytes, headers_len).map(Some)
        })
    }

    /// [`Self::next_frame`] without building the owned header list: the same checks and errors,
    /// headers read in place on demand ([`RawFrame`]). The event stream decodes every upstream
    /// frame this way (issue 11 S2: six small string allocations per frame were a visible share
    /// of a streamed frame's cost).
    pub fn next_raw(&mut self) -> Result<Option<RawFrame>, DecodeError> {
        self.guarded(|d| {
            let Some((bytes, headers_len)) = d.step()? else {
                return Ok(None);
            };
            let header_end = PRELUDE_LEN + headers_len;
            let block = &bytes[PRELUDE_LEN..header_end];
            // Validates every header exactly as `parse_headers` does, allocating nothing, and
            // notes where the two headers every frame is asked for sit (issue 19 S2: walking the
            // block again for each lookup was a visible share of a streamed frame).
            let mut known = Known::default();
            walk_headers(block, true, |name, value| {
                let slot = match name {
                    b":message-type" => &mut known.message_type,
                    b":event-type" => &mut known.event_type,
                    _ => return ControlFlow::Continue(()),
                };
                if matches!(slot, Seen::No) {
                    *slot = match value {
                        Value::Str(v) => Seen::Str(offset_in(block, v)),
                        _ => Seen::NotStr,
                    };
                }
                ControlFlow::Continue(())
            })?;
            Ok(Some(RawFrame {
                bytes,
                header_end,
                known,
            }))
        })
    }

    /// Runs one decoding step; the first error is kept and returned by every later call.
    fn guarded<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Option<T>, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match f(self) {
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

    /// The next whole frame with its message CRC checked: `(bytes, headers_len)`.
    fn step(&mut self) -> Result<Option<(Bytes, usize)>, DecodeError> {
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
        check_message_crc(&bytes)?;
        Ok(Some((bytes, headers_len)))
    }
}

/// A whole, checked frame whose headers are read in place (see [`FrameDecoder::next_raw`]).
#[derive(Debug, Clone)]
pub struct RawFrame {
    bytes: Bytes,
    header_end: usize,
    known: Known,
}

/// What the validating walk saw of the first `:message-type` and `:event-type` headers (read
/// for every frame: [`RawFrame::message_type`], [`RawFrame::event_type`]).
#[derive(Debug, Clone, Copy, Default)]
struct Known {
    message_type: Seen,
    event_type: Seen,
}

/// The first header of one name: absent, not a string, or a string at this byte range of the
/// header block.
#[derive(Debug, Clone, Copy, Default)]
enum Seen {
    #[default]
    No,
    NotStr,
    Str((usize, usize)),
}

/// `(start, end)` of `part` inside `block` (a sub-slice of it).
fn offset_in(block: &[u8], part: &[u8]) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(block.as_ptr() as usize);
    (start, start + part.len())
}

impl RawFrame {
    /// The first header with this name, if it is a string (as [`Frame::header_str`]).
    pub fn header_str(&self, name: &str) -> Option<&str> {
        let block = &self.bytes[PRELUDE_LEN..self.header_end];
        let mut found = None;
        // The block was validated when the frame was decoded (UTF-8 included): the walk cannot
        // fail now, and names are compared as bytes without checking them again.
        let _ = walk_headers(block, false, |n, v| {
            if n != name.as_bytes() {
                return ControlFlow::Continue(());
            }
            if let Value::Str(s) = v {
                found = std::str::from_utf8(s).ok();
            }
            ControlFlow::Break(())
        });
        found
    }

    /// `:message-type` (as [`Frame::message_type`]), from where the decoding walk found it.
    pub fn message_type(&self) -> Option<&str> {
        self.seen_str(self.known.message_type)
    }

    /// `:event-type` (as [`Frame::event_type`]), from where the decoding walk found it.
    pub fn event_type(&self) -> Option<&str> {
        self.seen_str(self.known.event_type)
    }

    fn seen_str(&self, seen: Seen) -> Option<&str> {
        let Seen::Str((start, end)) = seen else {
            return None;
        };
        let block = &self.bytes[PRELUDE_LEN..self.header_end];
        block
            .get(start..end)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The payload (a zero-copy slice of the frame).
    pub fn payload(&self) -> Bytes {
        self.bytes.slice(self.header_end..self.bytes.len() - 4)
    }

    /// The payload as a borrowed slice.
    pub fn payload_bytes(&self) -> &[u8] {
        &self.bytes[self.header_end..self.bytes.len() - 4]
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

fn check_message_crc(bytes: &Bytes) -> Result<(), DecodeError> {
    let crc_at = bytes.len() - 4;
    let computed = crc32fast::hash(&bytes[..crc_at]);
    let found = be_u32(&bytes[crc_at..]);
    if computed != found {
        return Err(DecodeError::MessageChecksum { computed, found });
    }
    Ok(())
}

/// Parses one whole frame whose prelude and message CRC were already checked.
fn parse_frame(bytes: &Bytes, headers_len: usize) -> Result<Frame, DecodeError> {
    let crc_at = bytes.len() - 4;
    let header_end = PRELUDE_LEN + headers_len;
    let block = bytes.slice(PRELUDE_LEN..header_end);
    let mut headers = Vec::with_capacity(4);
    walk_headers(&block, true, |name, value| {
        // Both were checked to be UTF-8 by the walk.
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let value = match value {
            Value::Owned(v) => v,
            Value::Bytes(b) => HeaderValue::ByteArray(block.slice_ref(b)),
            Value::Str(s) => HeaderValue::String(text(s)),
        };
        headers.push(Header {
            name: text(name),
            value,
        });
        ControlFlow::Continue(())
    })?;
    Ok(Frame {
        headers,
        payload: bytes.slice(header_end..crc_at),
    })
}

/// A header value read in place.
enum Value<'a> {
    /// Fixed-size values.
    Owned(HeaderValue),
    /// Tag 6.
    Bytes(&'a [u8]),
    /// Tag 7 (UTF-8 checked when the walk checks it).
    Str(&'a [u8]),
}

/// Walks a header block, checking every header (empty name, UTF-8 when `check_utf8`, type tag,
/// truncation) in wire order, and hands each one to `f` until it breaks.
fn walk_headers<'a>(
    mut block: &'a [u8],
    check_utf8: bool,
    mut f: impl FnMut(&'a [u8], Value<'a>) -> ControlFlow<()>,
) -> Result<(), DecodeError> {
    while let Some((&name_len, rest)) = block.split_first() {
        block = rest;
        let name_len = usize::from(name_len);
        if name_len == 0 {
            return Err(DecodeError::EmptyHeaderName);
        }
        let name = take(&mut block, name_len)?;
        if check_utf8 {
            utf8(name)?;
        }
        let Some((&tag, rest)) = block.split_first() else {
            return Err(DecodeError::HeaderTruncated);
        };
        block = rest;
        let value = parse_value(tag, &mut block, check_utf8)?;
        if f(name, value).is_break() {
            break;
        }
    }
    Ok(())
}

/// Checks that `b` is UTF-8; header names and values are ASCII in practice, and the inlined ASCII
/// test is cheaper than the general validator for such short strings.
fn utf8(b: &[u8]) -> Result<(), DecodeError> {
    if b.is_ascii() || std::str::from_utf8(b).is_ok() {
        Ok(())
    } else {
        Err(DecodeError::InvalidUtf8)
    }
}

fn take<'a>(block: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if block.len() < n {
        return Err(DecodeError::HeaderTruncated);
    }
    let (head, rest) = block.split_at(n);
    *block = rest;
    Ok(head)
}

fn take_array<const N: usize>(block: &mut &[u8]) -> Result<[u8; N], DecodeError> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(block, N)?);
    Ok(out)
}

fn parse_value<'a>(
    tag: u8,
    block: &mut &'a [u8],
    check_utf8: bool,
) -> Result<Value<'a>, DecodeError> {
    let fixed = |v| Ok(Value::Owned(v));
    match tag {
        0 => fixed(HeaderValue::Bool(true)),
        1 => fixed(HeaderValue::Bool(false)),
        2 => fixed(HeaderValue::Byte(i8::from_be_bytes(take_array(block)?))),
        3 => fixed(HeaderValue::Int16(i16::from_be_bytes(take_array(block)?))),
        4 => fixed(HeaderValue::Int32(i32::from_be_bytes(take_array(block)?))),
        5 => fixed(HeaderValue::Int64(i64::from_be_bytes(take_array(block)?))),
        6 | 7 => {
            let len = usize::from(u16::from_be_bytes(take_array(block)?));
            let value = take(block, len)?;
            if tag == 6 {
                Ok(Value::Bytes(value))
            } else {
                if check_utf8 {
                    utf8(value)?;
                }
                Ok(Value::Str(value))
            }
        }
        8 => fixed(HeaderValue::Timestamp(i64::from_be_bytes(take_array(
            block,
        )?))),
        9 => fixed(HeaderValue::Uuid(u128::from_be_bytes(take_array(block)?))),
        other => Err(DecodeError::UnknownHeaderType(other)),
    }
}
