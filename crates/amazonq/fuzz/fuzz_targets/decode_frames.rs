//! Fuzzes `FrameDecoder` with arbitrary bytes in arbitrary chunkings.
//!
//! The first input byte picks the chunk size (low 7 bits + 1) and the mode
//! (high bit). Raw mode decodes the rest as-is. Fixed-CRC mode treats each
//! 0xFF-separated piece of the rest as `headers_len byte + body` and wraps it in
//! a prelude with correct lengths and CRCs, so the fuzzer reaches the header
//! parser instead of stopping at checksums.
//! Invariants checked on every input:
//! - no panic, whatever the bytes;
//! - every decoded frame re-encodes to bytes that decode to the same frame;
//! - decoding the same bytes in one piece gives the same frames and outcome;
//! - typed event decoding never panics.
#![no_main]

use amazonq::events::StreamEvent;
use amazonq::eventstream::{FrameDecoder, decode_all, encode_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first & 0x7f) + 1;
    let fixed;
    let stream = if first & 0x80 == 0 {
        stream
    } else {
        fixed = with_valid_crcs(stream);
        fixed.as_slice()
    };

    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    let mut failed = None;
    'outer: for piece in stream.chunks(chunk) {
        decoder.feed(piece);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break 'outer;
                }
            }
        }
    }
    let finished = decoder.finish();

    for frame in &frames {
        let _ = StreamEvent::from_frame(frame);
        let bytes = encode_frame(frame).expect("a decoded frame must re-encode");
        let again = decode_all(&bytes).expect("a re-encoded frame must decode");
        assert_eq!(again.as_slice(), std::slice::from_ref(frame));
    }

    let whole = decode_all(stream);
    match (&failed, &whole) {
        (None, Ok(all)) => {
            assert!(finished.is_ok());
            assert_eq!(all, &frames);
        }
        (None, Err(e)) => {
            // Chunked decoding found no error, so the whole-input error must be
            // the truncation that finish() also reports.
            assert_eq!(Err(e.clone()), finished);
        }
        (Some(e), Err(w)) => assert_eq!(e, w),
        (Some(_), Ok(_)) => panic!("chunked decoding failed where whole decoding succeeded"),
    }
});

fn with_valid_crcs(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.split(|b| *b == 0xff) {
        let Some((&headers_len, body)) = piece.split_first() else {
            continue;
        };
        let total = (16 + body.len()) as u32;
        let start = out.len();
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&u32::from(headers_len).to_be_bytes());
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(body);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// Bitwise CRC-32 (IEEE), independent of the crate under test.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
