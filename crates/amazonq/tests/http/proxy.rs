//! Proxies: the per-call proxy URL, and `HTTP_PROXY` from the environment.
//!
//! Environment cases run this test binary again as a child process with the
//! proxy variables set exactly (changing the environment of a running
//! multi-threaded test process is unsound), filtered to the one test, which
//! then acts as the child; the parent checks that the child passed.

use std::time::Duration;

use amazonq::client::{AuthKind, ChatResponse, ClientError, Dialect, QClient};
use amazonq::error::ErrorClass;
use amazonq::events::StreamEvent;
use axum::Router;
use axum::routing::any;
use futures_util::StreamExt;

use crate::chat::{answer, answer_handler, collect, config, creds, request};
use crate::server::{Log, serve};

/// Nothing listens on the discard port: only a proxy can answer for it.
const UNREACHABLE: &str = "http://127.0.0.1:9";

/// A forward proxy receives absolute-form requests; this one answers them itself.
async fn answering_proxy() -> (String, Log) {
    let log = Log::default();
    let url = serve(
        Router::new()
            .fallback(any(answer_handler))
            .with_state(log.clone()),
    )
    .await;
    (url, log)
}

/// One chat call to [`UNREACHABLE`], through the per-call `proxy` when given.
async fn call_unreachable(proxy: Option<&str>) -> Result<ChatResponse, ClientError> {
    let client = QClient::new(config(UNREACHABLE)).unwrap();
    let mut c = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    c.proxy = proxy.map(str::to_owned);
    client.generate_assistant_response(&c, &request("x")).await
}

#[tokio::test]
async fn per_call_proxy_is_used() {
    let (proxy, log) = answering_proxy().await;
    let client = QClient::new(config(UNREACHABLE)).unwrap();
    let mut c = creds(Dialect::AmazonQ, AuthKind::BuilderId, "t");
    c.proxy = Some(proxy);
    let (_, events) = collect(&client, &c).await;
    assert_eq!(events.len(), answer().len());
    assert_eq!(log.all()[0].uri, "http://127.0.0.1:9/");

    // An invalid proxy URL is a configuration error, not a transient one.
    let err = call_unreachable(Some("::not a url::")).await.unwrap_err();
    assert!(
        matches!(err.class(), ErrorClass::BadRequest { .. }),
        "{err:?}"
    );
}

const CHILD: &str = "AMAZONQ_PROXY_CHILD";
const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn is_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs the test `name` of this binary in a child process whose proxy
/// variables are exactly `env`, and checks that it passed.
async fn run_child(name: &str, env: &[(&str, &str)]) {
    let mut cmd = tokio::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", name, "--nocapture"]).env(CHILD, "1");
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::time::timeout(Duration::from_mins(1), cmd.output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child {name} failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "child {name} did not run:\n{stdout}"
    );
}

#[tokio::test]
async fn without_any_proxy_the_connect_error_is_classified() {
    if !is_child() {
        return run_child(
            "proxy::without_any_proxy_the_connect_error_is_classified",
            &[],
        )
        .await;
    }
    let err = call_unreachable(None).await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Transport(amazonq::TransportError::Connect(_))
        ),
        "{err:?}"
    );
    assert_eq!(err.class(), ErrorClass::Transient);
}

#[tokio::test]
async fn environment_http_proxy_is_honoured() {
    if is_child() {
        // HTTP_PROXY points at the parent's answering proxy.
        let response = call_unreachable(None).await.unwrap();
        let events: Vec<StreamEvent> = response.events.map(Result::unwrap).collect().await;
        assert_eq!(events, answer());
        return;
    }
    let (proxy, log) = answering_proxy().await;
    run_child(
        "proxy::environment_http_proxy_is_honoured",
        &[("HTTP_PROXY", &proxy)],
    )
    .await;
    assert_eq!(
        log.all().len(),
        1,
        "the request went through the environment proxy"
    );
    assert_eq!(log.all()[0].uri, "http://127.0.0.1:9/");
}
