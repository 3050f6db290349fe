//! Start-up loads the tokenizer vocabulary off the async threads (`serve`), so the first chat
//! request does not pay for it. Its own test binary: no other test here counts tokens, so the
//! vocabulary can only have been loaded by the start-up warm-up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration test: a failed step must fail the test"
)]

mod support;

use std::time::{Duration, Instant};

use support::v1::Harness;

#[tokio::test]
async fn serve_warms_the_tokenizer_up_without_any_request() {
    assert!(!translate::tokens::is_warm(), "nothing loaded it yet");
    let h = Harness::start().await;
    let started = Instant::now();
    while !translate::tokens::is_warm() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the vocabulary was not loaded at start-up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(h.upstream_chats().is_empty(), "no chat request was made");
    h.stop().await;
}
