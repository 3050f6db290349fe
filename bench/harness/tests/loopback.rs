//! The driver and B0 over real loopback HTTP: a small hyper upstream that streams event-stream
//! frames (text, then a tool call in fragments) with pacing, B0 in front of it, the driver reading
//! through B0. Checks the driver's counts and that B0 reuses its upstream connections.

// Test helpers outside `#[test]` functions: a failed setup should abort the test loudly.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bench::driver::{Expect, LoadOpts, StreamOpts, Target, run_load, run_streams};
use bench::encode::event_frame;
use bench::frames::Protocol;
use bench::http1::encode_post;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const FRAMES: usize = 20;
const TOOL_ARGS: &str = r#"{"path":"/tmp/a b.txt","lines":[1,2,3],"note":"ünï"}"#;

fn es_frame(event: &str, payload: &str) -> Bytes {
    Bytes::from(event_frame(event, &[], payload))
}

fn stream_frames() -> Vec<Bytes> {
    let mut out: Vec<Bytes> = (0..FRAMES)
        .map(|_| es_frame("assistantResponseEvent", r#"{"content":"xxxx"}"#))
        .collect();
    // The tool input cut into 5-byte fragments (char boundaries respected).
    let mut rest = TOOL_ARGS;
    while !rest.is_empty() {
        let mut cut = rest.len().min(5);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (a, b) = rest.split_at(cut);
        let payload = serde_json::json!({"toolUseId": "t1", "name": "f", "input": a}).to_string();
        out.push(es_frame("toolUseEvent", &payload));
        rest = b;
    }
    out
}

#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
async fn upstream(conns: Arc<AtomicU64>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            conns.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<Incoming>| async move {
                    let stream = req.uri().path() == "/stream";
                    let _ = req.into_body().collect().await;
                    let body = if stream {
                        let frames = stream_frames();
                        let s = futures_stream(frames);
                        StreamBody::new(s)
                            .map_err(|never: Infallible| match never {})
                            .boxed()
                    } else {
                        Full::new(Bytes::from_static(b"{\"ok\":true}"))
                            .map_err(|never| match never {})
                            .boxed()
                    };
                    Ok::<_, Infallible>(Response::new(body))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

/// Frames one every 2 ms through a channel.
#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
fn futures_stream(
    frames: Vec<Bytes>,
) -> tokio_stream::wrappers::ReceiverStream<Result<Frame<Bytes>, Infallible>> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        for f in frames {
            tokio::time::sleep(Duration::from_millis(2)).await;
            if tx.send(Ok(Frame::data(f))).await.is_err() {
                return;
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[expect(
    clippy::disallowed_methods,
    reason = "test code: the task ends with the test (joined or dropped with its runtime)"
)]
async fn start_b0(up: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(bench::b0::serve(listener, up, std::future::pending()));
    addr
}

/// The paced upstream with B0 in front of it: (upstream connections accepted, upstream, B0).
async fn upstream_behind_b0() -> (Arc<AtomicU64>, SocketAddr, SocketAddr) {
    let conns = Arc::new(AtomicU64::new(0));
    let up = upstream(Arc::clone(&conns)).await;
    let b0 = start_b0(up).await;
    (conns, up, b0)
}

fn target(addr: SocketAddr, path: &str, proto: Protocol) -> Target {
    Target {
        addr,
        request: Arc::new(encode_post(
            &addr.to_string(),
            path,
            &[("content-type".into(), "application/json".into())],
            b"{\"q\":1}",
        )),
        proto,
    }
}

#[tokio::test]
async fn streams_through_b0_are_complete_and_tools_reassemble() {
    let (_conns, up, b0) = upstream_behind_b0().await;
    let opts = StreamOpts {
        streams: 8,
        ramp: Duration::from_millis(20),
        timeout: Duration::from_secs(20),
        expect: Expect {
            frames: Some((FRAMES + TOOL_ARGS.len().div_ceil(5)) as u64),
            text_bytes: Some((FRAMES * 4) as u64),
            tools: vec![TOOL_ARGS.to_owned()],
        },
        stall: Duration::from_millis(500),
    };
    let r = run_streams(&target(b0, "/stream", Protocol::Eventstream), &opts).await;
    assert_eq!(
        (r.outcomes.ok, r.outcomes.failed),
        (8, 0),
        "{:?}",
        r.outcomes.error_samples
    );
    assert_eq!(r.lost_frames, 0);
    assert_eq!(r.text_mismatch, 0);
    assert_eq!((r.tool_checked, r.tool_exact), (8, 8));
    assert_eq!(r.ttft_us.n, 8);
    assert_eq!(r.gap_us.n as u64, r.frames - 8);
    // Paced at 2 ms: the median gap cannot be below the pacing.
    assert!(r.gap_us.p50 >= 1_500, "gap p50 {}", r.gap_us.p50);

    // A wrong expectation is reported, not hidden.
    let wrong = StreamOpts {
        streams: 1,
        expect: Expect {
            frames: Some(1000),
            text_bytes: opts.expect.text_bytes,
            tools: vec!["{}".into()],
        },
        ..opts
    };
    let r = run_streams(&target(up, "/stream", Protocol::Eventstream), &wrong).await;
    assert_eq!((r.outcomes.ok, r.outcomes.failed, r.tool_exact), (0, 1, 0));
    assert!(r.lost_frames > 900);
}

#[tokio::test]
async fn load_through_b0_keeps_upstream_connections_alive() {
    let (conns, _up, b0) = upstream_behind_b0().await;
    let opts = LoadOpts {
        concurrency: 2,
        total: Some(200),
        duration: Some(Duration::from_secs(30)),
    };
    let r = run_load(&target(b0, "/json", Protocol::Plain), &opts).await;
    assert_eq!(
        (r.requests, r.outcomes.ok, r.outcomes.failed),
        (200, 200, 0),
        "{:?}",
        r.outcomes.error_samples
    );
    assert_eq!(r.connections, 2);
    assert_eq!(r.latency_us.n, 200);
    // Two client connections never need more than two pooled upstream connections.
    let upstream_conns = conns.load(Ordering::Relaxed);
    assert!((1..=2).contains(&upstream_conns), "{upstream_conns}");

    // Unreachable target: every request fails and is counted.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let r = run_load(
        &target(dead_addr, "/json", Protocol::Plain),
        &LoadOpts {
            concurrency: 1,
            total: Some(3),
            duration: Some(Duration::from_secs(10)),
        },
    )
    .await;
    assert_eq!((r.requests, r.outcomes.ok, r.outcomes.failed), (3, 0, 3));
}
