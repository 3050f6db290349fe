//! Decoding throughput of a realistic answer stream: an `initial-response`,
//! 5 000 small `assistantResponseEvent` frames (4–40 byte text deltas, the size
//! the service streams), a metering and a context-usage event. Measured as
//! bytes → frames, and bytes → frames → typed events, fed in 1 400-byte reads
//! (one TCP segment) as the client does.

// The input is generated and valid; a decode error must abort the run loudly.
#![allow(clippy::expect_used)]

use amazonq::events::StreamEvent;
use amazonq::eventstream::{Frame, FrameDecoder, encode_frame_into};
use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const WORDS: [&str; 8] = [
    "The ",
    "quick brown ",
    "fox jumps ",
    "over the lazy dog. ",
    "\n\n```rust\nfn main() {}\n```\n",
    "Ünïcödé ✓ ",
    "and then some more text ",
    "\"quoted\" ",
];

fn stream() -> (Vec<u8>, usize) {
    let mut events = vec![StreamEvent::InitialResponse {
        conversation_id: Some("c-1".into()),
    }];
    for i in 0..5_000 {
        events.push(StreamEvent::AssistantResponse {
            content: WORDS[i % WORDS.len()].to_owned(),
        });
    }
    events.push(StreamEvent::Metering {
        usage: 0.42,
        unit: Some("credit".into()),
    });
    events.push(StreamEvent::ContextUsage { percentage: 3.5 });
    let mut out = BytesMut::new();
    for e in &events {
        encode_frame_into(&e.to_frame(), &mut out).expect("bench frames encode");
    }
    (out.to_vec(), events.len())
}

/// Decodes `bytes` fed in 1 400-byte reads, adding up `measure` of every frame (so the work
/// cannot be optimised away).
fn read_frames(bytes: &[u8], measure: impl Fn(&Frame) -> usize) -> usize {
    let mut d = FrameDecoder::new();
    let mut n = 0;
    for chunk in bytes.chunks(1400) {
        d.feed(chunk);
        while let Some(f) = d.next_frame().expect("valid stream") {
            n += measure(&f);
        }
    }
    d.finish().expect("clean end");
    n
}

fn decode(c: &mut Criterion) {
    let (bytes, count) = stream();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("frames", |b| {
        b.iter(|| black_box(read_frames(&bytes, |f| f.payload.len())));
    });
    group.bench_function("events", |b| {
        b.iter(|| {
            black_box(read_frames(&bytes, |f| {
                match StreamEvent::from_frame(f).expect("valid event") {
                    StreamEvent::AssistantResponse { content } => content.len(),
                    _ => 0,
                }
            }))
        });
    });
    group.finish();
    eprintln!("stream: {} frames, {} bytes", count, bytes.len());
}

criterion_group!(benches, decode);
criterion_main!(benches);
