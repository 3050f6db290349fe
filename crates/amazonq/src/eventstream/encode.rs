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
        let value_len = match &header.value {
            HeaderValue::Bool(_) => 0,
            HeaderValue::Byte(_) => 1,
            HeaderValue::Int16(_) => 2,
            HeaderValue::Int32(_) => 4,
            HeaderValue::Int64(_) | HeaderValue::Timestamp(_) => 8,
            HeaderValue::Uuid(_) => 16,
            HeaderValue::ByteArray(b) => variable_len(&header.name, b.len())?,
            HeaderValue::String(s) => variable_len(&header.name, s.len())?,
        };
        len += 1 + header.name.len() + 1 + value_len;
    }
    Ok(len)
}

fn variable_len(name: &str, len: usize) -> Result<usize, EncodeError> {
    if len > MAX_HEADER_VALUE_LEN {
        return Err(EncodeError::HeaderValueTooLong {
            name: name.to_owned(),
            len,
        });
    }
    Ok(2 + len)
}

fn put_value(value: &HeaderValue, out: &mut BytesMut) {
    match value {
        HeaderValue::Bool(true) => out.put_u8(0),
        HeaderValue::Bool(false) => out.put_u8(1),
        HeaderValue::Byte(v) => {
            out.put_u8(2);
            out.put_i8(*v);
        }
        HeaderValue::Int16(v) => {
            out.put_u8(3);
            out.put_i16(*v);
        }
        HeaderValue::Int32(v) => {
            out.put_u8(4);
            out.put_i32(*v);
        }
        HeaderValue::Int64(v) => {
            out.put_u8(5);
            out.put_i64(*v);
        }
        // Lengths were checked against MAX_HEADER_VALUE_LEN, so they fit a u16.
        HeaderValue::ByteArray(b) => {
            out.put_u8(6);
            out.put_u16(b.len() as u16);
            out.put_slice(b);
        }
        HeaderValue::String(s) => {
            out.put_u8(7);
            out.put_u16(s.len() as u16);
            out.put_slice(s.as_bytes());
        }
        HeaderValue::Timestamp(v) => {
            out.put_u8(8);
            out.put_i64(*v);
        }
        HeaderValue::Uuid(v) => {
            out.put_u8(9);
            out.put_u128(*v);
        }
    }
}
