//! AWS event-stream frame encoder (amazon-q-protocol.md §5.2), including the deliberately broken
//! frames of the §8.5 fault catalogue.
//!
//! The simulator encodes frames itself (prelude, typed headers, payload, both CRC-32s) instead of
//! borrowing an encoder from the client side, so the crate's tests can cross-check its output with
//! an independent decoder (`aws-smithy-eventstream`). Pure code: bytes in, bytes out.

use bytes::{BufMut, Bytes, BytesMut};

use crate::faults::BogusLength;

/// A typed header value (§5.2 header types 0–9).
#[derive(Debug, Clone, Copy)]
pub enum HeaderValue<'a> {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Bytes(&'a [u8]),
    String(&'a str),
    /// Milliseconds since the epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

fn put_header(buf: &mut BytesMut, name: &str, value: HeaderValue<'_>) {
    // Names are ≤ 255 bytes and values ≤ 32 767 bytes in everything this crate emits.
    buf.put_u8(name.len() as u8);
    buf.put_slice(name.as_bytes());
    match value {
        HeaderValue::Bool(true) => buf.put_u8(0),
        HeaderValue::Bool(false) => buf.put_u8(1),
        HeaderValue::Byte(v) => {
            buf.put_u8(2);
            buf.put_i8(v);
        }
        HeaderValue::Int16(v) => {
            buf.put_u8(3);
            buf.put_i16(v);
        }
        HeaderValue::Int32(v) => {
            buf.put_u8(4);
            buf.put_i32(v);
        }
        HeaderValue::Int64(v) => {
            buf.put_u8(5);
            buf.put_i64(v);
        }
        HeaderValue::Bytes(b) => {
            buf.put_u8(6);
            buf.put_u16(b.len() as u16);
            buf.put_slice(b);
        }
        HeaderValue::String(s) => {
            buf.put_u8(7);
            buf.put_u16(s.len() as u16);
            buf.put_slice(s.as_bytes());
        }
        HeaderValue::Timestamp(ms) => {
            buf.put_u8(8);
            buf.put_i64(ms);
        }
        HeaderValue::Uuid(u) => {
            buf.put_u8(9);
            buf.put_slice(&u);
        }
    }
}

/// Encodes one frame with correct CRCs.
pub fn encode(headers: &[(&str, HeaderValue<'_>)], payload: &[u8]) -> Bytes {
    let mut hbuf = BytesMut::new();
    for (name, value) in headers {
        put_header(&mut hbuf, name, *value);
    }
    let total = 12 + hbuf.len() + payload.len() + 4;
    let mut out = BytesMut::with_capacity(total);
    out.put_u32(total as u32);
    out.put_u32(hbuf.len() as u32);
    let prelude_crc = crc32fast::hash(&out[..8]);
    out.put_u32(prelude_crc);
    out.put_slice(&hbuf);
    out.put_slice(payload);
    let msg_crc = crc32fast::hash(&out[..]);
    out.put_u32(msg_crc);
    out.freeze()
}

/// Headers that a decoder must skip (fault `exotic-headers`): one of every non-string type.
const EXOTIC: [(&str, HeaderValue<'static>); 8] = [
    ("x-sim-true", HeaderValue::Bool(true)),
    ("x-sim-false", HeaderValue::Bool(false)),
    ("x-sim-byte", HeaderValue::Byte(-7)),
    ("x-sim-short", HeaderValue::Int16(-300)),
    ("x-sim-int", HeaderValue::Int32(70_000)),
    ("x-sim-long", HeaderValue::Int64(-5_000_000_000)),
    ("x-sim-bytes", HeaderValue::Bytes(&[0, 1, 2, 255])),
    ("x-sim-time", HeaderValue::Timestamp(1_767_225_600_000)),
];

/// An `event` frame: `:event-type`, `:content-type application/json`, `:message-type event`.
pub fn event(event_type: &str, payload: &[u8], exotic: bool) -> Bytes {
    let mut headers = vec![
        (":event-type", HeaderValue::String(event_type)),
        (":content-type", HeaderValue::String("application/json")),
        (":message-type", HeaderValue::String("event")),
    ];
    if exotic {
        headers.extend_from_slice(&EXOTIC);
        headers.push(("x-sim-uuid", HeaderValue::Uuid(*b"0123456789abcdef")));
    }
    encode(&headers, payload)
}

/// An `exception` frame (`:exception-type`, JSON `{message, reason?}` payload).
pub fn exception(exception_type: &str, payload: &[u8]) -> Bytes {
    encode(
        &[
            (":exception-type", HeaderValue::String(exception_type)),
            (":content-type", HeaderValue::String("application/json")),
            (":message-type", HeaderValue::String("exception")),
        ],
        payload,
    )
}

/// An `error` frame (`:error-code`, `:error-message`, empty payload).
pub fn error_frame(code: &str, message: &str) -> Bytes {
    encode(
        &[
            (":message-type", HeaderValue::String("error")),
            (":error-code", HeaderValue::String(code)),
            (":error-message", HeaderValue::String(message)),
        ],
        b"",
    )
}

/// A frame whose prelude is impossible (fault `bogus-length`). Its prelude CRC is correct, so a
/// decoder has to reject it on the length rules alone.
pub fn bogus(kind: BogusLength) -> Bytes {
    let (total, headers_len): (u32, u32) = match kind {
        BogusLength::Small => (8, 0),
        BogusLength::Huge => (17 * 1024 * 1024, 0),
        BogusLength::HeadersLen => (32, 1),
    };
    let mut out = BytesMut::with_capacity(32);
    out.put_u32(total);
    out.put_u32(headers_len);
    let crc = crc32fast::hash(&out[..8]);
    out.put_u32(crc);
    // A little trailing garbage so a decoder that trusts the length has something to chew on.
    out.put_slice(&[0u8; 20]);
    let msg_crc = crc32fast::hash(&out[..]);
    out.put_u32(msg_crc);
    out.freeze()
}

/// Which part of a frame to damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    PreludeCrc,
    MessageCrc,
    Payload,
}

/// Flips one bit in a copy of `frame`.
pub fn damage(frame: &[u8], what: Damage) -> Bytes {
    let mut v = frame.to_vec();
    let idx = match what {
        Damage::PreludeCrc => 11,
        Damage::MessageCrc => v.len().saturating_sub(1),
        // The byte before the message CRC is the payload's last byte (or a header byte if empty).
        Damage::Payload => v.len().saturating_sub(5),
    };
    if let Some(b) = v.get_mut(idx) {
        *b ^= 0x01;
    }
    Bytes::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().fold(String::new(), |mut s, x| {
            use std::fmt::Write;
            let _ = write!(s, "{x:02x}");
            s
        })
    }

    #[test]
    fn matches_appendix_a_vectors() {
        let e = encode(
            &[
                (":event-type", HeaderValue::String("assistantResponseEvent")),
                (":content-type", HeaderValue::String("application/json")),
                (":message-type", HeaderValue::String("event")),
            ],
            br#"{"content":"Hi"}"#,
        );
        assert_eq!(hex(&e), "0000007c0000005c3bddcf780b3a6576656e742d74797065070016617373697374616e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74223a224869227db02babdc");
        assert_eq!(hex(&exception("error", br#"{"message":"boom"}"#)), "0000007500000053a672b0980f3a657863657074696f6e2d747970650700056572726f720d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22626f6f6d227df2452ceb");
        assert_eq!(hex(&error_frame("InternalFailure", "An internal error occurred")), "0000007000000060d1425efe0d3a6d6573736167652d747970650700056572726f720b3a6572726f722d636f646507000f496e7465726e616c4661696c7572650e3a6572726f722d6d65737361676507001a416e20696e7465726e616c206572726f72206f636375727265643db20b91");
    }

    #[test]
    fn damage_changes_exactly_one_bit() {
        let f = event("assistantResponseEvent", br#"{"content":"x"}"#, false);
        for d in [Damage::PreludeCrc, Damage::MessageCrc, Damage::Payload] {
            let g = damage(&f, d);
            let diff: u32 = f.iter().zip(g.iter()).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!(diff, 1);
        }
    }
}
