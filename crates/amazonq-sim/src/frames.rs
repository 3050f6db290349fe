//! AWS event-stream frames for responses (amazon-q-protocol.md §5.2), including the deliberately
//! broken frames of the §8.5 fault catalogue.
//!
//! Well-formed frames are encoded with the workspace's own encoder (`amazonq::eventstream`), so the
//! simulator and the client share one implementation and the Appendix A vectors; the crate's tests
//! cross-check the output with an independent decoder (`aws-smithy-eventstream`). Broken frames
//! (bad CRCs, impossible lengths, truncation) are made here by editing encoded bytes. Pure code.

use amazonq::eventstream::{Frame, Header, HeaderValue, encode_frame};
use bytes::{BufMut, Bytes, BytesMut};

use crate::faults::BogusLength;

/// Encodes a frame. The only failure is an over-long header (a user-supplied `#unknown` event
/// type > 32 KiB); it becomes an `error` frame saying so, which always encodes.
fn encode(frame: &Frame) -> Bytes {
    encode_frame(frame).unwrap_or_else(|e| {
        let msg: String = format!("sim: cannot encode frame: {e}")
            .chars()
            .take(200)
            .collect();
        encode_frame(&Frame::error("SimEncodeError", &msg)).unwrap_or_default()
    })
}

/// Headers a decoder must skip (fault `exotic-headers`): one of every non-string type.
fn exotic() -> Vec<Header> {
    vec![
        Header::new("x-sim-true", HeaderValue::Bool(true)),
        Header::new("x-sim-false", HeaderValue::Bool(false)),
        Header::new("x-sim-byte", HeaderValue::Byte(-7)),
        Header::new("x-sim-short", HeaderValue::Int16(-300)),
        Header::new("x-sim-int", HeaderValue::Int32(70_000)),
        Header::new("x-sim-long", HeaderValue::Int64(-5_000_000_000)),
        Header::new(
            "x-sim-bytes",
            HeaderValue::ByteArray(Bytes::from_static(&[0, 1, 2, 255])),
        ),
        Header::new("x-sim-time", HeaderValue::Timestamp(1_767_225_600_000)),
        Header::new(
            "x-sim-uuid",
            HeaderValue::Uuid(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        ),
    ]
}

/// An `event` frame: `:event-type`, `:content-type application/json`, `:message-type event`.
pub fn event(event_type: &str, payload: &[u8], exotic_headers: bool) -> Bytes {
    let mut frame = Frame::event(event_type, Bytes::copy_from_slice(payload));
    if exotic_headers {
        frame.headers.extend(exotic());
    }
    encode(&frame)
}

/// An `exception` frame (`:exception-type`, JSON `{message, reason?}` payload).
pub fn exception(exception_type: &str, payload: &[u8]) -> Bytes {
    encode(&Frame::exception(
        exception_type,
        Bytes::copy_from_slice(payload),
    ))
}

/// The runtime's in-stream MODEL_TEMPORARILY_UNAVAILABLE (kiro-2026-endpoints.md §8; the frame
/// shape is not documented by any source: an `exception` frame of type ThrottlingException whose
/// payload carries the reason, like the service's other throttles).
pub fn model_unavailable() -> Bytes {
    exception(
        "ThrottlingException",
        br#"{"message":"The model is temporarily unavailable. Please try again later.","reason":"MODEL_TEMPORARILY_UNAVAILABLE"}"#,
    )
}

/// An `error` frame (`:error-code`, `:error-message`, empty payload).
pub fn error_frame(code: &str, message: &str) -> Bytes {
    encode(&Frame::error(code, message))
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
        let e = event("assistantResponseEvent", br#"{"content":"Hi"}"#, false);
        assert_eq!(
            hex(&e),
            "0000007c0000005c3bddcf780b3a6576656e742d74797065070016617373697374616e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74223a224869227db02babdc"
        );
        assert_eq!(
            hex(&exception("error", br#"{"message":"boom"}"#)),
            "0000007500000053a672b0980f3a657863657074696f6e2d747970650700056572726f720d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22626f6f6d227df2452ceb"
        );
        assert_eq!(
            hex(&error_frame(
                "InternalFailure",
                "An internal error occurred"
            )),
            "0000007000000060d1425efe0d3a6d6573736167652d747970650700056572726f720b3a6572726f722d636f646507000f496e7465726e616c4661696c7572650e3a6572726f722d6d65737361676507001a416e20696e7465726e616c206572726f72206f636375727265643db20b91"
        );
    }

    #[test]
    fn damage_changes_exactly_one_bit() {
        let f = event("assistantResponseEvent", br#"{"content":"x"}"#, false);
        for d in [Damage::PreludeCrc, Damage::MessageCrc, Damage::Payload] {
            let g = damage(&f, d);
            let diff: u32 = f
                .iter()
                .zip(g.iter())
                .map(|(a, b)| (a ^ b).count_ones())
                .sum();
            assert_eq!(diff, 1);
        }
    }
}
