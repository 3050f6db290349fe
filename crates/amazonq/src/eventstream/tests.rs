//! Codec tests: Appendix A vectors, chunking properties, corruption, and
//! differential checks against `aws-smithy-eventstream` (the AWS reference).

use super::*;
use aws_smithy_eventstream::frame as smithy;
use aws_smithy_types::event_stream as st;
use bytes::{BufMut, BytesMut};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

const VECTOR_EVENT: &str = "0000007c0000005c3bddcf780b3a6576656e742d74797065070016617373697374616e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22636f6e74656e74223a224869227db02babdc";
const VECTOR_EXCEPTION: &str = "0000007500000053a672b0980f3a657863657074696f6e2d747970650700056572726f720d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22626f6f6d227df2452ceb";
const VECTOR_ERROR: &str = "0000007000000060d1425efe0d3a6d6573736167652d747970650700056572726f720b3a6572726f722d636f646507000f496e7465726e616c4661696c7572650e3a6572726f722d6d65737361676507001a416e20696e7465726e616c206572726f72206f636375727265643db20b91";

/// The Appendix A vectors: each is `len` bytes, decodes to exactly the one frame its constructor
/// builds (the headers in the order listed, then the payload), and that frame encodes back to the
/// vector byte for byte.
#[test]
fn appendix_a_vectors() {
    let event = &br#"{"content":"Hi"}"#[..];
    let boom = &br#"{"message":"boom"}"#[..];
    let vectors = [
        // :event-type assistantResponseEvent, :content-type application/json, :message-type event
        (
            VECTOR_EVENT,
            124,
            Frame::event("assistantResponseEvent", event),
        ),
        // :exception-type error, :content-type application/json, :message-type exception
        (VECTOR_EXCEPTION, 117, Frame::exception("error", boom)),
        // :message-type error, :error-code InternalFailure, :error-message …; no payload
        (
            VECTOR_ERROR,
            112,
            Frame::error("InternalFailure", "An internal error occurred"),
        ),
    ];
    for (vector, len, built) in vectors {
        let bytes = hex(vector);
        assert_eq!(bytes.len(), len);
        assert_eq!(decode_all(&bytes).unwrap(), std::slice::from_ref(&built));
        assert_eq!(encode_frame(&built).unwrap(), bytes);
    }
}

#[test]
fn finish_tells_clean_end_from_truncation() {
    let bytes = hex(VECTOR_EVENT);
    let mut d = FrameDecoder::new();
    assert_eq!(d.finish(), Ok(()), "no input at all is a clean (empty) end");
    d.feed(&bytes[..50]);
    assert_eq!(d.next_frame(), Ok(None));
    assert_eq!(d.finish(), Err(DecodeError::Truncated { buffered: 50 }));
    d.feed(&bytes[50..]);
    assert!(d.next_frame().unwrap().is_some());
    assert_eq!(d.finish(), Ok(()));
    // Less than a prelude is a truncation too.
    let mut d = FrameDecoder::new();
    d.feed(&bytes[..3]);
    assert_eq!(d.next_frame(), Ok(None));
    assert_eq!(d.finish(), Err(DecodeError::Truncated { buffered: 3 }));
}

/// Builds a frame from raw prelude fields and body, with correct CRCs.
fn raw_frame(total_len: u32, headers_len: u32, body: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    out.put_u32(total_len);
    out.put_u32(headers_len);
    let crc = crc32fast::hash(&out[..8]);
    out.put_u32(crc);
    out.put_slice(body);
    let crc = crc32fast::hash(&out);
    out.put_u32(crc);
    out.to_vec()
}

