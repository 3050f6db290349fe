//! The `amazonq-sim` binary: `--listen 127.0.0.1:0 --config FILE` prints its base URL, serves the
//! configured accounts, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::common::{client, get_json};

/// Starts the binary on `127.0.0.1:0` with `args`; returns the child, the base URL of its main
/// listener (the first stdout line) and the rest of its stdout.
fn spawn(args: &[&str]) -> (Child, String, Lines<BufReader<ChildStdout>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_amazonq-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("amazonq-sim listening on ")
        .unwrap()
        .to_owned();
    (child, base, lines)
}

#[tokio::test]
async fn binary_starts_prints_urls_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("amazonq-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("sim.yaml");
    std::fs::write(&cfg, "accounts:\n  - id: cfg1\n    access_token: tok-cfg1\n    monthly_limit: 10\npacing:\n  chunk_chars: 8\n").unwrap();
    let (mut child, base, mut lines) = spawn(&["--config", cfg.to_str().unwrap()]);
    assert!(base.starts_with("http://127.0.0.1:"));
    let second = lines.next().unwrap().unwrap();
    let legacy = second
        .strip_prefix("amazonq-sim legacy q on ")
        .unwrap()
        .to_owned();
    assert!(legacy.starts_with("http://127.0.0.1:") && legacy != base);
    let c = client();
    let health = get_json(&c, &format!("{base}/__sim/health")).await;
    assert_eq!(health["ok"], true);
    // The main listener plays the runtime host: a Builder ID account sends the service ARN; the
    // legacy listener keeps R17 (no ARN for Builder ID).
    let chat = |url: String, body: &'static str| {
        c.post(url)
            .header("content-type", "application/json")
            .bearer_auth("tok-cfg1")
            .body(body)
            .send()
    };
    let with_arn = r#"{"profileArn":"arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX","conversationState":{"chatTriggerType":"MANUAL","currentMessage":{"userInputMessage":{"content":"hi"}}}}"#;
    let without = r#"{"conversationState":{"chatTriggerType":"MANUAL","currentMessage":{"userInputMessage":{"content":"hi"}}}}"#;
    let url = format!("{base}/generateAssistantResponse");
    assert_eq!(chat(url.clone(), with_arn).await.unwrap().status(), 200);
    assert_eq!(chat(url, without).await.unwrap().status(), 400);
    let url = format!("{legacy}/generateAssistantResponse");
    assert_eq!(chat(url.clone(), without).await.unwrap().status(), 200);
    assert_eq!(chat(url, with_arn).await.unwrap().status(), 403);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "clean exit on SIGTERM, got {exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn legacy_q_flag_makes_the_main_listener_the_legacy_host() {
    // Keep the stdout reader: the binary still prints to it.
    let (mut child, base, _stdout) = spawn(&["--legacy-q"]);
    let mode = get_json(&client(), &format!("{base}/__sim/host-mode")).await;
    assert_eq!(mode["host_mode"], "legacy_q");
    child.kill().unwrap();
    child.wait().unwrap();
}
