//! Frame encoder (spec §5.2): the simulator and the tests produce their bytes
//! with it. It refuses what a decoder would misread instead of truncating.

use bytes::{BufMut, Bytes, BytesMut};

use super::{Frame, HeaderValue, MAX_HEADER_NAME_LEN, MAX_HEADER_VALUE_LEN, MIN_FRAME_LEN};

/// Why a frame cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("header name {name:?} must be 1..=255 bytes")]
    HeaderName { name: String },
    #[error("value of header {name:?} is {len} bytes, above the 32767-byte limit")]
    HeaderValueTooLong { name: String, len: usize },
    #[error("frame of {len} bytes does not fit the u32 length field")]
    FrameTooLong { len: usize },
}

/// Encodes one frame into a new buffer.
pub fn encode_frame(frame: &Frame) -> Result<Bytes, EncodeError> {
    let mut out = BytesMut::new();
    encode_frame_into(frame, &mut out)?;
    Ok(out.freeze())
}

/// Appends one encoded frame to `out`. On error nothing is appended.
pub fn encode_frame_into(frame: &Frame, out: &mut BytesMut) -> Result<(), EncodeError> {
    let headers_len = headers_len(frame)?;
    let total = MIN_FRAME_LEN + headers_len + frame.payload.len();
    let total_u32 = u32::try_from(total).map_err(|_| EncodeError::FrameTooLong { len: total })?;
    // headers_len < total, so it fits too.
    let headers_u32 = headers_len as u32;

    out.reserve(total);
    let start = out.len();
    out.put_u32(total_u32);
    out.put_u32(headers_u32);
    let prelude_crc = crc32fast::hash(&out[start..start + 8]);
    out.put_u32(prelude_crc);
    for header in &frame.headers {
        out.put_u8(header.name.len() as u8);
        out.put_slice(header.name.as_bytes());
        put_value(&header.value, out);
    }
    out.put_slice(&frame.payload);
    let message_crc = crc32fast::hash(&out[start..]);
    out.put_u32(message_crc);
    Ok(())
}

/// Validates every header and returns the encoded size of the header block.
fn headers_len(frame: &Frame) -> Result<usize, EncodeError> {
    let mut len = 0usize;
    for header in &frame.headers {
        if header.name.is_empty() || header.name.len() > MAX_HEADER_NAME_LEN {
            return Err(EncodeError::HeaderName {
                name: header.name.clone(),
            });
        }
        let (_, value_len) = wire_type(&header.value);
        if let HeaderValue::ByteArray(_) | HeaderValue::String(_) = header.value {
            // Less the u16 length prefix.
            let bytes = value_len - 2;
            if bytes > MAX_HEADER_VALUE_LEN {
                return Err(EncodeError::HeaderValueTooLong {
                    name: header.name.clone(),
                    len: bytes,
                });
            }
        }
        len += 1 + header.name.len() + 1 + value_len;
    }
    Ok(len)
}

/// The wire type tag of `value` (§5.2) and the length of what follows the tag; a
/// length-prefixed value counts its u16 prefix. A `Bool` is its tag alone.
fn wire_type(value: &HeaderValue) -> (u8, usize) {
    match value {
        HeaderValue::Bool(true) => (0, 0),
        HeaderValue::Bool(false) => (1, 0),
        HeaderValue::Byte(_) => (2, 1),
        HeaderValue::Int16(_) => (3, 2),
        HeaderValue::Int32(_) => (4, 4),
        HeaderValue::Int64(_) => (5, 8),
        HeaderValue::ByteArray(b) => (6, 2 + b.len()),
        HeaderValue::String(s) => (7, 2 + s.len()),
        HeaderValue::Timestamp(_) => (8, 8),
        HeaderValue::Uuid(_) => (9, 16),
    }
}

fn put_value(value: &HeaderValue, out: &mut BytesMut) {
    out.put_u8(wire_type(value).0);
    match value {
        HeaderValue::Bool(_) => {}
        HeaderValue::Byte(v) => out.put_i8(*v),
        HeaderValue::Int16(v) => out.put_i16(*v),
        HeaderValue::Int32(v) => out.put_i32(*v),
        HeaderValue::Int64(v) | HeaderValue::Timestamp(v) => out.put_i64(*v),
        HeaderValue::Uuid(v) => out.put_u128(*v),
        HeaderValue::ByteArray(b) => put_prefixed(b, out),
        HeaderValue::String(s) => put_prefixed(s.as_bytes(), out),
    }
}

/// A u16 length, then the bytes. Lengths were checked against MAX_HEADER_VALUE_LEN, so they
/// fit a u16.
fn put_prefixed(bytes: &[u8], out: &mut BytesMut) {
    out.put_u16(bytes.len() as u16);
    out.put_slice(bytes);
}