#[test]
fn impossible_lengths_are_rejected_at_the_prelude() {
    // Too short: rejected from the 12 prelude bytes alone.
    let mut d = FrameDecoder::new();
    d.feed(&raw_frame(15, 0, &[])[..12]);
    assert_eq!(
        d.next_frame(),
        Err(DecodeError::FrameTooShort { total_len: 15 })
    );
    // Over the cap: rejected before the 17 MiB arrive.
    let mut d = FrameDecoder::new();
    d.feed(&raw_frame(17 * 1024 * 1024, 0, &[])[..12]);
    assert!(matches!(
        d.next_frame(),
        Err(DecodeError::FrameTooLarge { .. })
    ));
    assert_eq!(d.buffered(), 0, "a failed decoder drops its buffer");
    // headers_len = 1 and headers_len past the frame end.
    for headers_len in [1, 100] {
        let mut d = FrameDecoder::new();
        d.feed(&raw_frame(20, headers_len, &[0; 4]));
        assert!(matches!(
            d.next_frame(),
            Err(DecodeError::HeadersLength { .. })
        ));
    }
    // A custom cap applies too, and errors are sticky.
    let bytes = hex(VECTOR_EVENT);
    let mut d = FrameDecoder::with_max_frame_len(100);
    d.feed(&bytes);
    let err = d.next_frame().unwrap_err();
    assert_eq!(
        err,
        DecodeError::FrameTooLarge {
            total_len: 124,
            max: 100
        }
    );
    assert_eq!(d.next_frame(), Err(err.clone()));
    assert_eq!(d.finish(), Err(err));
}

#[test]
fn bad_headers_are_rejected() {
    // name_len 1, "a", type 10 (unknown).
    let body = [1, b'a', 10];
    assert_eq!(
        decode_all(&raw_frame(19, 3, &body)),
        Err(DecodeError::UnknownHeaderType(10))
    );
    // String header whose u16 length runs past the header block.
    let body = [1, b'a', 7, 0, 9, b'x'];
    assert_eq!(
        decode_all(&raw_frame(22, 6, &body)),
        Err(DecodeError::HeaderTruncated)
    );
    // Empty header name.
    let body = [0, 0];
    assert_eq!(
        decode_all(&raw_frame(18, 2, &body)),
        Err(DecodeError::EmptyHeaderName)
    );
    // Non-UTF-8 string value.
    let body = [1, b'a', 7, 0, 1, 0xff];
    assert_eq!(
        decode_all(&raw_frame(22, 6, &body)),
        Err(DecodeError::InvalidUtf8)
    );
    // Name that swallows the type byte.
    let body = [2, b'a', b'b'];
    assert_eq!(
        decode_all(&raw_frame(19, 3, &body)),
        Err(DecodeError::HeaderTruncated)
    );
}

#[test]
fn checksums_are_verified() {
    let mut bytes = hex(VECTOR_EVENT);
    bytes[9] ^= 1;
    assert!(matches!(
        decode_all(&bytes),
        Err(DecodeError::PreludeChecksum { .. })
    ));
    let mut bytes = hex(VECTOR_EVENT);
    bytes[110] ^= 0x80;
    assert!(matches!(
        decode_all(&bytes),
        Err(DecodeError::MessageChecksum { .. })
    ));
}

#[test]
fn encoder_refuses_what_it_cannot_represent() {
    let long_name = Frame::new(vec![Header::string("n".repeat(256), "v")], Bytes::new());
    assert!(matches!(
        encode_frame(&long_name),
        Err(EncodeError::HeaderName { .. })
    ));
    let empty_name = Frame::new(vec![Header::string("", "v")], Bytes::new());
    assert!(matches!(
        encode_frame(&empty_name),
        Err(EncodeError::HeaderName { .. })
    ));
    let long_value = Frame::new(vec![Header::string("n", "v".repeat(32_768))], Bytes::new());
    assert!(matches!(
        encode_frame(&long_value),
        Err(EncodeError::HeaderValueTooLong { .. })
    ));
    let longest = Frame::new(vec![Header::string("n", "v".repeat(32_767))], Bytes::new());
    assert_eq!(
        decode_all(&encode_frame(&longest).unwrap()).unwrap(),
        vec![longest]
    );
}

// ---------------------------------------------------------------- properties

fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        any::<bool>().prop_map(HeaderValue::Bool),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Int16),
        any::<i32>().prop_map(HeaderValue::Int32),
        any::<i64>().prop_map(HeaderValue::Int64),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|v| HeaderValue::ByteArray(Bytes::from(v))),
        ".{0,30}".prop_map(HeaderValue::String),
        (-1_000_000_000_000_000i64..1_000_000_000_000_000).prop_map(HeaderValue::Timestamp),
        any::<u128>().prop_map(HeaderValue::Uuid),
    ]
}

pub(crate) fn arb_frame() -> impl Strategy<Value = Frame> {
    (
        proptest::collection::vec(("[:a-zA-Z0-9-]{1,24}", header_value()), 0..6),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(headers, payload)| Frame {
            headers: headers
                .into_iter()
                .map(|(n, v)| Header::new(n, v))
                .collect(),
            payload: Bytes::from(payload),
        })
}

fn encode_all(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for f in frames {
        encode_frame_into(f, &mut out).unwrap();
    }
    out.to_vec()
}

/// Feeds `bytes` split at `cuts` and collects every frame.
fn decode_in_pieces(bytes: &[u8], cuts: &[usize]) -> Result<Vec<Frame>, DecodeError> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    let mut d = FrameDecoder::new();
    let mut frames = Vec::new();
    for w in points.windows(2) {
        d.feed(&bytes[w[0]..w[1]]);
        while let Some(f) = d.next_frame()? {
            frames.push(f);
        }
    }
    d.finish()?;
    Ok(frames)
}

/// Decodes `bytes` with `next_frame` and with `next_raw` side by side: the same frames (payload and
/// the first string value of every header name), the same errors.
fn raw_agrees_with_owned(bytes: &[u8]) {
    let mut owned = FrameDecoder::new();
    let mut raw = FrameDecoder::new();
    owned.feed(bytes);
    raw.feed(bytes);
    loop {
        match (owned.next_frame(), raw.next_raw()) {
            (Ok(Some(f)), Ok(Some(r))) => {
                assert_eq!(r.payload(), f.payload);
                assert_eq!(r.payload_bytes(), &f.payload[..]);
                for h in &f.headers {
                    assert_eq!(r.header_str(&h.name), f.header_str(&h.name), "{}", h.name);
                }
                assert_eq!(r.header_str(":absent"), None);
            }
            (Ok(None), Ok(None)) => break,
            (a, b) => {
                assert_eq!(a.err(), b.err());
                break;
            }
        }
    }
    assert_eq!(owned.finish(), raw.finish());
}

#[test]
fn raw_frames_report_the_same_header_errors() {
    for body in [
        &[1, b'a', 10][..],
        &[1, b'a', 7, 0, 9, b'x'],
        &[0, 0],
        &[1, b'a', 7, 0, 1, 0xff],
        &[2, b'a', b'b'],
    ] {
        let total = 16 + body.len() as u32;
        raw_agrees_with_owned(&raw_frame(total, body.len() as u32, body));
    }
    // The first header of a name decides, also when it is not a string.
    let frame = Frame::new(
        vec![
            Header::new("k", HeaderValue::Int32(1)),
            Header::string("k", "later"),
            Header::string("s", "v"),
        ],
        Bytes::from_static(b"p"),
    );
    let bytes = encode_frame(&frame).unwrap();
    let mut d = FrameDecoder::new();
    d.feed(&bytes);
    let raw = d.next_raw().unwrap().unwrap();
    assert_eq!(raw.header_str("k"), None);
    assert_eq!(raw.header_str("s"), Some("v"));
    assert_eq!(raw.payload_bytes(), b"p");
}

