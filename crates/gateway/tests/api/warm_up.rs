//! Start-up loads the tokenizer vocabulary off the async threads (`serve`), so the first chat
//! request does not pay for it. The vocabulary is process-global and other tests of this binary
//! count tokens, so the check runs in a fresh process of this binary that runs only this test.

use std::time::{Duration, Instant};

use crate::common::v1::Harness;

/// Set in the child process that runs the check.
const CHILD: &str = "GATEWAY_TEST_WARM_UP_CHILD";
const NAME: &str = "warm_up::serve_warms_the_tokenizer_up_without_any_request";

#[tokio::test]
async fn serve_warms_the_tokenizer_up_without_any_request() {
    if std::env::var_os(CHILD).is_none() {
        let out = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the check in a fresh process failed:\n{stdout}\n{stderr}"
        );
        return;
    }
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