fn to_smithy(frame: &Frame) -> st::Message {
    let mut m = st::Message::new(frame.payload.clone());
    for h in &frame.headers {
        let v = match &h.value {
            HeaderValue::Bool(b) => st::HeaderValue::Bool(*b),
            HeaderValue::Byte(b) => st::HeaderValue::Byte(*b),
            HeaderValue::Int16(v) => st::HeaderValue::Int16(*v),
            HeaderValue::Int32(v) => st::HeaderValue::Int32(*v),
            HeaderValue::Int64(v) => st::HeaderValue::Int64(*v),
            HeaderValue::ByteArray(b) => st::HeaderValue::ByteArray(b.clone()),
            HeaderValue::String(s) => st::HeaderValue::String(s.clone().into()),
            HeaderValue::Timestamp(t) => {
                st::HeaderValue::Timestamp(aws_smithy_types::DateTime::from_millis(*t))
            }
            HeaderValue::Uuid(u) => st::HeaderValue::Uuid(*u),
        };
        m = m.add_header(st::Header::new(h.name.clone(), v));
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_decodes_the_same_frames(
        frames in proptest::collection::vec(arb_frame(), 0..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let bytes = encode_all(&frames);
        prop_assert_eq!(&decode_in_pieces(&bytes, &cuts).unwrap(), &frames);
        // One byte at a time.
        let every: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(&decode_in_pieces(&bytes, &every).unwrap(), &frames);
        // Everything in one piece.
        prop_assert_eq!(&decode_all(&bytes).unwrap(), &frames);
    }

    #[test]
    fn truncated_input_is_reported(frames in proptest::collection::vec(arb_frame(), 1..4), cut in any::<usize>()) {
        let bytes = encode_all(&frames);
        let cut = cut % bytes.len();
        // Cutting anywhere except a frame boundary must be a truncation.
        let boundaries: Vec<usize> = frames.iter().scan(0, |acc, f| {
            *acc += encode_frame(f).unwrap().len();
            Some(*acc)
        }).collect();
        let result = decode_all(&bytes[..cut]);
        if cut == 0 || boundaries.contains(&cut) {
            prop_assert!(result.is_ok());
        } else {
            let is_truncated = matches!(result, Err(DecodeError::Truncated { .. }));
            prop_assert!(is_truncated);
        }
    }

    #[test]
    fn any_single_bit_flip_is_an_error(frames in proptest::collection::vec(arb_frame(), 1..3), bit in any::<usize>()) {
        let mut bytes = encode_all(&frames);
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        // CRC-32 detects every single-bit error; lengths are covered by the prelude CRC.
        prop_assert!(decode_all(&bytes).is_err());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let _ = decode_in_pieces(&bytes, &cuts);
    }

    #[test]
    fn garbage_behind_valid_crcs_never_panics_and_agrees_with_aws(
        headers_len in 0u32..64, body in proptest::collection::vec(any::<u8>(), 0..80)
    ) {
        let total = 16 + body.len() as u32;
        let bytes = raw_frame(total, headers_len, &body);
        if let Ok(frames) = decode_all(&bytes) {
            // Whatever we accept, the AWS implementation decodes identically.
            let reference = smithy::read_message_from(&bytes[..]).unwrap();
            prop_assert_eq!(to_smithy(&frames[0]), reference);
        }
    }

    #[test]
    fn raw_decoding_agrees_with_owned_decoding(frames in proptest::collection::vec(arb_frame(), 1..4)) {
        raw_agrees_with_owned(&encode_all(&frames));
    }

    #[test]
    fn raw_decoding_agrees_on_garbage_behind_valid_crcs(
        headers_len in 0u32..64, body in proptest::collection::vec(any::<u8>(), 0..80)
    ) {
        let total = 16 + body.len() as u32;
        raw_agrees_with_owned(&raw_frame(total, headers_len, &body));
    }

    #[test]
    fn our_encoding_is_read_identically_by_aws(frame in arb_frame()) {
        let bytes = encode_frame(&frame).unwrap();
        let reference = smithy::read_message_from(&bytes[..]).unwrap();
        prop_assert_eq!(reference, to_smithy(&frame));
    }

    #[test]
    fn aws_encoding_is_read_identically_by_us(frame in arb_frame()) {
        let mut theirs = Vec::new();
        smithy::write_message_to(&to_smithy(&frame), &mut theirs).unwrap();
        prop_assert_eq!(&decode_all(&theirs).unwrap(), &vec![frame.clone()]);
        prop_assert_eq!(theirs, encode_frame(&frame).unwrap().to_vec());
    }
}
